#!/bin/sh
# Container entrypoint: Docker's *_FILE convention for the one variable Ruche's PostgreSQL client
# reads from the environment (PGPASSWORD), then the command. Ruche's own secrets need no help:
# the config names them with { file = "…" } or { env = "…" }.
set -eu

if [ -n "${PGPASSWORD_FILE:-}" ]; then
  if [ -n "${PGPASSWORD:-}" ]; then
    echo "ruche-entrypoint: set PGPASSWORD or PGPASSWORD_FILE, not both" >&2
    exit 64
  fi
  PGPASSWORD=$(cat "$PGPASSWORD_FILE")
  export PGPASSWORD
  unset PGPASSWORD_FILE
fi

exec "$@"
