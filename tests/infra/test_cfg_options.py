"""``--cfg-options`` refuses a key the config does not have, at any level, before anything is built: one line
``error: --cfg-options KEY: the config has no key ... (did you mean ...?)``, exit code 2. The overrides the repo
itself uses (Makefile, study, docs) keep working: ``_delete_`` in both forms, list indices, arguments a config
leaves at their defaults, free-named ``custom_keys``; ``+key=value`` adds a key on purpose."""
import re
import shlex
import subprocess
import sys
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from mask3d_mm.utils import launch
from mask3d_mm.utils.cfg_options import merge_cfg_options
from mask3d_mm.utils.errors import ConfigError
from tests.conftest import REPO, load_tool, run_tool

from .conftest import TOY_CONFIG
from .test_bad_input import DEMO_CONFIG, one_error_line
from .test_launch import run_tool_main

HINT = '; to add it anyway: +{}=...'


def test_top_level_typo_is_refused_before_anything_is_built(tmp_path):
    result = run_tool(REPO / 'tools/train.py', TOY_CONFIG, '--work-dir', tmp_path / 'work', '--cfg-options',
                      'train_cgf.max_epochs=1', timeout=120)
    assert one_error_line(result) == ("error: --cfg-options train_cgf.max_epochs: the config has no key 'train_cgf' "
                                      "(did you mean 'train_cfg'?)" + HINT.format('train_cgf.max_epochs'))
    assert not (tmp_path / 'work').exists()


@pytest.mark.parametrize('tool, config, option, expected', [
    ('train.py', TOY_CONFIG, 'train_cfg.max_epoch=1', "no key 'max_epoch' in train_cfg (did you mean 'max_epochs'?)"),
    ('train.py', TOY_CONFIG, 'train_dataloader.batch_szie=2',
     "no key 'batch_szie' in train_dataloader (did you mean 'batch_size'?)"),
    ('train.py', DEMO_CONFIG, 'model.backbone.arhc=deit-tiny',
     "no key 'arhc' in model.backbone (did you mean 'arch'?)"),
    ('test.py', TOY_CONFIG, 'model.head.num_clases=3',
     "no key 'num_clases' in model.head (did you mean 'num_classes'?)"),
    ('train.py', TOY_CONFIG, 'param_scheduler.1.end=3', None),
], ids=['train_cfg', 'dataloader', 'backbone', 'test.py', 'list_index'])
def test_nested_typo_is_one_line_naming_the_closest_key(tool, config, option, expected, tmp_path, monkeypatch, capsys):
    extra = ['model.pth'] if tool == 'test.py' else []
    argv = [config, *extra, '--work-dir', tmp_path / 'work', '--cfg-options', option]
    assert run_tool_main(tool, argv, monkeypatch) == 2
    key = option.split('=')[0]
    if expected is None:  # the toy config has one scheduler
        expected = "param_scheduler is a list of 1 entries; '1' is not one of its indices (0 to 0)"
        assert capsys.readouterr().err == f'error: --cfg-options {key}: {expected}\n'
    else:
        assert capsys.readouterr().err == f'error: --cfg-options {key}: the config has {expected}{HINT.format(key)}\n'
    assert not (tmp_path / 'work').exists()


def toy_cfg():
    return Config.fromfile(TOY_CONFIG)


def test_arguments_the_config_leaves_at_their_defaults_are_accepted():
    cfg = merge_cfg_options(toy_cfg(), {
        'default_hooks.checkpoint.save_last': False, 'default_hooks.checkpoint.max_keep_ckpts': 3,  # CheckpointHook's
        'train_dataloader.pin_memory': True,  # a torch DataLoader argument
        'train_cfg.val_begin': 2,  # an EpochBasedTrainLoop argument
        'model.backbone.frozen_stages': 1,  # an mmpretrain ResNet argument (through **kwargs' base classes too)
        'auto_scale_lr.base_batch_size': 16,  # a Runner argument the config does not set; below it: its content
    })
    assert cfg.default_hooks.checkpoint.save_last is False and cfg.train_dataloader.pin_memory is True
    assert cfg.train_cfg.val_begin == 2 and cfg.model.backbone.frozen_stages == 1
    assert cfg.auto_scale_lr == dict(base_batch_size=16)
    with pytest.raises(ConfigError, match=r"no key 'frozen_stage' in model.backbone \(did you mean 'frozen_stages'"):
        merge_cfg_options(toy_cfg(), {'model.backbone.frozen_stage': 1})


