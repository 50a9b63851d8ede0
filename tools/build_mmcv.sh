#!/usr/bin/env bash
# Build mmcv 2.1.0 with its C++ (and, with CUDA, CUDA) ops from the PyPI sdist into the given python's env.
#
# Why a script: mmcv 2.1.0's setup.py hard-codes `-std=c++17`, but torch >= 2.14's headers require C++20,
# and it imports pkg_resources (setuptools < 82) and torch at build time (so: --no-build-isolation).
# About 23 minutes on 2 CPU cores. Offline: MMCV_SDIST=path/to/mmcv-2.1.0.tar.gz; MMCV_WITH_OPS=0 builds no ops.
set -euo pipefail
PY=${1:-python}
say() { printf '[build_mmcv] %s\n' "$*"; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${FORCE_CUDA:-}" ] && command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 \
   && nvidia-smi -L >/dev/null 2>&1; then
  export FORCE_CUDA=1
  say "nvcc and a GPU found: building CUDA ops (FORCE_CUDA=1)"
fi
say "building mmcv 2.1.0 from the PyPI sdist against torch $("$PY" -c 'import torch; print(torch.__version__)') (takes ~20+ min)"
if [ -n "${MMCV_SDIST:-}" ]; then cp "$MMCV_SDIST" "$WORK"/; else
  "$PY" -m pip download -q --no-deps --no-binary=:all: -d "$WORK" mmcv==2.1.0; fi
tar -xzf "$WORK"/mmcv-2.1.0.tar.gz -C "$WORK"
SRC="$WORK/mmcv-2.1.0"
n=$(grep -c 'c++17' "$SRC/setup.py" || true)
say "rewriting $n occurrence(s) of -std=c++17 -> -std=c++20 in $SRC/setup.py (torch >= 2.14 headers need C++20)"
sed -i 's/c++17/c++20/g' "$SRC/setup.py"
export MMCV_WITH_OPS=${MMCV_WITH_OPS:-1}
export MAX_JOBS=${MAX_JOBS:-$(nproc)}
"$PY" -m pip install --no-deps --no-build-isolation "$SRC"
say "done"
