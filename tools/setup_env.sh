#!/usr/bin/env bash
# Create or update the project's virtual environment (called by `make env`; idempotent).
#
#   bash tools/setup_env.sh [VENV]          (default .venv)
#
# Environment knobs:
#   SKIP_TORCH=1      keep the torch already in the venv (GPU clusters: install your CUDA torch first)
#   TORCH_INDEX_URL   where torch + torchvision come from, e.g. https://download.pytorch.org/whl/cpu for the
#                     CPU-only wheels (~200 MB instead of the ~6 GB CUDA build PyPI serves on Linux); a fresh venv
#                     is needed to switch an installed torch to another build
#   FORCE_CUDA=1      build mmcv's CUDA ops (set automatically when nvcc and a GPU are present)
#   PIP_FIND_LINKS    a folder holding a prebuilt mmcv-2.1.0 wheel for this torch/python (CI: ../shared/wheelhouse)
set -euo pipefail
VENV=${1:-.venv}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[setup_env] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP="$PY -m pip --disable-pip-version-check"

$PIP install -q -r "$ROOT/requirements/build.txt"
if [ "${SKIP_TORCH:-0}" != 1 ]; then
  say "installing torch + torchvision ($(grep -v '^#' "$ROOT/requirements/torch.txt" | xargs))\
${TORCH_INDEX_URL:+ from $TORCH_INDEX_URL}"
  $PIP install -q ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} -r "$ROOT/requirements/torch.txt"
fi
# opencv-python-headless before mmcv/mmengine so they do not pull the GUI opencv build.
$PIP install -q -r "$ROOT/requirements/runtime.txt"

# mmcv imports mmengine: install it first, so the check below tests mmcv's own ops, not a missing dependency.
$PIP install -q "$(grep '^mmengine' "$ROOT/requirements/mminstall.txt")"
# A prebuilt wheel is used only if it installs AND its compiled ops load against this torch; otherwise say why
# (pip's or the import's own words) before the ~23-minute source build starts.
MMCV_LOG=$(mktemp)
trap 'rm -f "$MMCV_LOG"' EXIT
mmcv_ops_load() { $PY -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0', mmcv.__version__" >"$MMCV_LOG" 2>&1; }
show_mmcv_log() { say "$1"; tail -n 15 "$MMCV_LOG" | sed 's/^/    /' >&2; }
if mmcv_ops_load; then
  say "mmcv 2.1.0 with ops already installed"
elif ! $PIP install -q --no-deps --only-binary=:all: mmcv==2.1.0 >"$MMCV_LOG" 2>&1; then
  show_mmcv_log "no prebuilt mmcv 2.1.0 wheel could be installed (PIP_FIND_LINKS=${PIP_FIND_LINKS:-unset}); pip said:"
  bash "$ROOT/tools/build_mmcv.sh" "$PY"
elif ! mmcv_ops_load; then
  show_mmcv_log "the prebuilt mmcv 2.1.0 wheel installed but its ops do not load with this torch:"
  $PIP uninstall -y -q mmcv
  bash "$ROOT/tools/build_mmcv.sh" "$PY"
else
  say "mmcv 2.1.0 installed from a prebuilt wheel (PIP_FIND_LINKS=${PIP_FIND_LINKS:-})"
fi

say "installing the OpenMMLab stack and mask3d_mm (editable) with test tools"
$PIP install -q -r "$ROOT/requirements/mminstall.txt" -r "$ROOT/requirements/tests.txt"
$PIP install -q --no-deps --no-build-isolation -e "$ROOT"
# mmengine's metadata asks for the GUI `opencv-python`; two cv2 builds in one site-packages folder overwrite each
# other's files, so keep only the headless one (same API, no libGL needed).
if $PIP show -q opencv-python >/dev/null 2>&1; then
  say "replacing opencv-python (pulled in by mmengine) with opencv-python-headless"
  $PIP uninstall -y -q opencv-python
  $PIP install -q --force-reinstall --no-deps "$(grep '^opencv-python-headless' "$ROOT/requirements/runtime.txt")"
fi
$PY -c "import torch, mmcv, mmcv.ops, mmengine, mmdet, mmseg, mmpretrain, mask3d_mm; \
import cv2; print('[setup_env] ok: torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, \
'| mmseg', mmseg.__version__, '| mmpretrain', mmpretrain.__version__, '| mask3d_mm', mask3d_mm.__version__, '| cv2', cv2.__version__)"
