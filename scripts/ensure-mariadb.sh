#!/usr/bin/env bash
# Makes sure a MariaDB server answers at 127.0.0.1:3306 as root with an empty password, which the
# test suite needs (each test creates and drops a database of its own). Installs and starts one
# when missing; leaves a running server alone. MYSQL_TEST_URL pointing elsewhere skips all this.
set -euo pipefail

if [[ -n "${MYSQL_TEST_URL:-}" ]]; then
  exit 0
fi

answers() { mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }

if answers; then
  exit 0
fi
if ! command -v mariadbd >/dev/null 2>&1 && [[ ! -x /usr/sbin/mariadbd ]]; then
  echo "ensure-mariadb: installing mariadb-server" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi
echo "ensure-mariadb: starting MariaDB" >&2
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
for _ in $(seq 1 100); do
  if answers; then
    # A fresh Debian install lets root in by unix socket only; tests connect over TCP.
    exit 0
  fi
  if mariadb -u root -e 'SELECT 1' >/dev/null 2>&1; then
    mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;"
  fi
  sleep 0.2
done
echo "ensure-mariadb: MariaDB does not answer at 127.0.0.1:3306 as root" >&2
exit 1
