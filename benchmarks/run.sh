#!/usr/bin/env bash
# Every speed target, one command: ./benchmarks/run.sh
# Runs each benchmark on SQLite and on a throwaway PostgreSQL cluster, printing p50/p95 against its target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh
# shellcheck source=../scripts/pg-temp.sh
source scripts/pg-temp.sh
trap pg_temp_stop EXIT
pg_temp_start
export COUNCIL_BENCH_PG_DSN="$COUNCIL_TEST_PG_DSN"
for bench in benchmarks/[a-z]*.py; do
    name="$(basename "$bench" .py)"
    [ "$name" = common ] && continue
    [ "$name" = floor_app ] && continue  # the app benchmarks.speed serves, not a benchmark
    echo "== $name =="
    .venv/bin/python -m "benchmarks.$name"
done
