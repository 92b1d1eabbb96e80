# shellcheck shell=bash
# Throwaway PostgreSQL cluster for the test suite. Source this file, then:
#   pg_temp_start   # starts a cluster, exports COUNCIL_TEST_PG_DSN
#   pg_temp_stop    # stops it and deletes its files (safe to call twice)
# The cluster lives in a mktemp dir with trust auth, listens only on
# 127.0.0.1 and on its own socket dir, so it never touches other servers.

PG_TEMP_DIR=""
PG_TEMP_BIN=""

# Run a PostgreSQL server binary: as the postgres user when we are root
# (postgres refuses to run as root), directly otherwise.
_pg_temp_run() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Is something already listening on 127.0.0.1:$1?
_pg_temp_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_temp_start() {
    # Newest installed major version wins.
    PG_TEMP_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$PG_TEMP_BIN" ] || [ ! -x "$PG_TEMP_BIN/initdb" ]; then
        echo "pg-temp: no PostgreSQL server found under /usr/lib/postgresql" >&2
        return 1
    fi

    PG_TEMP_DIR="$(mktemp -d -t council-pg.XXXXXX)"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_TEMP_DIR"
    fi

    _pg_temp_run "$PG_TEMP_BIN/initdb" -D "$PG_TEMP_DIR/data" -A trust -U postgres \
        -E UTF8 --locale=C.UTF-8 >"$PG_TEMP_DIR/initdb.log" 2>&1 || {
        cat "$PG_TEMP_DIR/initdb.log" >&2
        return 1
    }

    # Try ports from 55433 up; skip busy ones and retry if another process
    # grabs the port between our check and the server's bind.
    local port
    for port in $(seq "${PG_TEMP_PORT:-55433}" 55533); do
        _pg_temp_port_busy "$port" && continue
        # fsync/synchronous_commit off: data is disposable, speed matters.
        if _pg_temp_run "$PG_TEMP_BIN/pg_ctl" -D "$PG_TEMP_DIR/data" \
            -l "$PG_TEMP_DIR/server.log" -w -t 30 \
            -o "-p $port -k $PG_TEMP_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            export COUNCIL_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
    done
    echo "pg-temp: could not start PostgreSQL; server log follows" >&2
    cat "$PG_TEMP_DIR/server.log" >&2 || true
    return 1
}

pg_temp_stop() {
    if [ -n "$PG_TEMP_DIR" ] && [ -d "$PG_TEMP_DIR" ]; then
        if [ -f "$PG_TEMP_DIR/data/postmaster.pid" ]; then
            # immediate: nothing in the cluster is worth a clean shutdown.
            _pg_temp_run "$PG_TEMP_BIN/pg_ctl" -D "$PG_TEMP_DIR/data" \
                -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PG_TEMP_DIR"
    fi
    PG_TEMP_DIR=""
    unset COUNCIL_TEST_PG_DSN
}
