#!/usr/bin/env bash
# Make sure a MariaDB/MySQL server answers on 127.0.0.1:3306 and print the server URL
# (mysql://user[:password]@127.0.0.1:3306/) that tests and the demo should use.
#
# - A server already running where root logs in over TCP without a password (the
#   project's development machines): used as it is.
# - Nothing running: installs Debian's mariadb-server if needed and starts mariadbd
#   (as the mysql user; it refuses to run as root otherwise).
# - A fresh Debian server, where root logs in only over the unix socket: creates the
#   user certyo_test (password certyo_test, all privileges, local only) and uses that.
# Everything it says goes to stderr; only the URL goes to stdout.
set -euo pipefail

log() { echo "ensure-mariadb: $*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

client() {
  if command -v mariadb >/dev/null 2>&1; then mariadb "$@"; else mysql "$@"; fi
}

tcp_root_ok() { client --protocol=TCP -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
tcp_test_ok() { client --protocol=TCP -h127.0.0.1 -P3306 -ucertyo_test -pcertyo_test -e 'SELECT 1' >/dev/null 2>&1; }
server_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }

have_client() { command -v mariadb >/dev/null 2>&1 || command -v mysql >/dev/null 2>&1; }
apt_install() {
  log "installing $* (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq "$@" >&2
}

if ! server_up && [ ! -x /usr/sbin/mariadbd ]; then
  apt_install mariadb-server
elif ! have_client; then
  apt_install mariadb-client
fi

if ! server_up; then
  log "starting mariadbd"
  $SUDO mkdir -p /run/mysqld
  $SUDO chown mysql:mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >&2
  fi
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    server_up && break
    sleep 1
  done
  server_up || { log "mariadbd did not start listening on 127.0.0.1:3306 within 60 s"; exit 1; }
fi

for _ in $(seq 1 30); do
  if tcp_root_ok; then
    echo "mysql://root@127.0.0.1:3306/"
    exit 0
  fi
  if tcp_test_ok; then
    echo "mysql://certyo_test:certyo_test@127.0.0.1:3306/"
    exit 0
  fi
  # Fresh Debian install: root authenticates over the unix socket only.
  if $SUDO "$(command -v mariadb || command -v mysql)" -uroot -e "
      CREATE USER IF NOT EXISTS 'certyo_test'@'127.0.0.1' IDENTIFIED BY 'certyo_test';
      CREATE USER IF NOT EXISTS 'certyo_test'@'localhost' IDENTIFIED BY 'certyo_test';
      GRANT ALL PRIVILEGES ON *.* TO 'certyo_test'@'127.0.0.1' WITH GRANT OPTION;
      GRANT ALL PRIVILEGES ON *.* TO 'certyo_test'@'localhost' WITH GRANT OPTION;" >/dev/null 2>&1; then
    log "created the local test user certyo_test"
    continue
  fi
  sleep 1
done
log "MariaDB runs but neither root (no password) nor certyo_test can log in over TCP"
exit 1
