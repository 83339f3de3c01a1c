#!/bin/sh
# As the official redis image's entry point: without a config file, protected mode is switched off
# (the container's network is the protection), and the server runs as user redis.
set -eu
if [ "${1:-}" = redis-server ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
