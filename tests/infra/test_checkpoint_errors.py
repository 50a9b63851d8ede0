"""A file that is not a checkpoint (random bytes, an empty file, a text file), given to a converter, to
``tools/test.py`` or to ``tools/train.py --resume``, ends in one line ``error: FILE: not a readable PyTorch checkpoint
(...)`` and exit code 2, without torch's advice to load it with ``weights_only=False``, before anything is built or
written. A checkpoint of another model says which keys it has. ``load_from`` and ``init_cfg=dict(type='Pretrained')``
read local files through the same loader."""
import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint

from mask3d_mm.utils.checkpoint import read_checkpoint, read_state_dict
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, run_tool

from .conftest import TOY_CONFIG
from .test_bad_input import one_error_line
from .test_launch import run_tool_main

NOT_CHECKPOINTS = {  # kind: (bytes, why)
    'random_bytes': (np.random.default_rng(0).bytes(4096), 'neither a zip archive nor a pickle'),
    'empty': (b'', 'empty file'),
    'text': (b'epoch 1: loss 0.5\n', "a text file starting 'epoch 1: loss 0.5'"),
}
MASK3D_CONVERTER = 'model_converters/mask3d_to_backbone.py'
PRI3D_CONVERTER = 'model_converters/pri3d_to_backbone.py'


def not_a_checkpoint(tmp_path, kind):
    path = tmp_path / f'{kind}.pth'
    path.write_bytes(NOT_CHECKPOINTS[kind][0])
    return path


def refusal(path, kind):
    return f'error: {path}: not a readable PyTorch checkpoint ({NOT_CHECKPOINTS[kind][1]})'


def command(tool, bad, tmp_path):
    """The arguments of ``tools/<tool>`` with ``bad`` as its checkpoint."""
    return {MASK3D_CONVERTER: [bad, tmp_path / 'out.pth'],
            PRI3D_CONVERTER: [bad, tmp_path / 'out.pth', '--target', 'unet'],
            'test.py': [TOY_CONFIG, bad, '--work-dir', tmp_path / 'work'],
            'train.py': [TOY_CONFIG, '--work-dir', tmp_path / 'work', '--resume', bad]}[tool]


@pytest.mark.parametrize('kind', sorted(NOT_CHECKPOINTS))
@pytest.mark.parametrize('tool', [MASK3D_CONVERTER, PRI3D_CONVERTER, 'test.py', 'train.py'])
def test_a_file_that_is_not_a_checkpoint_is_one_line_and_nothing_is_written(tool, kind, tmp_path, monkeypatch,
                                                                             capsys):
    bad = not_a_checkpoint(tmp_path, kind)
    assert run_tool_main(tool, command(tool, bad, tmp_path), monkeypatch) == 2
    assert capsys.readouterr().err == refusal(bad, kind) + '\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]  # no converted file, no work dir


@pytest.mark.parametrize('tool, kind', [(MASK3D_CONVERTER, 'random_bytes'), ('train.py', 'text')])
def test_the_command_as_typed_says_it_in_one_line(tool, kind, tmp_path):
    bad = not_a_checkpoint(tmp_path, kind)
    result = run_tool(REPO / 'tools' / tool, *command(tool, bad, tmp_path), timeout=120)
    assert one_error_line(result) == refusal(bad, kind)
    assert 'weights_only' not in result.stderr + result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]


def test_missing_checkpoint_of_resume_is_one_line(tmp_path, monkeypatch, capsys):
    missing = tmp_path / 'epoch_3.pth'
    assert run_tool_main('train.py', command('train.py', missing, tmp_path), monkeypatch) == 2
    assert capsys.readouterr().err == f'error: {missing}: checkpoint not found\n'


@pytest.mark.parametrize('tool, keys, expected', [
    (MASK3D_CONVERTER, ['conv1.weight', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'fc.weight', 'fc.bias'],
     'no backbone.* weights, not a Mask3D pretraining checkpoint (it has 5 keys: layer1.* (2), fc.* (2), '
     'conv1.* (1))'),
    (PRI3D_CONVERTER, ['backbone.conv1.weight', 'backbone.layer1.0.conv1.weight', 'backbone.layer1.0.bn1.weight'],
     'no backbone.encoder.* weights, not a Pri3D checkpoint with a ResNetUNet backbone (it has 3 keys: '
     'backbone.layer1.* (2), backbone.conv1.* (1))')], ids=['mask3d', 'pri3d'])
def test_checkpoint_of_another_model_says_which_keys_it_has(tool, keys, expected, tmp_path, monkeypatch, capsys):
    src = tmp_path / 'resnet.pth'
    torch.save(dict(state_dict={key: torch.zeros(1) for key in keys}), src)
    assert run_tool_main(tool, command(tool, src, tmp_path), monkeypatch) == 2
    assert capsys.readouterr().err == f'error: {src}: {expected}\n'
    assert not (tmp_path / 'out.pth').exists()


def test_load_from_and_pretrained_init_read_local_files_through_the_same_loader(tmp_path):
    bad = not_a_checkpoint(tmp_path, 'text')
    with pytest.raises(DataError) as error:
        load_checkpoint(torch.nn.Linear(1, 1), str(bad), map_location='cpu')  # Runner.load_checkpoint, Pretrained
    assert f'error: {error.value}' == refusal(bad, 'text')


def test_what_torch_refuses_after_the_first_bytes_is_named_without_its_advice(tmp_path):
    import datetime
    checkpoint = tmp_path / 'dated.pth'
    torch.save(dict(state_dict={}, saved_on=datetime.date(2026, 1, 1)), checkpoint)  # off the allow-list
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(checkpoint.read_bytes()[:200])
    garbage_pickle = tmp_path / 'garbage.pth'
    garbage_pickle.write_bytes(b'\x80\x02garbage')
    for path, why in [(checkpoint, 'safe loading: Unsupported global: GLOBAL datetime.date was not an allowed '
                                   'global by default'),
                      (truncated, 'a zip archive cut short (no central directory): truncated?'),
                      (garbage_pickle, 'safe loading: Unsupported operand 103')]:
        with pytest.raises(DataError) as error:
            read_checkpoint(path)
        assert str(error.value) == f'{path}: not a readable PyTorch checkpoint ({why})'


@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy'])
def test_real_checkpoints_of_both_torch_formats_still_load(zip_format, tmp_path):
    path = tmp_path / 'model.pth'
    weights = {'backbone.conv1.weight': torch.arange(3.)}
    torch.save(dict(meta=dict(epoch=1), state_dict=weights), path, _use_new_zipfile_serialization=zip_format)
    loaded = read_state_dict(path, 'backbone.')
    assert list(loaded) == list(weights) and torch.equal(loaded['backbone.conv1.weight'], torch.arange(3.))
