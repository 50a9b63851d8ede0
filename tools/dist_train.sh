#!/usr/bin/env bash
# Distributed training on one or more nodes:  tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Multi-node: NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 PORT=29500 tools/dist_train.sh CONFIG 8
# On CPU-only machines the gloo backend is used automatically (or: --cfg-options env_cfg.dist_cfg.backend=gloo).
# Python: $PYTHON if set, else the project's .venv if it exists, else python on PATH.
# An input error (bad config, missing data) is one `error: ...` line and exit code 2 (see tools/dist_run.py).
# The ranks end with this launcher, also when it is killed outright (kill -9): none is left writing the work dir.
CONFIG=$1
NPROCS=$2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}

PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "$PYTHON" "$ROOT/tools/dist_run.py" "$NPROCS" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
