#!/usr/bin/env bash
# Runs every test: unit tests, the HTTP tests on SQLite and on PostgreSQL, then the browser
# suite (e2e/run.mjs) on both databases, against the debug build the tests already made
# (CI compiles once: a release build cost 14 minutes and the suite needs no speed).
# Needs PostgreSQL at VESTIBULE_TEST_PG (default postgres://postgres@127.0.0.1:5432, trust
# auth), Node.js for the real peers in e2e/peers, and Debian's Chromium for the browser
# suite (installed here when missing and we may). Arguments go to `cargo test` and skip the
# browser suite: `./scripts/test.sh signup::` runs only those tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/openid-client ]; then
  npm ci --prefix e2e --no-audit --no-fund
fi
# Authlib (the Python relying party of the provider tests) and schemathesis (the API fuzzer).
python3 -c 'import authlib, schemathesis' 2>/dev/null || python3 -m pip install --quiet -r e2e/requirements.txt
# A hung test must fail the run with a message, not eat CI's whole time.
timeout --kill-after=30s 45m cargo test --locked "$@"
[ $# -eq 0 ] || exit 0

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v apache2 >/dev/null || missing+=(apache2)
[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || missing+=(libapache2-mod-auth-openidc)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "The browser suite needs Debian's packages: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
cargo build --locked
timeout --kill-after=30s 20m node e2e/run.mjs
