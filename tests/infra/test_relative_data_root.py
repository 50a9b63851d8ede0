"""A relative ``data_root`` is looked up from the working directory: run from elsewhere under an upstream
``tools/train.py`` (which prints our ``DataError`` as its traceback's last line), the message says so and names the
absolute path it looked at."""
import os.path as osp

import mmseg

from tests.conftest import REPO, run_tool

TWIN = REPO / 'configs/finetune/synthetic/upernet_vit-tiny_synthetic-scannet.py'  # data_root = 'data/synthetic'


def test_relative_data_root_under_upstream_train_tool_names_the_resolved_path(tmp_path):
    upstream_train = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')
    result = run_tool(upstream_train, TWIN, '--work-dir', tmp_path / 'work', cwd=tmp_path, timeout=300)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == ("mask3d_mm.utils.errors.DataError: ScanNetSegDataset: data_root 'data/synthetic' (relative "
                         f"to the working directory {tmp_path}: {tmp_path}/data/synthetic) does not exist (convert "
                         'ScanNet with tools/data/scannet or generate synthetic data)')
