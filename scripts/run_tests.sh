#!/usr/bin/env bash
# Run CertTrack's two test suites (docs/decisions/0001-foundation.md, "Tests"):
#   1. lib + services under `nameko test`, which monkey-patches eventlet first,
#      as the services run in production;
#   2. gateway + tests under plain pytest: the gateway runs without eventlet,
#      and Playwright's sync API must not run under it.
# Both always run, so one suite's failure does not hide the other's; the
# script fails if either failed. They run side by side (each on its own
# vhost and databases): most of a test's time is spent waiting on a broker,
# a database or a browser, and side by side they took 25.0 minutes where one
# after the other took 34 (docs/decisions/0025-test-suite-time.md). Each
# suite's output is kept in var/test-logs/ and shown whole when it ends.
# SUITES_IN_PARALLEL=0 runs them one after the other.
#
# Extra pytest arguments: PYTEST_ARGS="-k name -x" make test
# Per-test time limit (pytest-timeout), seconds: TEST_TIMEOUT (default 600).
# Each suite ends with its 30 slowest steps: the suite's time budget is watched
# from there (docs/decisions/0025-test-suite-time.md).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BIN=.venv/bin
TIMEOUT="${TEST_TIMEOUT:-600}"
read -r -a EXTRA <<<"${PYTEST_ARGS:-}"

export CERTTRACK_ENV=test
# Each service's package lives at services/<name>/<name>, the gateway's at
# gateway/gateway: put every such folder on the path, as `nameko run` and
# gunicorn get it, so one test run can import all of them.
for dir in services/*/ gateway; do
    [ -d "$dir" ] && PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}${dir%/}"
done
export PYTHONPATH="${PYTHONPATH:-}"

# existing FOLDER...: the given folders that exist (pytest errors on a missing one).
existing() {
    local d
    for d in "$@"; do [ -d "$d" ] && echo "$d"; done
}

# verdict LABEL RC: records it. Exit code 5 is pytest's "no tests collected":
# a folder whose tests are not written yet is not a failure. Every other
# non-zero code is.
FAILED=()
verdict() {
    case $2 in
        0) ;;
        5) echo "=== $1: no tests collected yet (pytest exit 5), not a failure" ;;
        *) echo "=== $1: FAILED (exit $2)"; FAILED+=("$1") ;;
    esac
}

PARALLEL="${SUITES_IN_PARALLEL:-1}"
LOGS=var/test-logs
mkdir -p "$LOGS"
LABELS=()
PIDS=()
# Ctrl-C or a CI timeout stops the suites running in the background too, as
# an interrupt, so that pytest still runs its teardown (stacks, databases).
# Job control gives each background suite its own process group, in which an
# interrupt is not ignored as it otherwise would be for background commands.
[ "$PARALLEL" = 1 ] && set -m
stop_suites() {
    if [ ${#PIDS[@]} -gt 0 ]; then
        kill -INT "${PIDS[@]}" 2>/dev/null
        local pid alive
        for _ in $(seq 60); do
            alive=0
            for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
            [ $alive = 0 ] && break
            sleep 1
        done
        kill -TERM "${PIDS[@]}" 2>/dev/null  # one that ignored the interrupt
    fi
    exit 130
}
trap stop_suites INT TERM

# run_suite LABEL COMMAND...: runs it now, or in the background with its
# output in $LOGS/<n>.log when the suites run side by side.
run_suite() {
    local label=$1
    shift
    if [ "$PARALLEL" = 1 ]; then
        local log="$LOGS/${#LABELS[@]}.log"
        echo "=== $label: started, output in $log when it ends"
        echo "=== $label: $*" >"$log"
        "$@" >>"$log" 2>&1 &
        LABELS+=("$label")
        PIDS+=($!)
    else
        echo
        echo "=== $label: $*"
        "$@"
        verdict "$label" $?
    fi
}

mapfile -t PATCHED < <(existing lib services)
mapfile -t PLAIN < <(existing gateway tests)

# The nameko plugin's broker option: follow AMQP_URI when the caller set one.
AMQP_ARGS=()
[ -n "${AMQP_URI:-}" ] && AMQP_ARGS=(--amqp-uri "$AMQP_URI")

if [ ${#PATCHED[@]} -gt 0 ]; then
    run_suite "eventlet-patched suite (${PATCHED[*]})" \
        "$BIN/nameko" test "${PATCHED[@]}" -q --timeout "$TIMEOUT" --durations=30 "${AMQP_ARGS[@]}" "${EXTRA[@]}"
fi
if [ ${#PLAIN[@]} -gt 0 ]; then
    # -p no:pytest_nameko: nameko's plugin would import eventlet machinery
    # into a process that must stay unpatched.
    run_suite "plain suite (${PLAIN[*]})" \
        "$BIN/python" -m pytest "${PLAIN[@]}" -p no:pytest_nameko -q --timeout "$TIMEOUT" --durations=30 "${EXTRA[@]}"
fi

# Side by side: wait for each, then show its whole output and verdict.
for i in "${!PIDS[@]}"; do
    wait "${PIDS[$i]}"
    rc=$?
    echo
    cat "$LOGS/$i.log"
    verdict "${LABELS[$i]}" $rc
done

# On success, print nothing more: pytest's own summary stays the closing line.
if [ ${#FAILED[@]} -gt 0 ]; then
    echo
    echo "=== make test: FAILED: ${FAILED[*]}"
    exit 1
fi
