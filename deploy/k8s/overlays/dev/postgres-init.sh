#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is empty (the image's /docker-entrypoint-initdb.d):
# one role and one database per service, each database owned by its role and closed to
# PUBLIC, so a service's credentials reach only its own database. As deploy/postgres-init.sh
# does for docker-compose; XK_DB_PREFIX (empty here) lets deploy/k8s_check.py run it on a
# shared server with per-run names.
set -euo pipefail
prefix="${XK_DB_PREFIX:-}"
for svc in registry education health housing water aggregator; do
  var="$(echo "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  pass="${!var:?$var must be set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${prefix}${svc} LOGIN PASSWORD '$pass';
CREATE DATABASE ${prefix}${svc} OWNER ${prefix}${svc};
REVOKE ALL ON DATABASE ${prefix}${svc} FROM PUBLIC;
SQL
done
