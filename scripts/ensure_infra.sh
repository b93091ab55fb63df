#!/usr/bin/env bash
# Make sure the local infrastructure CertTrack needs is installed and running:
#   - RabbitMQ on the AMQP_URI host (local only) with the management plugin,
#     which nameko's test fixtures use to create a vhost per test run, and
#     the Prometheus plugin (queue depth and consumers, on :15692);
#   - PostgreSQL on 127.0.0.1:5432, reachable as `postgres` without a password
#     (the default database URL of every service);
#   - Redis on 127.0.0.1:6379, where the gateway remembers logged-out sessions;
#   - Debian's chromium, for the browser tests, and DejaVu fonts for certificates;
#   - promtool, which checks deploy/prometheus/ in the tests;
#   - wrk, the load tool of the page benchmarks (`make bench`).
#
# Runs on every `make run` / `make test`, so the path where everything is
# already up must stay fast: it only probes ports and looks up commands.
# Missing pieces are installed with apt-get when running as root (developer
# containers and CI); otherwise it says what to install.
#
# Arguments name the pieces to see to (rabbitmq postgres redis chromium fonts
# promtool wrk; none: all). `make run`, `make test` and `make infra` call it through
# `python -m deploy.local_infra`, which leaves out the servers that a Docker
# engine runs as throwaway containers instead on a machine that cannot install
# Debian's packages (deploy/local_infra/choice.py, decision 0032).
#
# STRICT=1 (used by `make test`): PostgreSQL is required. Without it, a missing
# PostgreSQL is only a warning, and `make run` falls back to SQLite files in var/.
set -euo pipefail

STRICT="${STRICT:-0}"
PG_HOST=127.0.0.1
PG_PORT=5432

