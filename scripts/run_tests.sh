#!/usr/bin/env bash
# Run CertTrack's two test suites (docs/decisions/0001-foundation.md, "Tests"):
#   1. lib + services under `nameko test`, which monkey-patches eventlet first,
#      as the services run in production;
#   2. gateway + tests under plain pytest: the gateway runs without eventlet,
#      and Playwright's sync API must not run under it.
# Both always run, so one suite's failure does not hide the other's; the
# script fails if either failed.
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

# run_suite LABEL COMMAND...: runs it and records a verdict. Exit code 5 is
# pytest's "no tests collected": a folder whose tests are not written yet is
# not a failure. Every other non-zero code is.
FAILED=()
run_suite() {
    local label=$1 rc
    shift
    echo
    echo "=== $label: $*"
    "$@"
    rc=$?
    case $rc in
        0) ;;
        5) echo "=== $label: no tests collected yet (pytest exit 5), not a failure" ;;
        *) echo "=== $label: FAILED (exit $rc)"; FAILED+=("$label") ;;
    esac
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

# On success, print nothing more: pytest's own summary stays the closing line.
if [ ${#FAILED[@]} -gt 0 ]; then
    echo
    echo "=== make test: FAILED: ${FAILED[*]}"
    exit 1
fi
