#!/usr/bin/env bash
# The browser suite in one command: installs its npm packages, builds the release binary, and runs the
# flows in Debian's Chromium with the axe-core and Nu HTML Checker gates. Exits non-zero on any failure.
#
#   tests/browser/run.sh                        # from anywhere in the repo
#   UPDATE_SCREENSHOTS=1 tests/browser/run.sh   # also refresh docs/screenshots/
#
# Needs: the apt package `chromium` (/usr/bin/chromium), Java 17+ (`java`), Node 20+ with npm, cargo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing=()
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=("Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium} (apt-get install -y chromium)")
command -v java >/dev/null || missing+=("java, 17 or newer, for the Nu HTML Checker (apt-get install -y openjdk-17-jre-headless)")
command -v node >/dev/null || missing+=("node, 20 or newer")
command -v npm >/dev/null || missing+=("npm")
command -v cargo >/dev/null || missing+=("cargo")
if ((${#missing[@]})); then
  printf 'tests/browser/run.sh: missing %s\n' "${missing[@]}" >&2
  exit 1
fi

echo "== npm packages (tests/browser) =="
cd "$here"
# --ignore-scripts: vnu-jar's postinstall would try to download a Java runtime; the system's Java is used.
if [[ -f package-lock.json ]]; then
  npm ci --ignore-scripts --no-audit --no-fund
else
  npm install --ignore-scripts --no-audit --no-fund
fi

echo "== cargo build --release =="
(cd "$root" && cargo build --release --locked)

echo "== browser suite =="
# Every *.test.mjs, one file at a time: each starts its own server and Chromium, and the machine's
# cores are better spent on one browser than on two fighting over them.
node --test --test-reporter=spec --test-concurrency=1 ./*.test.mjs
