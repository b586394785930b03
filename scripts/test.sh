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
# Authlib (the Python relying party of the provider tests), pysaml2 (the SAML IdP of the
# HTTP tests) and schemathesis (the API fuzzer).
python3 -c 'import authlib, saml2, schemathesis' 2>/dev/null || python3 -m pip install --quiet -r e2e/requirements.txt

# Debian's packages: the HTTP tests' pysaml2 signs through xmlsec1; the browser suite needs
# Chromium, Apache with mod_auth_openidc and SimpleSAMLphp (Apache + PHP).
need() {
  local missing=() pkg test
  while [ $# -gt 0 ]; do
    pkg=$1 test=$2; shift 2
    eval "$test" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "The tests need Debian's packages: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}
need xmlsec1 'command -v xmlsec1 >/dev/null'
# A hung test must fail the run with a message, not eat CI's whole time.
timeout --kill-after=30s 45m cargo test --locked "$@"
[ $# -eq 0 ] || exit 0

need chromium '[ -x /usr/bin/chromium ]' \
  apache2 'command -v apache2 >/dev/null' \
  libapache2-mod-auth-openidc '[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ]' \
  simplesamlphp '[ -d /usr/share/simplesamlphp ]' \
  libapache2-mod-php8.2 '[ -f /usr/lib/apache2/modules/libphp8.2.so ]' \
  php-xml '[ -f /etc/php/8.2/mods-available/dom.ini ]'
cargo build --locked
timeout --kill-after=30s 20m node e2e/run.mjs
