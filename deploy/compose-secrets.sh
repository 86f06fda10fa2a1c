#!/usr/bin/env bash
# Writes the secret files docker-compose.yml mounts, one set per container, into DIR
# (default: secrets/ beside docker-compose.yml, or $XK_SECRETS_DIR):
#   postgres-password             the PostgreSQL superuser's (postgres container only)
#   <service>-database-url        postgres://<service>:<password>@postgres:5432/<service>
#   tokens.toml                   every principal's bearer token: the operator's copy,
#                                 mounted into no container
#   <service>-tokens              the tokens that service verifies: its bureau's, the
#                                 aggregator's and admin's (the aggregator's: its own and admin's)
#   aggregator-token              the token the aggregator presents upstream
#   loadtest-tokens               the five bureaus' and the aggregator's (no admin)
#   grafana-admin-password        Grafana's admin login (observability profile)
# Missing passwords and tokens are created at random; existing ones are kept, so running it
# again is safe. The per-service token files are always rewritten from tokens.toml: edit a
# token there (rotation) and run this again.
#
# The folder is 0700 (other users of this host cannot list or read it); the files in it
# are 0644 because compose bind-mounts file secrets with the host file's owner and mode,
# and the containers run as their own users (xiaokang 10001, postgres 999), not as you.
set -euo pipefail

dir="${1:-${XK_SECRETS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/secrets}}"
umask 022
mkdir -p "$dir"
chmod 0700 "$dir"

services=(registry education health housing water aggregator)
# principal-name of the bureau whose token each domain service verifies.
declare -A bureau=(
  [registry]=poverty-office [education]=education [health]=medical-security
  [housing]=relocation [water]=water-resources
)
principals=(admin aggregator poverty-office education medical-security relocation water-resources)

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# Writes a file only if it does not exist yet, so reruns keep the passwords PostgreSQL
# already holds.
create_once() {
  local path="$dir/$1"
  if [ ! -s "$path" ]; then
    printf '%s\n' "$2" >"$path.tmp"
    mv "$path.tmp" "$path"
  fi
}

create_once postgres-password "$(random_hex)"
create_once grafana-admin-password "$(random_hex)"
for svc in "${services[@]}"; do
  create_once "$svc-database-url" "postgres://$svc:$(random_hex)@postgres:5432/$svc"
done
if [ ! -s "$dir/tokens.toml" ]; then
  {
    echo "# Bearer tokens of the xiaokang suite, one per principal. Keep this file secret."
    for p in "${principals[@]}"; do echo "$p = \"$(random_hex)\""; done
  } >"$dir/tokens.toml.tmp"
  mv "$dir/tokens.toml.tmp" "$dir/tokens.toml"
fi

# The line `name = "token"` of tokens.toml, as it stands.
token_line() {
  local line
  line="$(grep -E "^$1[[:space:]]*=" "$dir/tokens.toml" || true)"
  [ -n "$line" ] || { echo "tokens.toml has no token for $1" >&2; exit 1; }
  echo "$line"
}

# Every derived file is written whole, then moved into place: a container starting at
# that moment never reads half a file.
derive() {
  local name="$1"
  shift
  for p in "$@"; do token_line "$p"; done >"$dir/$name.tmp"
  mv "$dir/$name.tmp" "$dir/$name"
}

for svc in registry education health housing water; do
  derive "$svc-tokens" admin aggregator "${bureau[$svc]}"
done
derive aggregator-tokens admin aggregator
derive loadtest-tokens aggregator poverty-office education medical-security relocation water-resources
token_line aggregator | sed -E 's/^[^"]*"([^"]*)".*$/\1/' >"$dir/aggregator-token.tmp"
mv "$dir/aggregator-token.tmp" "$dir/aggregator-token"

echo "secrets in $dir: $(ls "$dir" | tr '\n' ' ')"