def test_delete_forms_list_indices_and_custom_keys():
    cfg = Config(dict(model=dict(backbone=dict(type='ResNet', init_cfg=dict(type='Kaiming', layer='Conv2d'))),
                      param_scheduler=[dict(type='LinearLR', end=5), dict(type='CosineAnnealingLR', begin=5)],
                      optim_wrapper=dict(paramwise_cfg=dict(custom_keys={'.cls_token': dict(decay_mult=0.0)}))))
    merge_cfg_options(cfg, {'model.backbone.init_cfg._delete_': True, 'model.backbone.init_cfg.type': 'Pretrained',
                            'model.backbone.init_cfg.checkpoint': 'a.pth', 'param_scheduler.1.begin': 2,
                            'optim_wrapper.paramwise_cfg.custom_keys.pos_embed.decay_mult': 0.0})
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='a.pth')
    assert cfg.param_scheduler[1].begin == 2 and cfg.optim_wrapper.paramwise_cfg.custom_keys.pos_embed.decay_mult == 0
    merge_cfg_options(cfg, {'model.backbone.init_cfg': dict(_delete_=True, type='Pretrained', checkpoint='b.pth')})
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='b.pth')
    with pytest.raises(ConfigError, match=r"no key 'chekpoint' in model.backbone.init_cfg \(did you mean 'checkpoint'"):
        merge_cfg_options(cfg, {'model.backbone.init_cfg': dict(chekpoint='c.pth')})  # a dict merged in: checked too


def test_plus_adds_keys_on_purpose_also_where_the_config_has_none_or_a_string():
    cfg = Config(dict(model=dict(backbone=dict(type='VisionTransformer', arch='deit-tiny', init_cfg=None))))
    replaced = merge_cfg_options(cfg.copy(), {'model.backbone.init_cfg._delete_': True,
                                              'model.backbone.init_cfg.type': 'Pretrained'})
    assert replaced.model.backbone.init_cfg == dict(type='Pretrained')  # _delete_ replaces None too
    with pytest.raises(ConfigError, match=r"model.backbone.init_cfg is None in the config, not a dict"):
        merge_cfg_options(cfg, {'model.backbone.init_cfg.type': 'Pretrained'})
    merge_cfg_options(cfg, {'+model.backbone.init_cfg.type': 'Pretrained', '+model.backbone.init_cfg.checkpoint': 'x',
                            '+model.backbone.arch.embed_dims': 192, '+model.backbone.arch.num_layers': 2,
                            '+custom_setting': 3})
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='x')
    assert cfg.model.backbone.arch == dict(embed_dims=192, num_layers=2) and cfg.custom_setting == 3


def test_plus_form_on_the_train_command_line(tmp_path, monkeypatch):
    train = load_tool('tools/train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', str(TOY_CONFIG), '--work-dir', str(tmp_path), '--cfg-options',
                                      '+train_cfg.my_note=kept', 'train_cfg.max_epochs=3'])
    cfg = train.merge_args(launch.load_config(TOY_CONFIG), train.parse_args())
    assert cfg.train_cfg.my_note == 'kept' and cfg.train_cfg.max_epochs == 3


def make_dry_run_train_commands(target):
    """The ``tools/train.py`` command lines ``make TARGET`` runs (``make -n``: printed, not run)."""
    printed = subprocess.run(['make', '-n', target], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [shlex.split(line) for line in printed.replace('\\\n', ' ').splitlines() if 'tools/train.py' in line]


@pytest.mark.parametrize('target', ['demo', 'demo-finetune'])
def test_makefile_overrides_are_accepted(target, monkeypatch):
    commands = make_dry_run_train_commands(target)
    assert commands
    train = load_tool('tools/train.py')
    for command in commands:
        monkeypatch.setattr(sys, 'argv', command[1:])
        args = train.parse_args()
        cfg = train.merge_args(launch.load_config(REPO / args.config), args)
        assert all(re.sub(r'^\+', '', key).split('.')[0] in cfg for key in args.cfg_options)


def test_study_finetuning_overrides_reach_its_runner(monkeypatch, tmp_path):
    """The study's in-process fine-tuning (``train_in_process``) merges its overrides (an initialising backbone with
    ``_delete_``, layer decay, seeds, schedule, a visualizer name) through the tools' checks; the Runner is not
    built here."""
    study = SimpleNamespace(**__import__('runpy').run_path(str(REPO / 'tools/benchmarks/study.py'), run_name='s'))
    from study_lib import world
    built = []

    def build_runner(cfg):
        built.append(cfg)
        raise RuntimeError('stop before the Runner')
    monkeypatch.setattr(launch, 'build_runner', build_runner)
    for backbone, recipe in [(tmp_path / 'backbone.pth', (1e-3, 0.75)), (None, (1e-3, None))]:
        with pytest.raises(SystemExit, match='stop before the Runner'):
            study.finetune('mask3d', backbone, recipe, 0.5, 0, 'vit', tmp_path, tmp_path / 'world',
                           world.SIZES['quick'])
    with_backbone, scratch = built
    assert with_backbone.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=str(tmp_path / 'backbone.pth'),
                                                         prefix='backbone.')
    assert with_backbone.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.75
    assert scratch.model.backbone.init_cfg is None
