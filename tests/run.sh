#!/usr/bin/env bash
# README's command 2: install what the tests need, then lint, type-check and run the whole suite.
# Installs Debian packages only where missing (needs root or sudo), makes .venv, and makes sure a PostgreSQL
# server the tests can reach is running. Pass pytest arguments after the script name, e.g. `bash tests/run.sh -k parsers`.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui libreoffice-calc-nogui)
# The console's browser test drives Debian's Chromium through Playwright (never a browser Playwright downloads).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Chinese text in the PDFs and pictures the parser tests make; OpenCV (the [ocr] extra) links libGL and GLib.
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1 ' || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0 ' || need+=(libglib2.0-0)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: the store's tests run on it too. They connect as postgres to 127.0.0.1 without a password
# (INTAKE_TEST_PG_URL overrides). Use the local server when it lets us in; else start the installed cluster; else
# (or when it will not let us in) run a throwaway cluster of our own in .pgtest/ on port 55432 with trust auth.
# Nothing else on the machine is changed or stopped.
pg_ok() {  # $1: port
  PGCONNECT_TIMEOUT=3 psql -w -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1
}
if [ -z "${INTAKE_TEST_PG_URL:-}" ]; then
  if [ -z "${INTAKE_PG_THROWAWAY:-}" ] && ! pg_ok 5432 && command -v pg_ctlcluster >/dev/null 2>&1 \
      && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start 2>/dev/null || true
    for _ in 1 2 3 4 5; do pg_ok 5432 && break; sleep 1; done
  fi
  if [ -n "${INTAKE_PG_THROWAWAY:-}" ] || ! pg_ok 5432; then
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      echo "== installing postgresql"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    fi
    PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
    PGDIR="$PWD/.pgtest"
    as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    if [ ! -f "$PGDIR/PG_VERSION" ]; then
      echo "== starting a throwaway PostgreSQL cluster in .pgtest/ (port 55432, trust auth)"
      mkdir -p "$PGDIR"
      [ "$(id -u)" = "0" ] && chown postgres "$PGDIR"
      as_pg "$PGBIN/initdb" -D "$PGDIR" -A trust -U postgres >/dev/null
    fi
    if ! pg_ok 55432; then
      as_pg "$PGBIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/log" -w \
        -o "-p 55432 -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    export INTAKE_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:55432/postgres"
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,postgres,ocr]' 2>&1 \
  | grep -v '^WARNING: Location' || true

echo "== ruff"
.venv/bin/ruff check core ingest parsers store digest mailout service receipts roster web scheduler.py cli.py tests bench samples docs
echo "== mypy"
.venv/bin/mypy core ingest parsers store digest mailout service receipts roster web scheduler.py cli.py tests bench samples docs
echo "== pytest"
exec .venv/bin/pytest "$@"
