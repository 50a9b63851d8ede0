#!/usr/bin/env bash
# On a GPU machine without a package index: install what tools/gpu/prepare_wheels.py put in a folder, build mmcv
# there, install this project, then run tools/benchmarks/gpu_check.py; meant to fit one 10-minute session.
#
#   bash tools/gpu/install_and_check.sh [WHEELS_DIR] [gpu_check.py options...]
#
# WHEELS_DIR defaults to .gpu-wheels in the repository root. Needs Python 3.12 with a CUDA build of torch (plus
# the packages prepare_wheels.py's ASSUMED_PRESENT names; checked first). Knobs:
#   MMCV_OPS=cuda   (default) mmcv with its C++ and CUDA ops, the CUDA ones for this GPU's architecture only
#                   (TORCH_CUDA_ARCH_LIST from the device, to shorten the build; its length there is not measured)
#   MMCV_OPS=cpu    only the C++ ops (a shorter build): `import mask3d_mm` needs mmcv.ops to load (mmseg.utils
#                   imports it), but only Mask R-CNN runs an op (RoIAlign, nms) on the GPU, so that step fails
#                   ("not compiled with GPU support", recorded in the JSON) and every other check runs.
#                   An mmcv without ops (MMCV_WITH_OPS=0) is no option: nothing of mask3d_mm imports without them.
#   VENV            the environment made here (default /tmp/mask3d-gpu-venv; it sees the system's torch)
#   PYTHON          the interpreter holding torch (default python3)
#   GPU_CHECK_OUT   the JSON (default docs/benchmarks/gpu_check.json in the repository)
#   CHECK=0         stop after the install (to give the mmcv build a session of its own; a second run then finds
#                   VENV complete, skips the install and only runs the check)
# A prebuilt mmcv-2.1.0 wheel placed in WHEELS_DIR is installed instead of building one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WHEELS=${1:-$ROOT/.gpu-wheels}
[ $# -gt 0 ] && shift
[ -d "$WHEELS" ] || { printf 'error: %s: no such folder (fill it with tools/gpu/prepare_wheels.py)\n' "$WHEELS" >&2; exit 2; }
WHEELS=$(cd "$WHEELS" && pwd)
PY=${PYTHON:-python3}
VENV=${VENV:-/tmp/mask3d-gpu-venv}
MMCV_OPS=${MMCV_OPS:-cuda}
OUT_JSON=${GPU_CHECK_OUT:-$ROOT/docs/benchmarks/gpu_check.json}
START=$SECONDS
say() { printf '[gpu-install %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 2; }

case "$MMCV_OPS" in cuda|cpu) ;; *) fail "MMCV_OPS=$MMCV_OPS: must be cuda or cpu" ;; esac
ls "$WHEELS"/mmengine-*.whl "$WHEELS"/mmcv-2.1.0* >/dev/null 2>&1 \
  || fail "$WHEELS: no mmengine wheel or mmcv 2.1.0 sdist here (fill it with tools/gpu/prepare_wheels.py)"

# 1. what the folder does not carry must be here already
"$PY" - "$ROOT" <<'EOF' || exit 2
import importlib.util, sys
sys.path.insert(0, sys.argv[1] + '/tools/gpu')
from prepare_wheels import ASSUMED_PRESENT, PYTHON_VERSION  # noqa: E402 (no mask3d_mm import: not installed yet)
if f'{sys.version_info.major}.{sys.version_info.minor}' != PYTHON_VERSION:
    sys.exit(f'error: {sys.executable}: Python {sys.version.split()[0]}, the wheels are for {PYTHON_VERSION}')
missing = [name for name in ASSUMED_PRESENT if importlib.util.find_spec(name) is None]
if missing:
    sys.exit(f'error: {sys.executable}: missing {", ".join(missing)} (prepare_wheels.py carries only the rest)')
import torch  # noqa: E402
if not torch.cuda.is_available():
    sys.exit(f'error: torch {torch.__version__}: no CUDA device visible')
print(f'torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}')
EOF

VPY=$VENV/bin/python
PIP=("$VPY" -m pip --disable-pip-version-check -q)
installed() { [ -x "$VPY" ] && (cd / && "$VPY" -c "import mmcv, mmcv.ops, mmdet, mmseg, mmpretrain, mask3d_mm
assert mmcv.__version__ == '2.1.0'") >/dev/null 2>&1; }
if installed; then
  say "$VENV already holds mmcv 2.1.0 with ops, the OpenMMLab stack and mask3d_mm: install skipped"
else
# 2. an environment on top of the system's packages (torch stays the image's), the wheels without resolving
say "environment $VENV (system site packages visible)"
"$PY" -m venv --system-site-packages "$VENV"
"${PIP[@]}" install --no-index --no-deps --find-links "$WHEELS" $(ls "$WHEELS"/*.whl | grep -v '/mmcv-')
say "installed $(ls "$WHEELS"/*.whl | grep -vc '/mmcv-') wheels"

# 3. mmcv 2.1.0: a prebuilt wheel from the folder, else built here from the sdist (tools/build_mmcv.sh)
if ls "$WHEELS"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
  "${PIP[@]}" install --no-index --no-deps "$WHEELS"/mmcv-2.1.0-*.whl
  say "mmcv from the prebuilt wheel"
else
  if [ "$MMCV_OPS" = cuda ]; then
    export FORCE_CUDA=1 MMCV_WITH_OPS=1
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$("$VPY" -c \
      'import torch; print("%d.%d" % torch.cuda.get_device_capability(0))')}
    say "building mmcv with CUDA ops for sm $TORCH_CUDA_ARCH_LIST (MAX_JOBS=${MAX_JOBS:-$(nproc)})"
  else
    # mmcv's setup.py builds CUDA ops whenever torch sees a GPU: hide it from the build
    export FORCE_CUDA=0 MMCV_WITH_OPS=1
    BUILD_ENV=CUDA_VISIBLE_DEVICES=
    say "building mmcv with its C++ ops only (MMCV_OPS=cpu)"
  fi
  env ${BUILD_ENV:-} MMCV_SDIST="$WHEELS/mmcv-2.1.0.tar.gz" bash "$ROOT/tools/build_mmcv.sh" "$VPY"
fi

# 4. this project, then the check
"${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT"
say "mask3d_mm installed"
fi
[ "${CHECK:-1}" = 0 ] && { say "CHECK=0: install only"; exit 0; }
say "running the GPU check"
cd "$ROOT"
status=0
PYTHON=$VPY "$VPY" tools/benchmarks/gpu_check.py --out "$OUT_JSON" "$@" || status=$?
say "done (gpu_check exit code $status)"
exit $status
