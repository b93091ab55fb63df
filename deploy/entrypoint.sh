#!/usr/bin/env bash
# Entrypoint of the one CertTrack image (deploy/Dockerfile): the command picks
# the role, so Compose and Kubernetes run every component from the same build.
#
#   service <name>            migrate <name>'s database, then `nameko run` it
#                             (MIGRATE_ON_START=0 skips the migration, e.g. where
#                             a Kubernetes Job migrates before the rollout)
#   gateway                   the Flask gateway under gunicorn on 0.0.0.0:$PORT (8000)
#   transcripts-web           the transcripts service's public verification app
#                             (/verify/<code>, /api/v1/verify/<code>) under gunicorn
#                             on 0.0.0.0:$PORT (8000), with the gateway's settings
#   migrate <name>...         create and migrate the named services' databases
#   warehouse-simulator       the warehouse stand-in (development and demos)
#   broker-users              as the broker administrator (BROKER_ADMIN_URI): declare
#                             the topology, create or update every CertTrack process's
#                             broker user with its password (BROKER_PASSWORD_<PARTY>)
#                             and its permissions; BROKER_DEV_USERS=1 adds vendor-dev
#                             and warehouse-dev (development only)
#   payment-sandbox           the local payment sandbox on 0.0.0.0:$PAYMENT_SANDBOX_PORT
#                             (development and demos: test cards only)
#   healthcheck service <name> | healthcheck gateway | healthcheck transcripts-web
#                             exit 0 when the component answers (container probes)
#   anything else             run as a command (e.g. `bash` to look around)
set -euo pipefail

ROOT="${CERTTRACK_ROOT:-/app}"
cd "$ROOT"

# The development default of docker-compose.yml; never acceptable in production.
DEV_SECRET_KEY="dev-only-insecure-secret-key"

die() { echo "entrypoint: $*" >&2; exit 2; }

usage() {
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

require_service() {
    [ -n "${1:-}" ] || usage
    [ -f "services/$1/config.yml" ] || die "unknown service '$1' (no services/$1/config.yml)"
}

# Production refuses to start without a real secret: tokens signed with a
# known key could be forged.
check_secret() {
    if [ "${CERTTRACK_ENV:-production}" = production ]; then
        if [ -z "${SECRET_KEY:-}" ] || [ "$SECRET_KEY" = "$DEV_SECRET_KEY" ]; then
            die "CERTTRACK_ENV=production needs SECRET_KEY set to a real secret"
        fi
    fi
}

# migrate NAME...: each service's Alembic env.py imports its own package.
migrate() {
    local name path=""
    for name in "$@"; do
        require_service "$name"
        path="${path:+$path:}services/$name"
    done
    PYTHONPATH="$path${PYTHONPATH:+:$PYTHONPATH}" python -m certtrack_shared.migrations "$@"
}

healthcheck() {
    case "${1:-}" in
        service)
            require_service "${2:-}"
            # One RPC round trip to the service's health() through the broker.
            exec python - "$2" <<'PY'
import os, sys
from certtrack_shared.rpc_client import cluster_rpc

# A service's own broker user may call its own health() and no other RPC.
with cluster_rpc(os.environ["AMQP_URI"], timeout=5) as rpc:
    getattr(rpc, sys.argv[1]).health()
PY
            ;;
        gateway | transcripts-web)
            exec python - <<'PY'
import os, sys, urllib.request

url = "http://127.0.0.1:%s/healthz" % os.environ.get("PORT", "8000")
with urllib.request.urlopen(url, timeout=5) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
            ;;
        *) usage ;;
    esac
}

role="${1:-}"
[ $# -gt 0 ] && shift
case "$role" in
    service)
        require_service "${1:-}"
        name="$1"
        check_secret
        if [ "${MIGRATE_ON_START:-1}" != 0 ]; then
            migrate "$name"
        fi
        export PYTHONPATH="services/$name${PYTHONPATH:+:$PYTHONPATH}"
        exec nameko run --config "services/$name/config.yml" "$name.service"
        ;;
    gateway)
        check_secret
        export PYTHONPATH="gateway${PYTHONPATH:+:$PYTHONPATH}"
        # No control socket: its default place, $HOME/.gunicorn, is read-only here.
        exec gunicorn -c gateway/gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" \
            --no-control-socket "gateway.app:create_app()"
        ;;
    transcripts-web)
        # Reads only the transcripts database (TRANSCRIPTS_DATABASE_URL): no broker, no
        # secret key. TRUSTED_PROXY_COUNT says how many proxies append X-Forwarded-For.
        export PYTHONPATH="services/transcripts${PYTHONPATH:+:$PYTHONPATH}"
        exec gunicorn -c gateway/gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" \
            --no-control-socket "transcripts.public_web:create_app()"
        ;;
    migrate)
        [ $# -gt 0 ] || usage
        migrate "$@"
        ;;
    warehouse-simulator)
        if [ ! -f deploy/warehouse_simulator.py ]; then
            # It arrives with a later change; an image without it has nothing to do.
            echo "entrypoint: no deploy/warehouse_simulator.py in this image; exiting" >&2
            exit 0
        fi
        exec python deploy/warehouse_simulator.py "$@"
        ;;
    broker-users)
        if [ "${BROKER_DEV_USERS:-0}" = 1 ]; then
            set -- --development "$@"
        fi
        exec python -m certtrack_shared.broker_identities apply "$@"
        ;;
    payment-sandbox)
        export PYTHONPATH="deploy${PYTHONPATH:+:$PYTHONPATH}"
        export PAYMENT_SANDBOX_HOST="${PAYMENT_SANDBOX_HOST:-0.0.0.0}"
        exec python -m payment_sandbox
        ;;
    healthcheck)
        healthcheck "$@"
        ;;
    "" | -h | --help | help)
        usage
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
