#!/usr/bin/env bash
# Install Nianbao as a user would and run its main commands, outside the checkout.
#
# Builds the wheel from the checkout's files, installs it (with its dependencies from the
# package registry) into a fresh virtual environment in a temporary folder, and from
# there runs `nianbao demo --no-serve`, `nianbao extract-file` on a PDF and a DOC report,
# and `nianbao serve` answering its home page. .ci/run runs it before the test suite.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
tmp=$(mktemp -d /tmp/nianbao-wheel.XXXXXX)
serve_pid=""
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
say() { printf '[wheel] %s\n' "$*"; }

# 1. The wheel, built from the files git knows (tracked and new, not ignored): a stale
#    build/ folder or a local .venv can never leak into it.
mkdir -p "$tmp/src" "$tmp/dist"
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$tmp/src"
"$PY" -m venv "$tmp/build-env"
"$tmp/build-env/bin/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$tmp/dist" "$tmp/src"
wheel=$(ls "$tmp/dist"/nianbao-*.whl)
say "built $(basename "$wheel")"
for required in nianbao/metadata.json nianbao/extract/spec/metrics.tsv nianbao/extract/spec/harmonized.tsv \
                nianbao/spiders/sources.json nianbao/demo_portal/manifest.json; do
  "$PY" -c "import sys, zipfile; sys.exit(0 if '$required' in zipfile.ZipFile('$wheel').namelist() else 1)" \
    || { echo "[wheel] $required is missing from the wheel" >&2; exit 1; }
done
if "$PY" -c "import sys, zipfile; sys.exit(0 if any(n.startswith(('tools/', 'tests/')) for n in zipfile.ZipFile('$wheel').namelist()) else 1)"; then
  echo "[wheel] the wheel ships developer tooling or tests" >&2; exit 1
fi

# 2. A fresh environment with nothing but the wheel and what it depends on.
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" 2>&1 | grep -v "^WARNING: Location" || true
nianbao="$tmp/venv/bin/nianbao"
mkdir "$tmp/work" && cd "$tmp/work"   # outside the checkout: nothing can be found there by accident
say "installed: $("$nianbao" --version)"

# 3. The main job on the bundled demo portal.
"$nianbao" demo --no-serve --dir demo
reports=$("$PY" -c "import sqlite3; print(sqlite3.connect('demo/nianbao.db').execute('select count(*) from reports').fetchone()[0])")
[ "$reports" -gt 0 ] || { echo "[wheel] the demo crawl stored no report" >&2; exit 1; }
say "demo: $reports reports"

# 4. Reports published as files, read by the core install.
for doc in report2018.pdf report2018.doc; do
  "$nianbao" extract-file "$repo/tests/fixtures/attachments/$doc" > "$doc.json"
  "$PY" - "$doc.json" <<'PYEOF'
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
assert data["is_report"] and data["template"] == "gk2008" and data["metrics"], data
print(f"[wheel] extract-file {sys.argv[1][:-5]}: {data['template']}, {len(data['metrics'])} figures")
PYEOF
done

# 5. What the plain install leaves out says so in one line: an extra, and checkout-only tooling.
expect_one_line() {  # expect_one_line TEXT COMMAND...: fails unless the command exits 1 saying TEXT, no traceback
  local text=$1; shift
  if "$@" > out.log 2>&1; then echo "[wheel] '$*' should have failed" >&2; exit 1; fi
  grep -q "$text" out.log && ! grep -q Traceback out.log || { echo "[wheel] '$*' said:" >&2; cat out.log >&2; exit 1; }
  say "$(tail -1 out.log)"
}
expect_one_line "nianbao\[browser\]" "$nianbao" crawl --browser --start-url http://127.0.0.1:9/ --db x.db --archive xw
expect_one_line "checkout" "$nianbao" evaluate

# 6. Datasette answers its home page.
port=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$nianbao" serve --db demo/nianbao.db --archive demo/warc --port "$port" > serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 1 60); do
  if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=2)" 2>/dev/null; then
    say "serve: home page answers on port $port"
    exit 0
  fi
  sleep 1
done
echo "[wheel] nianbao serve did not answer:" >&2; cat serve.log >&2; exit 1
