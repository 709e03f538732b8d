#!/bin/bash
# The official mysql image's first-start contract on MariaDB: create the data directory, the
# root password, the database and its user from MYSQL_* variables, on a server that listens on
# no TCP port until it is ready (so a healthcheck over 127.0.0.1 says healthy only then).
set -euo pipefail
case "${1:-}" in -*) set -- mysqld "$@" ;; esac
if [ "${1:-}" != "mysqld" ] && [ "${1:-}" != "mariadbd" ]; then
  exec "$@"
fi
shift
server=(mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 "$@")
chown -R mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set}"
  echo "stand-in mysql: initialising /var/lib/mysql"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  sock=/run/mysqld/init.sock
  "${server[@]}" --skip-networking --socket="$sock" &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  q() { printf '%s' "$1" | sed "s/'/''/g"; }
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")';"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER '$(q "$MYSQL_USER")'@'%' IDENTIFIED BY '$(q "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}\`.* TO '$(q "$MYSQL_USER")'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$sock" -uroot
  mariadb-admin --socket="$sock" -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  echo "stand-in mysql: initialised"
fi
exec "${server[@]}"
