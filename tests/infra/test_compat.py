"""The upstream shims of mask3d_mm/utils/compat.py behave exactly like what they replace."""
import os.path as osp
import warnings

import mmdet
import pytest
from mmengine.config import Config
from mmengine.config import utils as config_utils
from mmengine.utils import is_installed

import mask3d_mm  # noqa: F401  (applies the shims)
from mask3d_mm.utils import compat
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


def warnings_of(action, *setup):
    """The warnings ``action()`` issues, every one shown (no once-per-place registry), after ``setup``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for step in setup:
            step()
        action()
    return [str(w.message) for w in caught]


def test_pkg_resources_deprecation_is_silenced_and_nothing_else():
    def resolve_mmdet_path():  # what mmengine does for each ``mmdet::`` config path: imports + reloads pkg_resources
        assert is_installed('mmdet')
        warnings.warn('an unrelated upstream warning', UserWarning, stacklevel=1)
    upstream = warnings_of(resolve_mmdet_path)
    if not any('pkg_resources is deprecated' in message for message in upstream):
        pytest.skip('this setuptools does not warn about pkg_resources')
    # pytest resets the warning filters around each test: apply the shim as `import mask3d_mm` did
    assert warnings_of(resolve_mmdet_path, compat.silence_pkg_resources_deprecation) == [
        'an unrelated upstream warning']
