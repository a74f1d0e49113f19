#!/bin/sh
# A PostgreSQL + PostGIS server from Debian's packages in a folder of its
# own (initdb), on loopback and a socket in that folder: what the scale
# tests write the shared history into.  A site's server is its own.
#   scripts/local-postgis.sh start DIR   prints the history url
#   scripts/local-postgis.sh stop DIR
set -eu
cmd=${1:?start|stop}
D=$(mkdir -p "${2:?folder}" && cd "$2" && pwd)
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { # initdb and postgres refuse to run as root
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$cmd" = stop ]; then
    [ -f "$D/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1 || true
    exit 0
fi
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$D"
    runuser -u postgres -- test -w "$D" ||
        { echo "local-postgis: $D is not reachable by the postgres user (a parent folder is private)" >&2; exit 1; }
fi
if [ ! -d "$D/data" ]; then
    as_pg "$BIN/initdb" -D "$D/data" -U cw --auth=trust -E UTF8 --locale=C.UTF-8 >"$D/initdb.log" 2>&1 ||
        { cat "$D/initdb.log" >&2; exit 1; }
fi
as_pg "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $D -c fsync=off -c max_connections=50" start >/dev/null ||
    { cat "$D/server.log" >&2; exit 1; }
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$port" -U cw chakrawatch
as_pg "$BIN/psql" -q -h 127.0.0.1 -p "$port" -U cw -d chakrawatch -c "CREATE EXTENSION postgis" >/dev/null
echo "postgresql://cw@127.0.0.1:$port/chakrawatch"
