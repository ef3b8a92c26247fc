#!/usr/bin/env bash
# A throwaway PostgreSQL server with pgvector for the store tests and the bench, on 127.0.0.1.
# Prints the connection string on stdout (everything else goes to stderr), so that
#   export ROBOFLOW_CLIP_TEST_PG="$(bash scripts/ci/postgres.sh)"
# Rerunning it reuses what is installed and the server that is already up.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

# Debian 13 packages pgvector for its PostgreSQL 17; Debian 12 has PostgreSQL 15 and no pgvector
# binary, so there it is built from Debian's own source package.
if [[ "$(cat /etc/debian_version)" == 13* ]]; then PG_MAJOR=17; else PG_MAJOR=15; fi
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_SHARE="/usr/share/postgresql/$PG_MAJOR"
DATA_DIR="${ROBOFLOW_CLIP_PG_DIR:-/tmp/roboflow-clip-pg-$PG_MAJOR}"
DATABASE=roboflow_clip_test
export DEBIAN_FRONTEND=noninteractive

apt_updated=false
apt_install() {
  if ! $apt_updated; then apt-get update -qq >&2; apt_updated=true; fi
  apt-get install -y -qq --no-install-recommends "$@" >&2
}

build_pgvector_from_source() {
  # A private source list and package cache, so that the machine's own apt sources stay as they are.
  local apt_dir=/var/cache/roboflow-clip-apt
  mkdir -p "$apt_dir/lists/partial"
  echo 'deb-src http://deb.debian.org/debian trixie main' >"$apt_dir/sources.list"
  local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists")
  apt-get "${apt_opts[@]}" update -qq >&2
  local work
  work="$(mktemp -d)"
  (cd "$work" && apt-get "${apt_opts[@]}" source -qq --download-only pgvector >&2 &&
    dpkg-source -x --skip-patches pgvector_*.dsc src >&2 &&
    make -s -C src PG_CONFIG="$PG_BIN/pg_config" >&2 &&
    make -s -C src PG_CONFIG="$PG_BIN/pg_config" install >&2)
  rm -rf "$work"
}

if [[ ! -x "$PG_BIN/postgres" ]]; then
  log "installing PostgreSQL $PG_MAJOR"
  apt_install postgresql
fi
if [[ ! -f "$PG_SHARE/extension/vector.control" ]]; then
  if [[ $PG_MAJOR == 17 ]]; then
    log "installing pgvector"
    apt_install postgresql-17-pgvector
  else
    log "building pgvector from the Debian source package"
    apt_install postgresql-server-dev-15 build-essential dpkg-dev
    build_pgvector_from_source
  fi
fi

pg() { runuser -u postgres -- "$@"; }

# Up means answering on its socket: a server killed outright leaves a pid file that pg_ctl may still
# take for a running server (its pid taken by another process).
server_answers() {
  local port
  port="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$DATA_DIR/postgresql.conf" 2>/dev/null | tail -1)"
  [[ -n "$port" ]] && pg "$PG_BIN/pg_isready" -q -h "$DATA_DIR" -p "$port"
}

if ! server_answers; then
  # Not running (or left over from a machine that was stopped): start from an empty cluster.
  pg "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m immediate >/dev/null 2>&1 || true
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  chown postgres:postgres "$DATA_DIR"
  chmod 700 "$DATA_DIR"
  pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -A trust --no-sync >/dev/null
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  # A test server: durability is not wanted, room for HNSW builds is.
  cat >>"$DATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DATA_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
maintenance_work_mem = 1GB
max_parallel_maintenance_workers = 1
CONF
  log "starting a throwaway cluster in $DATA_DIR on 127.0.0.1:$port"
  pg "$PG_BIN/pg_ctl" start -w -D "$DATA_DIR" -l "$DATA_DIR/server.log" >/dev/null
fi

port="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$DATA_DIR/postgresql.conf" | tail -1)"
psql_admin() { pg psql -X -q -h "$DATA_DIR" -p "$port" -U postgres "$@"; }
if [[ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]]; then
  psql_admin -d postgres -c "CREATE DATABASE $DATABASE" >&2
fi
psql_admin -d "$DATABASE" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2

echo "postgresql://postgres@127.0.0.1:$port/$DATABASE"
