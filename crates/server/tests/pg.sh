#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server's tests, on a loopback port, with its
# data and socket in a temporary folder. Uses the machine's PostgreSQL binaries
# (Debian: postgresql-15); as root, runs them as the postgres user (initdb refuses root).
#
#   eval "$(crates/server/tests/pg.sh start)"   # prints export lines:
#       TROUBLETREE_TEST_DATABASE_URL   the URL the tests create their databases from
#       TROUBLETREE_TEST_PG_DIR         the folder (data, socket, log, port)
#       TROUBLETREE_TEST_PG_CTL         this script, for the stop/start fault test
#   crates/server/tests/pg.sh pause  DIR        # stop the server, keep the data
#   crates/server/tests/pg.sh resume DIR        # start it again on the same port
#   crates/server/tests/pg.sh stop   DIR        # stop it and remove the folder
#
# The cluster runs with fsync=off (tests need no durability); TROUBLETREE_TEST_PG_FSYNC=on
# at start keeps PostgreSQL's default, for measurements that should pay for it.
set -euo pipefail

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  echo "pg.sh: no PostgreSQL binaries found (install postgresql-15)" >&2
  exit 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for port in $(seq 54329 54429); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "pg.sh: no free port in 54329-54429" >&2
  exit 1
}

server_start() {
  local dir=$1 bin port
  bin=$(bindir)
  port=$(cat "$dir/port")
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=$(cat "$dir/fsync" 2>/dev/null || echo off)" \
    start >/dev/null
}

case "${1:-}" in
  start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/troubletree-pg.XXXXXX")
    mkdir -p "$dir/socket"
    free_port >"$dir/port"
    case "${TROUBLETREE_TEST_PG_FSYNC:-off}" in
      on) echo on >"$dir/fsync" ;;
      *) echo off >"$dir/fsync" ;;
    esac
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
    chmod 755 "$dir"
    as_pg "$(bindir)/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    server_start "$dir"
    echo "export TROUBLETREE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    echo "export TROUBLETREE_TEST_PG_DIR=$dir"
    echo "export TROUBLETREE_TEST_PG_CTL=$(cd "$(dirname "$0")" && pwd)/pg.sh"
    ;;
  pause)
    as_pg "$(bindir)/pg_ctl" -D "${2:?folder}/data" -m fast -w stop >/dev/null
    ;;
  resume)
    server_start "${2:?folder}"
    ;;
  stop)
    dir=${2:?folder}
    if [ -d "$dir/data" ]; then
      as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    case "$dir" in
      */troubletree-pg.*) rm -rf "$dir" ;;
      *) echo "pg.sh: not removing $dir (not made by pg.sh start)" >&2 ;;
    esac
    ;;
  *)
    echo "usage: pg.sh start | pause DIR | resume DIR | stop DIR" >&2
    exit 2
    ;;
esac