say()  { echo "infra: $*"; }
warn() { echo "infra: WARNING: $*" >&2; }
die()  { echo "infra: ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# A TCP connect through bash's /dev/tcp: no netcat needed, and instant on loopback.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# wait_for SECONDS COMMAND...: retry COMMAND once a second until it succeeds.
wait_for() {
    local seconds=$1; shift
    local i
    for ((i = 0; i < seconds; i++)); do
        "$@" && return 0
        sleep 1
    done
    return 1
}

APT_UPDATED=0
apt_install() {
    # Package lists may be missing or stale on a fresh machine: update once per run.
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing $* with apt-get (once; takes a minute)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- PostgreSQL
pg_accepts_postgres_user() {
    # The services connect as postgres@127.0.0.1 with no password by default.
    PGCONNECT_TIMEOUT=3 psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
        -w -Atqc 'select 1' >/dev/null 2>&1
}

pg_allow_loopback_trust() {
    # Only for a cluster this script has just installed: Debian's default asks
    # for a password over TCP, while the services' default URL has none. Trust
    # is limited to the loopback addresses, as on the developers' machines.
    local hba="/etc/postgresql/$1/main/pg_hba.conf" tmp
    tmp=$(mktemp)
    {
        echo "# Added by CertTrack scripts/ensure_infra.sh: local development, loopback only."
        echo "host all all 127.0.0.1/32 trust"
        echo "host all all ::1/128 trust"
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba"
    rm -f "$tmp"
    pg_ctlcluster --skip-systemctl-redirect "$1" main reload
}

ensure_postgres() {
    local installed=0 version
    if port_open "$PG_HOST" "$PG_PORT"; then
        pg_accepts_postgres_user || warn "PostgreSQL answers on $PG_HOST:$PG_PORT but not to user postgres without a password; set <SERVICE>_DATABASE_URL"
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null; then
        is_root || { warn "PostgreSQL is not installed (apt-get install postgresql, as root)"; return 1; }
        apt_install postgresql
        installed=1
    fi
    # Newest installed major version; Debian's package creates its `main` cluster.
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || { warn "no PostgreSQL cluster under /etc/postgresql"; return 1; }
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    wait_for 30 port_open "$PG_HOST" "$PG_PORT" || { warn "PostgreSQL did not start (see /var/log/postgresql/)"; return 1; }
    [ "$installed" = 1 ] && pg_allow_loopback_trust "$version"
    pg_accepts_postgres_user || warn "PostgreSQL is up but refuses postgres@$PG_HOST without a password"
    return 0
}

# ------------------------------------------------------------------ RabbitMQ
# The broker host and port come from AMQP_URI (default: local guest broker).
amqp_host_port() {
    local uri="${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}" hostport
    hostport="${uri#*://}"         # drop scheme
    hostport="${hostport##*@}"     # drop credentials
    hostport="${hostport%%/*}"     # drop vhost
    AMQP_HOST="${hostport%%:*}"
    AMQP_PORT=5672
    [[ "$hostport" == *:* ]] && AMQP_PORT="${hostport##*:}"
    return 0
}

rabbit_ready() { port_open "$AMQP_HOST" "$AMQP_PORT" && rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; }

ensure_rabbitmq() {
    amqp_host_port
    case "$AMQP_HOST" in
        127.0.0.1 | localhost | ::1) ;;
        *)
            # Someone else's broker: nothing to start, only check it answers.
            port_open "$AMQP_HOST" "$AMQP_PORT" || die "no broker answers at $AMQP_HOST:$AMQP_PORT (AMQP_URI)"
            return 0
            ;;
    esac
    if ! port_open "$AMQP_HOST" "$AMQP_PORT"; then
        if ! command -v rabbitmq-server >/dev/null; then
            is_root || die "RabbitMQ is not installed (apt-get install rabbitmq-server, as root)"
            apt_install rabbitmq-server
        fi
        # The package may have started it already; starting twice would fail.
        if ! port_open "$AMQP_HOST" "$AMQP_PORT"; then
            say "starting RabbitMQ"
            # Room for quorum queues from the start (see ensure_rabbit_file_handles).
            (ulimit -n "$RABBIT_OPEN_FILES" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
             rabbitmq-server -detached >/dev/null 2>&1) || true
        fi
        wait_for 90 rabbit_ready || die "RabbitMQ did not start (see /var/log/rabbitmq/)"
    fi
    # nameko's test fixtures create a vhost per run through the management API.
    if ! port_open 127.0.0.1 15672; then
        say "enabling the rabbitmq_management plugin"
        rabbitmq-plugins -q enable rabbitmq_management >/dev/null
        wait_for 60 port_open 127.0.0.1 15672 || die "RabbitMQ management API did not come up on :15672"
    fi
    # Queue depth and consumers for Prometheus (deploy/prometheus/, docs/alerts.md).
    if ! port_open 127.0.0.1 15692; then
        say "enabling the rabbitmq_prometheus plugin"
        rabbitmq-plugins -q enable rabbitmq_prometheus >/dev/null
        wait_for 60 port_open 127.0.0.1 15692 || die "RabbitMQ's Prometheus endpoint did not come up on :15692"
    fi
    ensure_rabbit_file_handles
}

# RabbitMQ 3.10 budgets about three file handles per quorum queue against its
# process's open-files limit less a reserve: Debian's 1,024 leaves 927, about
# 300 quorum queues. Each test run's vhost declares a hundred (decision 0031),
# and a node out of budget stops creating vhosts and queues for everyone.
# A node already running is given room without a restart: a higher limit for
# its process, and the budget set to match.
RABBIT_OPEN_FILES=65536
RABBIT_ENOUGH_HANDLES=5000
ensure_rabbit_file_handles() {
    local total pid budget hard files
    total=$(curl -s -m 5 -u guest:guest "http://127.0.0.1:15672/api/nodes?columns=fd_total" 2>/dev/null \
        | grep -o '"fd_total":[0-9]*' | head -n 1 | cut -d: -f2)
    [ -n "$total" ] && [ "$total" -ge "$RABBIT_ENOUGH_HANDLES" ] && return 0
    budget=$(rabbitmqctl -q eval 'file_handle_cache:get_limit().' 2>/dev/null | tr -dc 0-9)
    [ -n "$budget" ] && [ "$budget" -ge "$RABBIT_ENOUGH_HANDLES" ] && return 0
    pid=$(rabbitmqctl -q eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
    if ! is_root || ! command -v prlimit >/dev/null || [ -z "$pid" ]; then
        warn "RabbitMQ may open only ${total:-?} files, about $(( ${budget:-900} / 3 )) quorum queues; start it with a higher ulimit -n"
        return 0
    fi
    # Up to the process's hard limit: raising that takes a capability a container may lack.
    hard=$(awk '/^Max open files/ {print $5}' "/proc/$pid/limits" 2>/dev/null)
    files=$RABBIT_OPEN_FILES
    [[ "$hard" =~ ^[0-9]+$ ]] && [ "$hard" -lt "$files" ] && files=$hard
    if prlimit --pid "$pid" --nofile="$files:$files" 2>/dev/null; then
        budget=$(( files - 1000 ))
    else
        # Another user's process, without CAP_SYS_RESOURCE (a container): the budget alone.
        # It counts handles a quorum queue may use, not files it holds open: 680 quorum
        # queues were seen holding about 210 files, so 6,000 fits 1,024 real ones.
        budget=6000
    fi
    say "giving RabbitMQ room for quorum queues (a budget of $budget file handles)"
    rabbitmqctl -q eval "file_handle_cache:set_limit($budget)." >/dev/null \
        || warn "could not raise RabbitMQ's file handle budget"
}

# --------------------------------------------------------------------- Redis
# The gateway's default REDIS_URL. Nothing in it needs to outlive a restart (ended
# sessions expire within hours), so it runs without persistence.
ensure_redis() {
    port_open 127.0.0.1 6379 && return 0
    if ! command -v redis-server >/dev/null; then
        is_root || { warn "Redis is not installed (apt-get install redis-server, as root)"; return 1; }
        apt_install redis-server
    fi
    say "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/certtrack.log >/dev/null 2>&1 || true
    wait_for 20 port_open 127.0.0.1 6379 || { warn "Redis did not start (see /var/log/redis/)"; return 1; }
}

# ------------------------------------------------------------------ Chromium
ensure_chromium() {
    command -v chromium >/dev/null && return 0
    if is_root; then
        apt_install chromium
    else
        warn "chromium is missing (apt-get install chromium, as root; without apt-get, put one at /usr/bin/chromium): browser tests cannot run"
    fi
}

# ------------------------------------------------------------------ wrk
ensure_wrk() {
    command -v wrk >/dev/null && return 0
    if is_root; then
        apt_install wrk
    else
        warn "wrk is missing (apt-get install wrk, as root): the page benchmarks cannot run"
    fi
}

# ------------------------------------------------------------------ Fonts
# Certificates and logos are drawn with DejaVu Sans: it covers Latin, Greek and
# Cyrillic names (Helvetica, the fallback, shows boxes for "Łukasz" or "Ольга").
ensure_fonts() {
    ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 && return 0
    if is_root; then
        apt_install fonts-dejavu-core
    else
        warn "fonts-dejavu-core is missing (apt-get install fonts-dejavu-core, as root): certificates fall back to Helvetica"
    fi
}

# ------------------------------------------------------------------ promtool
# Only promtool, taken from Debian's prometheus package: installing the package
# would also start a Prometheus server nobody asked for.
ensure_promtool() {
    command -v promtool >/dev/null && return 0
    if ! is_root; then
        warn "promtool is missing (Debian's prometheus package has it): the alert-rule tests cannot run"
        return 0
    fi
    local tmp
    tmp=$(mktemp -d)
    say "installing promtool from Debian's prometheus package"
    [ "$APT_UPDATED" = 1 ] || { apt-get update -qq; APT_UPDATED=1; }
    (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || { warn "could not download Debian's prometheus package"; rm -rf "$tmp"; return 0; }
    dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
    install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
    rm -rf "$tmp"
}

# ---------------------------------------------------------------------- main
main_rabbitmq() {
    ensure_rabbitmq
    say "RabbitMQ ok at $AMQP_HOST:$AMQP_PORT"
}

main_postgres() {
    if ensure_postgres; then
        say "PostgreSQL ok at $PG_HOST:$PG_PORT"
    elif [ "$STRICT" = 1 ]; then
        die "PostgreSQL is required here (the test suite runs against a real PostgreSQL)"
    else
        warn "no PostgreSQL: make run will keep each service's data in SQLite files under var/"
    fi
}

main_redis() {
    if ensure_redis; then
        say "Redis ok at 127.0.0.1:6379"
    elif [ "$STRICT" = 1 ]; then
        die "Redis is required here (the tests of logging out use the real Redis)"
    else
        warn "no Redis: logging out will not end copies of a session cookie"
    fi
}

[ $# -gt 0 ] || set -- rabbitmq postgres redis chromium fonts promtool wrk
for piece in "$@"; do
    case "$piece" in
        rabbitmq | postgres | redis) "main_$piece" ;;
        chromium | fonts | promtool | wrk) "ensure_$piece" ;;
        *) die "unknown piece: $piece (rabbitmq postgres redis chromium fonts promtool wrk)" ;;
    esac
done
