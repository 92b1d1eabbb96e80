#!/usr/bin/env bash
# Council's two commands:
#   ./run.sh demo             set up, load demo data, serve on 127.0.0.1:8000
#   ./run.sh test [args...]   set up, run pytest on SQLite then PostgreSQL
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

usage() {
    cat <<'EOF'
Usage:
  ./run.sh demo              install, migrate, load demo data, serve on http://127.0.0.1:8000
  ./run.sh test [pytest args] install, run the test suite on SQLite and on PostgreSQL
EOF
}

cmd_demo() {
    bash scripts/install.sh
    export COUNCIL_DATA_DIR="${COUNCIL_DATA_DIR:-$ROOT/data}"
    .venv/bin/council migrate
    .venv/bin/council demo
    # Notifications are delivered (and reminders scheduled) by a worker beside the server; it
    # stops with the demo. Not exec: the trap must outlive the server to stop the worker.
    .venv/bin/council worker &
    local worker_pid=$!
    trap 'kill "$worker_pid" 2>/dev/null || true' EXIT
    .venv/bin/council serve --host 127.0.0.1 --port 8000
}

# Any non-zero pytest exit fails the run, including 5 ("no tests collected")
# so an empty or broken collection can never pass CI.
run_pytest() {
    .venv/bin/python -m pytest "$@"
}

cmd_test() {
    bash scripts/install.sh
    # shellcheck source=scripts/pg-temp.sh
    source scripts/pg-temp.sh
    # Always remove the throwaway cluster, also on Ctrl-C / kill.
    trap pg_temp_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    local sqlite_rc=0 pg_rc=0

    echo "== tests on SQLite =="
    COUNCIL_TEST_DB=sqlite run_pytest "$@" || sqlite_rc=$?

    # Run the PostgreSQL pass even if SQLite failed: both results matter.
    echo "== tests on PostgreSQL =="
    if pg_temp_start; then
        echo "(throwaway cluster at $COUNCIL_TEST_PG_DSN)"
        COUNCIL_TEST_DB=postgres run_pytest "$@" || pg_rc=$?
    else
        pg_rc=1
    fi

    echo "== summary: SQLite exit $sqlite_rc, PostgreSQL exit $pg_rc =="
    if [ "$sqlite_rc" -ne 0 ] || [ "$pg_rc" -ne 0 ]; then
        exit 1
    fi
}

case "${1:-}" in
    demo) shift; cmd_demo "$@" ;;
    test) shift; cmd_test "$@" ;;
    *) usage; exit 2 ;;
esac
