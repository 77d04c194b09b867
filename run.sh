#!/usr/bin/env bash
# Sets up the project's virtual environment (first run, or when pyproject.toml changes) and runs:
#   ./run.sh              the hub on the embedded default (own nats-server, SQLite in ./.hub)
#   ./run.sh test [ARGS]  the test suite (pytest ARGS)
#   ./run.sh check        lint, format and type checks (ruff, mypy)
#   ./run.sh bench [ARGS] the ingest benchmark (benchmarks/ingest.py ARGS)
#   ./run.sh COMMAND ...  any hub command, e.g. ./run.sh status, ./run.sh publish --agency police F
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
VENV=${HUB_VENV:-.venv}

setup() {
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "run.sh: needs Python 3.11 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
  fi
  if [ ! -x "$VENV/bin/hub" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    echo "run.sh: installing into $VENV ..." >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[dev,dfe]"
    touch "$VENV/.installed"
  fi
}

command=${1:-serve}
[ $# -gt 0 ] && shift
setup
case "$command" in
  test) exec "$VENV/bin/python" -m pytest "$@" ;;
  check)
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    exec "$VENV/bin/mypy" ;;
  bench) exec "$VENV/bin/python" benchmarks/ingest.py "$@" ;;
  *) exec "$VENV/bin/hub" "$command" "$@" ;;
esac
