#!/usr/bin/env bash
# Installs, builds and runs cruddur on the embedded defaults (data in ./.cruddur).
# Today this is the DynamoDB endpoint on http://127.0.0.1:8000; the messaging API joins it
# when `cruddur serve` lands.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh cruddur
exec build/cruddur ddb serve --host 127.0.0.1 --port "${PORT:-8000}" "$@"
