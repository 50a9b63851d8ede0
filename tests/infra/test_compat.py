"""The upstream shims of mask3d_mm/utils/compat.py behave exactly like what they replace."""
import os.path as osp

import mmdet
import pytest
from mmengine.config import Config
from mmengine.config import utils as config_utils

import mask3d_mm  # noqa: F401  (applies the shims)
from tests.conftest import REPO

MMDET = osp.dirname(mmdet.__file__)


def test_cached_model_index_answers_like_upstream():
    cached = config_utils._get_cfg_metainfo
    upstream = cached.__wrapped__
    for name in ('mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', 'retinanet/retinanet_r50_fpn_1x_coco.py'):
        assert cached(MMDET, name) == upstream(MMDET, name)
    with pytest.raises(ValueError, match='but got no-such-config.py'):
        cached(MMDET, 'no-such-config.py')


def test_configs_with_upstream_bases_still_load():
    cfg = Config.fromfile(REPO / 'configs/finetune/mask-rcnn_r50-pri3d_fpn_1x_scannet.py')
    assert cfg.model.type == 'MaskRCNN' and cfg.train_cfg.max_epochs == 12
