#!/usr/bin/env bash
# Run every benchmark the repository has, one after the other (they measure
# time, so never in parallel on a 2-core machine):
#   - gateway/bench_rpc.py --spawn (starts the services it needs itself);
#   - every bench_*.py under services/ and deploy/, so that a new benchmark
#     only needs to be added as a file.
# Each runs with the service's or gateway's folder on PYTHONPATH, as its
# process runs in the stack. All run even if one fails; the script then fails.
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

# run_bench PYTHONPATH SCRIPT [ARGS...]
run_bench() {
    local path=$1 rc
    shift
    COUNT=$((COUNT + 1))
    "$PY" scripts/wait_for_quiet.py
    echo "=== bench: $*"
    PYTHONPATH="$path${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$@"
    rc=$?
    [ $rc -eq 0 ] || { echo "=== bench: $1 FAILED (exit $rc)"; FAILED+=("$1"); }
}

if [ -f gateway/bench_rpc.py ]; then
    run_bench gateway gateway/bench_rpc.py --spawn
fi

while IFS= read -r script; do
    case "$script" in
        services/*) dir="${script#services/}"; path="services/${dir%%/*}" ;;
        *) path=. ;;
    esac
    run_bench "$path" "$script"
done < <(find services deploy -name 'bench_*.py' -not -path '*/tests/*' 2>/dev/null | sort)

if [ $COUNT -eq 0 ]; then
    echo "=== bench: no benchmark scripts yet (gateway/bench_rpc.py, services/*/bench_*.py, deploy/bench_*.py)"
fi
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "=== bench: FAILED: ${FAILED[*]}"
    exit 1
fi
