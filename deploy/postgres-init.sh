#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is created: one role and one database per
# service. Each database belongs to its role and PUBLIC may not connect, so a service can
# reach only its own database.
set -euo pipefail
for svc in registry education health housing water aggregator; do
  var="$(echo "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  pass="${!var:?$var must be set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE $svc LOGIN PASSWORD '$pass';
CREATE DATABASE $svc OWNER $svc;
REVOKE ALL ON DATABASE $svc FROM PUBLIC;
SQL
done
