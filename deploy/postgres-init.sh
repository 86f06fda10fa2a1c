#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is created: one role and one database per
# service. Each database belongs to its role and PUBLIC may not connect, so a service can
# reach only its own database. Each role's password comes from that service's database
# URL secret (<service>-database-url under $SECRETS_DIR, /run/secrets in the container),
# so the URL a service is given and the password its role has cannot disagree.
set -euo pipefail
secrets="${SECRETS_DIR:-/run/secrets}"
for svc in registry education health housing water aggregator; do
  url="$(tr -d '\r\n' <"$secrets/$svc-database-url")"
  userinfo="${url#*://}"
  userinfo="${userinfo%@*}"
  user="${userinfo%%:*}"
  encoded="${userinfo#*:}"
  if [ "$user" != "$svc" ] || [ "$encoded" = "$userinfo" ] || [ -z "$encoded" ]; then
    echo "$secrets/$svc-database-url must read postgres://$svc:PASSWORD@…/$svc" >&2
    exit 1
  fi
  # The URL percent-encodes the password; the role needs it decoded.
  pass="$(printf '%b' "${encoded//%/\\x}")"
  # The password goes in as a psql variable (:'pass' quotes it), never pasted into SQL.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pass="$pass" <<SQL
CREATE ROLE $svc LOGIN PASSWORD :'pass';
CREATE DATABASE $svc OWNER $svc;
REVOKE ALL ON DATABASE $svc FROM PUBLIC;
SQL
done
