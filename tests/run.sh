#!/usr/bin/env bash
# README's command 2: install what the tests need, then lint, type-check and run the whole suite.
# Installs Debian packages only where missing (needs root or sudo), makes .venv, starts PostgreSQL if it is
# installed but stopped. Pass pytest arguments after the script name, e.g. `bash tests/run.sh -k parsers`.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui libreoffice-calc-nogui)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: the store's tests run on it too. Start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,postgres]' 2>&1 \
  | grep -v '^WARNING: Location' || true

echo "== ruff"
.venv/bin/ruff check ingest parsers store scheduler.py cli.py tests bench samples
echo "== mypy"
.venv/bin/mypy ingest parsers store scheduler.py cli.py tests bench samples
echo "== pytest"
exec .venv/bin/pytest "$@"
