#!/usr/bin/env bash
# Make sure the server at URL (mysql://user[:password]@host:port/) has its time zone
# tables loaded, so sessions can say `SET time_zone = 'America/New_York'`. The capture
# tests write TIMESTAMP values from such a session, in the hour a daylight-saving zone
# repeats each autumn; a server without the tables cannot run them.
#
# Loads the tables once (about 5 s) from this machine's /usr/share/zoneinfo:
# - MariaDB: with the host's mariadb-tzinfo-to-sql;
# - MySQL: with the MySQL tree's own mysql_tzinfo_to_sql (scripts/ensure-mysql.sh;
#   CERTYO_MYSQL_ROOT as there), whose output MySQL accepts (MariaDB's does not).
# Does nothing where the tables are already there. Everything it says goes to stderr.
set -euo pipefail

URL="${1:?usage: ensure-time-zones.sh mysql://user[:password]@host:port/}"
ROOT="${CERTYO_MYSQL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/certyo-queue/mysql-sid}"
log() { echo "ensure-time-zones: $*" >&2; }
die() { log "$*"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

rest="${URL#mysql://}"
userinfo="${rest%%@*}"
hostport="${rest#*@}"
hostport="${hostport%%/*}"
user="${userinfo%%:*}"
password=""
if [ "$userinfo" != "$user" ]; then password="${userinfo#*:}"; fi
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" != "$hostport" ] || port=3306

client() {
  local bin
  bin="$(command -v mariadb || command -v mysql)" || die "no mariadb/mysql client on this machine"
  MYSQL_PWD="$password" "$bin" --protocol=TCP -h"$host" -P"$port" -u"$user" "$@"
}

loaded="$(client -N -e "SELECT COUNT(*) FROM mysql.time_zone_name")" \
  || die "cannot read mysql.time_zone_name on $host:$port"
if [ "$loaded" -gt 0 ]; then
  exit 0
fi
[ -d /usr/share/zoneinfo ] || die "no /usr/share/zoneinfo on this machine (Debian package tzdata)"

version="$(client -N -e "SELECT VERSION()")"
log "loading time zone tables into $host:$port ($version)"
if [[ "$version" == *MariaDB* ]]; then
  gen="$(command -v mariadb-tzinfo-to-sql || command -v mysql_tzinfo_to_sql)" \
    || die "mariadb-tzinfo-to-sql not found (Debian package mariadb-server)"
  "$gen" /usr/share/zoneinfo 2>/dev/null | client mysql
elif [ -x "$ROOT/usr/bin/mysql_tzinfo_to_sql" ]; then
  $SUDO chroot "$ROOT" mysql_tzinfo_to_sql /usr/share/zoneinfo 2>/dev/null | client mysql
else
  die "MySQL at $host:$port has no time zone tables and no MySQL tree at $ROOT has mysql_tzinfo_to_sql; load them with: mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql -h$host -P$port -u$user mysql"
fi
loaded="$(client -N -e "SELECT COUNT(*) FROM mysql.time_zone_name")"
[ "$loaded" -gt 0 ] || die "time zone tables still empty on $host:$port after loading"
log "loaded $loaded time zone names"
