#!/usr/bin/env bash
# Creates one database per CertTrack service, certtrack_<service>, when the
# postgres container initialises an empty data directory (docker-compose.yml
# mounts this file into /docker-entrypoint-initdb.d/). Each service owns its
# database and nothing else reads it. The services' migrations would create a
# missing database too; creating them here gives an empty cluster the layout
# an operator expects before any service has started.
set -euo pipefail

SERVICES="${CERTTRACK_SERVICES:-identity exams certs fulfillment transcripts}"

for service in $SERVICES; do
    db="certtrack_$service"
    # \gexec runs the generated CREATE only when the database does not exist,
    # so the script is safe to run twice.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
        --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<SQL
SELECT format('CREATE DATABASE %I', '$db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec
SQL
    echo "init-databases: $db ready"
done
