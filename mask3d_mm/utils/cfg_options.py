"""``--cfg-options`` that refuse keys the config does not have, before anything is built.

mmengine's ``Config.merge_from_dict`` adds any key it is given: a typo in a top-level key (``train_cgf.max_epochs=1``)
is accepted silently and the run keeps its old setting; one in a nested key (``train_cfg.max_epoch=1``) ends in a
``TypeError`` traceback when that part is built, possibly minutes later. ``merge_cfg_options`` checks every key path
against the config first and then merges with mmengine's own ``merge_from_dict``:

- each dotted part must be a key the config has at that level (a list takes an index that exists), or an argument
  the config does not set but the part accepts: of the class a dict's ``type`` names (looked up in the config's
  scope; a class taking ``**kwargs`` adds its base classes' arguments), of ``torch.utils.data.DataLoader`` for
  ``*_dataloader``, of the train loop for ``train_cfg``, of mmengine's ``Runner`` at the top level. Below such a
  new key nothing is checked. Otherwise a ``ConfigError`` names the option, the missing key and the closest one;
- ``+key.path=value`` adds keys deliberately: the path is not checked, and a part that is ``None`` (or any other
  non-dict value) in the config becomes a new dict (``+model.backbone.init_cfg.type=Pretrained``);
- ``key._delete_=True`` replaces the dict at ``key`` (mmengine's ``_delete_``): the keys set under it in the same
  options are its new content and not checked; so are the keys of a dict value holding ``_delete_=True``;
- keys under a dict named in ``OPEN_DICTS`` are names, not arguments (``paramwise_cfg.custom_keys.<param name>``)
  and are not checked.
"""
import difflib
import inspect

from mmengine.config import Config

from .errors import ConfigError

NEW_KEY = '+'
DELETE_KEY = '_delete_'
OPEN_DICTS = ('custom_keys', )  # dicts keyed by free names (parameter-name patterns of an optimizer's paramwise_cfg)


def merge_cfg_options(cfg, options):
    """Check ``options`` (``--cfg-options`` as parsed by mmengine's ``DictAction``, or any ``{dotted key: value}``)
    against ``cfg``, then merge them in; returns ``cfg``. Nothing is merged if one option is refused."""
    if not options:
        return cfg
    root = cfg._cfg_dict if isinstance(cfg, Config) else cfg  # the plain (Config)Dict tree
    scope = root.get('default_scope')
    merged = {}
    replaced = {key[:-len(DELETE_KEY) - 1].lstrip(NEW_KEY) for key, value in options.items()
                if key.endswith('.' + DELETE_KEY) and value}
    for option, value in options.items():
        key = option[len(NEW_KEY):] if option.startswith(NEW_KEY) else option
        parts = key.split('.')
        if any(not part for part in parts):
            raise ConfigError(f'--cfg-options {option}: empty key part (write a.b.c=value)')
        if option.startswith(NEW_KEY):
            merged.update(new_key_path(root, parts))
        elif not any(key.startswith(prefix + '.') for prefix in replaced):
            check_key_path(root, parts, value, option, scope)
        merged[key] = value
    cfg.merge_from_dict(merged)
    return cfg


def refuse(option, done, missing, keys):
    """The error for a key ``missing`` where the config (at ``done``) has ``keys``."""
    where = f" in {'.'.join(done)}" if done else ''
    close = difflib.get_close_matches(missing, [str(k) for k in keys], n=1, cutoff=0.6)
    hint = f' (did you mean {close[0]!r}?)' if close else ''
    return ConfigError(f'--cfg-options {option}: the config has no key {missing!r}{where}{hint}; '
                       f'to add it anyway: {NEW_KEY}{option}=...')


def check_key_path(node, parts, value, option, scope=None, done=()):
    """Raise a ConfigError unless every part of ``parts`` exists in ``node`` (dicts and lists); a dict ``value``
    that merges into a dict is checked key by key too."""
    for part in parts:
        if part == DELETE_KEY or (done and done[-1] in OPEN_DICTS):
            return  # mmengine replaces whatever is there (also None) / free names
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                indices = f'0 to {len(node) - 1}' if node else 'none'
                raise ConfigError(f'--cfg-options {option}: {".".join(done)} is a list of {len(node)} entries; '
                                  f'{part!r} is not one of its indices ({indices})')
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                accepted = accepted_keys(node, done, scope)
                if part in accepted:
                    return  # an argument the config leaves at its default: what is set below it is new
                raise refuse(option, done, part, [*node.keys(), *accepted])
            node = node[part]
        else:
            raise ConfigError(f'--cfg-options {option}: {".".join(done)} is {node!r} in the config, not a dict, so '
                              f'it has no key {part!r}; to make it a dict write {NEW_KEY}{option}=... (with every '
                              'key it needs)')
        done = (*done, part)
    if isinstance(value, dict) and not value.get(DELETE_KEY) and isinstance(node, (dict, list)):
        for key, sub_value in value.items():
            check_key_path(node, str(key).split('.'), sub_value, option, scope, done)


def accepted_keys(node, done, scope):
    """The arguments of what the dict ``node`` (at path ``done``) builds, set or not (empty if unknown)."""
    if not done:
        from mmengine.runner import Runner
        return init_arguments(Runner)
    if done[-1].endswith('_dataloader') and len(done) == 1:
        from torch.utils.data import DataLoader
        return init_arguments(DataLoader)
    if done == ('train_cfg', ) and 'type' not in node:
        from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
        return init_arguments(EpochBasedTrainLoop if node.get('by_epoch', True) else IterBasedTrainLoop)
    return init_arguments(registered_class(node.get('type'), scope))


def registered_class(obj_type, scope):
    """The class a config's ``type`` names, from the first registry (in ``scope``) that knows it; else None."""
    if not isinstance(obj_type, str):
        return obj_type if inspect.isclass(obj_type) else None
    from mmengine import registry
    for name in REGISTRIES:
        try:
            with getattr(registry, name).switch_scope_and_registry(scope) as scoped:
                found = scoped.get(obj_type)
        except (KeyError, ImportError):
            found = None
        if inspect.isclass(found):
            return found
    return None


REGISTRIES = ('MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'OPTIM_WRAPPERS', 'OPTIMIZERS', 'PARAM_SCHEDULERS',
              'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS', 'LOOPS', 'DATA_SAMPLERS', 'LOG_PROCESSORS',
              'MODEL_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'TASK_UTILS', 'WEIGHT_INITIALIZERS')


def init_arguments(cls):
    """The keyword arguments ``cls(...)`` takes; with ``**kwargs``, its base classes' too."""
    names = set()
    for klass in (cls.__mro__ if inspect.isclass(cls) else ()):
        if '__init__' not in vars(klass) or klass is object:
            continue
        try:
            parameters = inspect.signature(klass.__init__).parameters.values()
        except (TypeError, ValueError):
            break
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {'self'}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return sorted(names)


def new_key_path(root, parts):
    """``{dotted prefix}._delete_: True`` for each part of a ``+`` path that exists in ``cfg`` but is not a dict or
    list (``None``, a string ...): mmengine merges a dict into such a value only if told to replace it."""
    node, replace = root, {}
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            break
        if not isinstance(node, (dict, list)):
            replace['.'.join(parts[:i + 1] + [DELETE_KEY])] = True
            break
    return replace
