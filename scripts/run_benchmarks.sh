#!/usr/bin/env bash
# Run the benchmarks in benchmarks/ (every bench_*.py there, so that a new
# benchmark only needs to be added as a file), one after the other: they
# measure time, so never in parallel on a 2-core machine.
#   scripts/run_benchmarks.sh              # all of them
#   scripts/run_benchmarks.sh rpc          # benchmarks/bench_rpc.py only (`make bench BENCH=rpc`)
# bench_rpc.py runs with --spawn (it starts the probe service it needs
# itself); each benchmark puts what it imports on its path and starts the
# services it measures. All run even if one fails; the script then fails.
# Before each, scripts/wait_for_quiet.py waits for the previous one's aftermath
# (PostgreSQL's checkpoint and autovacuum) to finish, so none measures another's.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

PY=.venv/bin/python
# The benchmarks start services on the machine's broker as guest: not production,
# which refuses that (docs/decisions/0015).
export CERTTRACK_ENV="${CERTTRACK_ENV:-test}"
FAILED=()
COUNT=0

# run_bench SCRIPT [ARGS...]
run_bench() {
    local rc
    COUNT=$((COUNT + 1))
    "$PY" scripts/wait_for_quiet.py
    echo "=== bench: $*"
    "$PY" "$@"
    rc=$?
    [ $rc -eq 0 ] || { echo "=== bench: $1 FAILED (exit $rc)"; FAILED+=("$1"); }
}

if [ $# -gt 0 ]; then
    SCRIPTS=()
    for name in "$@"; do
        script="benchmarks/bench_${name#bench_}"
        script="${script%.py}.py"
        [ -f "$script" ] || { echo "=== bench: no $script"; exit 2; }
        SCRIPTS+=("$script")
    done
else
    mapfile -t SCRIPTS < <(find benchmarks -maxdepth 1 -name 'bench_*.py' 2>/dev/null | sort)
fi

for script in "${SCRIPTS[@]}"; do
    case "$script" in
        benchmarks/bench_rpc.py) run_bench "$script" --spawn ;;
        *) run_bench "$script" ;;
    esac
done

if [ $COUNT -eq 0 ]; then
    echo "=== bench: no benchmark scripts yet (benchmarks/bench_*.py)"
fi
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "=== bench: FAILED: ${FAILED[*]}"
    exit 1
fi
