#!/usr/bin/env bash
# Runs every test: unit tests, and the HTTP tests on SQLite and on PostgreSQL.
# Needs PostgreSQL at VESTIBULE_TEST_PG (default postgres://postgres@127.0.0.1:5432, trust
# auth) and Node.js for the real SMTP server the mail tests start.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d e2e/node_modules/smtp-server ]; then
  npm ci --prefix e2e --no-audit --no-fund
fi
cargo test --locked "$@"
