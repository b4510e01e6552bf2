#!/usr/bin/env bash
# Installs, builds and runs the seeded messaging service on the embedded defaults (everything in
# ./.cruddur, or $CRUDDUR_DATA_DIR): the API on http://127.0.0.1:4567 and, from the same process,
# the DynamoDB endpoint on http://127.0.0.1:8000 (aws CLI, boto3, `cruddur ddb ...`).
# The first run creates the users database and the messages table and seeds both; later runs
# keep the data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh cruddur
cruddur=build/cruddur
data_dir="${CRUDDUR_DATA_DIR:-$PWD/.cruddur}"
export CRUDDUR_DATA_DIR="$data_dir"

if [[ ! -f "$data_dir/users.db" ]]; then
  "$cruddur" db setup
fi
if "$cruddur" ddb schema-load >/dev/null 2>&1; then
  "$cruddur" ddb seed
fi
echo "== open http://127.0.0.1:${PORT:-4567}/ in a browser (pick a seeded user), or"
echo "== try: TOKEN=\$($cruddur auth token andrewbrown); curl -H \"Authorization: Bearer \$TOKEN\" http://127.0.0.1:${PORT:-4567}/api/message_groups"
exec "$cruddur" serve --host 127.0.0.1 --port "${PORT:-4567}" --ddb-port "${DDB_PORT:-8000}" "$@"
