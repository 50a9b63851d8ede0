#!/usr/bin/env bash
# Distributed evaluation:  tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# Nodes (NNODES, NODE_RANK, MASTER_ADDR, PORT), Python, input errors and a killed launcher as in tools/dist_train.sh.
CONFIG=$1
CHECKPOINT=$2
NPROCS=$3
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}

PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "$PYTHON" "$ROOT/tools/dist_run.py" "$NPROCS" \
    "$ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
