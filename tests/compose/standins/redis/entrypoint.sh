#!/bin/sh
# The official image's entrypoint, in short: options alone mean redis-server; the server runs
# as `redis` over a /data it owns, with protected mode off (docker's network is the boundary).
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = "redis-server" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
  if [ "$(id -u)" = "0" ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
