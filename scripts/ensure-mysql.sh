#!/usr/bin/env bash
# Make sure a MySQL 9.7 server answers on 127.0.0.1:3307 and print the server URL
# (mysql://root@127.0.0.1:3307/) that tests, the demo and bench should use.
#
# Debian's stable suite ships no MySQL server; its unstable suite carries
# mysql-server-core (MySQL 9.7 LTS). This script:
# - reuses a server that already answers on the port (root, no password, over TCP);
# - otherwise builds, once, a minimal debootstrap tree of Debian unstable with
#   mysql-server-core and mysql-client under a cache folder (about 40 s; the Debian
#   mirror is read from this machine's own apt sources, never hard-coded);
# - initialises a datadir with --initialize-insecure (root without a password);
# - starts mysqld inside the tree as the mysql user with MySQL's defaults (binary
#   logging on, ROW format; gtid_mode ON, 9.x's default, given explicitly because the
#   binlog reader's GTID checkpoint tests rely on it) on 127.0.0.1:3307.
# Everything it says goes to stderr; only the URL goes to stdout.
#
# Settings: CERTYO_MYSQL_PORT (3307), CERTYO_MYSQL_ROOT (the tree; default
# ~/.cache/certyo-queue/mysql-sid), CERTYO_MYSQL_SUITE (unstable).
set -euo pipefail

PORT="${CERTYO_MYSQL_PORT:-3307}"
ROOT="${CERTYO_MYSQL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/certyo-queue/mysql-sid}"
SUITE="${CERTYO_MYSQL_SUITE:-unstable}"
PACKAGES="mysql-server-core,mysql-client"

log() { echo "ensure-mysql: $*" >&2; }
die() { log "$*"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

server_up() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
in_tree() { $SUDO chroot "$ROOT" "$@"; }
root_ok() {
  # The tree's own client speaks caching_sha2_password; the host's may not.
  if [ -x "$ROOT/usr/bin/mysql" ]; then
    in_tree mysql --protocol=TCP -h127.0.0.1 -P"$PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1
  else
    mysql --protocol=TCP -h127.0.0.1 -P"$PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1
  fi
}

if server_up; then
  if root_ok; then
    echo "mysql://root@127.0.0.1:$PORT/"
    exit 0
  fi
  # Something answers but we cannot tell what: let the tests say so precisely.
  log "a server answers on 127.0.0.1:$PORT; using it as root without a password"
  echo "mysql://root@127.0.0.1:$PORT/"
  exit 0
fi

# The Debian mirror from this machine's apt sources (deb822 .sources or the one-line
# format), skipping security and update suites.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^[[:space:]]*$/ { if (uri != "" && suites !~ /security/ && uri !~ /security/) { print uri; exit } uri=""; suites="" }
      /^URIs:/   { uri=$2 }
      /^Suites:/ { suites=$0 }
      END { if (uri != "" && suites !~ /security/ && uri !~ /security/) print uri }
    ' "$f" | grep -i debian | head -n1 && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f" \
      | grep -i debian | grep -v security | head -n1)"
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

if [ ! -x "$ROOT/usr/sbin/mysqld" ]; then
  MIRROR="$(debian_mirror)" || die "no Debian mirror found in /etc/apt/sources.list*; add one or set CERTYO_MYSQL_ROOT to an existing tree"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq debootstrap >&2
  fi
  log "building a Debian $SUITE tree with $PACKAGES in $ROOT (once; about a minute)"
  $SUDO rm -rf "$ROOT.partial"
  $SUDO mkdir -p "$(dirname "$ROOT")"
  # Unstable may be signed by a key newer than this machine's keyring: try with the
  # signature check, then without it (the packages still come from the same mirror).
  if ! $SUDO debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT.partial" "$MIRROR" >"/tmp/ensure-mysql-debootstrap.log" 2>&1; then
    log "debootstrap with signature check failed (see /tmp/ensure-mysql-debootstrap.log); retrying without it"
    $SUDO rm -rf "$ROOT.partial"
    $SUDO debootstrap --no-check-gpg --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT.partial" "$MIRROR" >"/tmp/ensure-mysql-debootstrap.log" 2>&1 \
      || die "debootstrap of $SUITE from $MIRROR failed; see /tmp/ensure-mysql-debootstrap.log"
  fi
  $SUDO mv "$ROOT.partial" "$ROOT"
fi

if ! grep -q '^mysql:' "$ROOT/etc/passwd"; then
  in_tree groupadd --system mysql 2>/dev/null || true
  in_tree useradd --system --gid mysql --home-dir /nonexistent --shell /usr/sbin/nologin mysql
fi
# mysqld aborts when secure-file-priv's folder or its error log are missing or not
# writable by mysql, and needs /run/mysqld for its socket.
for d in /var/lib/mysql /var/lib/mysql-files /run/mysqld /var/log/mysql /tmp; do
  $SUDO mkdir -p "$ROOT$d"
done
in_tree chown mysql:mysql /var/lib/mysql /var/lib/mysql-files /run/mysqld /var/log/mysql
$SUDO chmod 1777 "$ROOT/tmp"

if [ ! -d "$ROOT/var/lib/mysql/mysql" ]; then
  log "initialising the datadir"
  $SUDO rm -rf "$ROOT/var/lib/mysql" && $SUDO mkdir -p "$ROOT/var/lib/mysql"
  in_tree chown mysql:mysql /var/lib/mysql
  in_tree mysqld --no-defaults --initialize-insecure --user=mysql --datadir=/var/lib/mysql \
    --log-error=/var/log/mysql/init.log >&2 \
    || die "mysqld --initialize-insecure failed; see $ROOT/var/log/mysql/init.log"
fi

log "starting mysqld on 127.0.0.1:$PORT"
: | $SUDO setsid chroot "$ROOT" mysqld --no-defaults --user=mysql --datadir=/var/lib/mysql \
  --bind-address=127.0.0.1 --port="$PORT" --mysqlx=OFF \
  --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
  --secure-file-priv=/var/lib/mysql-files --log-error=/var/log/mysql/error.log \
  --max-connections=1000 --innodb-buffer-pool-size=512M \
  --gtid-mode=ON --enforce-gtid-consistency=ON \
  >/dev/null 2>&1 &
disown || true

for _ in $(seq 1 60); do
  server_up && break
  sleep 1
done
server_up || die "mysqld did not start listening on 127.0.0.1:$PORT within 60 s; see $ROOT/var/log/mysql/error.log"

for _ in $(seq 1 30); do
  if root_ok; then
    echo "mysql://root@127.0.0.1:$PORT/"
    exit 0
  fi
  # --initialize-insecure creates root@localhost only; TCP from 127.0.0.1 may not
  # match it (skip-name-resolve), so add root@127.0.0.1 over the socket.
  in_tree mysql -uroot -S /run/mysqld/mysqld.sock -e "
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" >/dev/null 2>&1 || true
  sleep 1
done
die "mysqld runs on 127.0.0.1:$PORT but root cannot log in over TCP without a password"
