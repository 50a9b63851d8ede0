"""The scaling suite's steps and records: what each pretraining puts into the ViT as a function of its length.

Each finished step -- a pretraining's record (its frames' count and digest, budget, held-out diagnostics), the probes
of one backbone, one fine-tuning seed -- writes one small JSON record under the records folder (committed:
docs/study/scaling/), and a step whose record exists is never run again, so the suite resumes in a later sitting or
on a fresh machine. Checkpoints stay in the work folder (not committed); a pretraining runs (seeded) only when a step
of its arm and length has no record yet, and reuses its backbone when the work folder still holds it.

The lengths are separate pretrainings, each with its own warm-up + cosine schedule (not checkpoints of one long
run); every step of one length runs before the next length, shortest first, so finished steps accumulate."""
import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional

from mask3d_mm.utils.atomic_io import write_text_atomic

from .world import frames_fingerprint

CONSTANT = 'constant'  # the probes' constant-prediction reference


@dataclass(frozen=True)
class ScalingArm:
    pretrained: bool  # False: no pretraining (scratch), its steps run once, whatever the length
    finetune: bool  # False: probed only (the supervised-depth control)


@dataclass(frozen=True)
class Steps:
    """What the suite runs; study.py gives the real trainings, the tests count calls of fakes."""
    pretrain: Callable  # (method, length) -> backbone checkpoint
    pretraining_record: Callable  # (method, length) -> record holding ``frames`` (the frame set it read)
    probe: Callable  # (method, backbone or None) -> probe scores
    probe_reference: Callable  # () -> the constant prediction's probe scores
    finetune: Callable  # (method, length or None, backbone or None, seed) -> one fine-tuning run


def step_name(kind: str, method: str, length: Optional[int] = None, seed: Optional[int] = None) -> str:
    """``<kind>/<method>[_<length>][_seed<seed>]``: the record's path in the records folder, without ``.json``."""
    return f'{kind}/{method}' + ('' if length is None else f'_{length}') + ('' if seed is None else f'_seed{seed}')


class Records:
    """The records folder: one JSON per finished step, written atomically (a killed run leaves none half-written)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / f'{name}.json'

    def get(self, name: str) -> Optional[dict]:
        path = self.path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def ensure(self, name: str, compute: Callable) -> dict:
        """The record ``name``, computed and written first if missing (with the seconds it took, ``step_wall_s``:
        a pretraining's are in the first step that needed it; and when it ``finished``)."""
        record = self.get(name)
        if record is None:
            started = time.perf_counter()
            record = dict(compute())
            record.update(step_wall_s=time.perf_counter() - started,
                          finished=time.strftime('%Y-%m-%d %H:%M', time.gmtime()) + ' UTC')
            self.path(name).parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(str(self.path(name)), json.dumps(record, indent=1, sort_keys=True) + '\n')
        return record


def fingerprinted(record: dict) -> dict:
    """A pretraining record with its frame list replaced by the count and the digest (a record stays small)."""
    record = dict(record)
    frames = record.pop('frames')
    return dict(record, distinct_frames=len(frames), frames_sha256=frames_fingerprint(frames))


def check_equal_budgets(records: dict):
    """Every pretrained arm of one length read exactly the same frames (same digest) for the same iterations and
    images per step; otherwise the suite stops instead of reporting an unfair comparison."""
    for key, field in (('frames', 'frames_sha256'), ('iterations', 'iters'),
                       ('images per iteration', 'images_per_iter')):
        values = {method: record[field] for method, record in records.items()}
        if len(set(values.values())) > 1:
            shown = {m: r['distinct_frames'] for m, r in records.items()} if key == 'frames' else values
            raise SystemExit(f'study: the arms pretrain on different {key}: {shown}')


def recorded_pretrainings(records: Records, length: int) -> dict:
    """method -> pretraining record of every arm recorded at ``length`` (by this process or another)."""
    found = sorted(records.root.glob(f'pretrain/*_{length}.json'))
    return {path.stem[:-len(f'_{length}')]: json.loads(path.read_text()) for path in found}


def finetune_steps(method, arm: ScalingArm, seeds: int, length=None):
    return [step_name('finetune', method, length, seed) for seed in range(seeds)] if arm.finetune else []


def run_scaling(records: Records, arms: dict, lengths: tuple, seeds: int, steps: Steps, log: Callable = print):
    """Every step of the suite whose record is missing: the unpretrained arms and the probes' reference once, then
    per length (shortest first) every pretrained arm's record, the equal-budget check, its probes and fine-tunings."""
    records.ensure(step_name('probe', CONSTANT), steps.probe_reference)
    for method, arm in arms.items():
        if not arm.pretrained:
            records.ensure(step_name('probe', method), partial(steps.probe, method, None))
            for seed, name in enumerate(finetune_steps(method, arm, seeds)):
                records.ensure(name, partial(steps.finetune, method, None, None, seed))
    for length in lengths:
        run_length(records, arms, length, seeds, steps)
        log(f'scaling: every step of {length} pretraining iterations is recorded in {records.root}')


def run_length(records: Records, arms: dict, length: int, seeds: int, steps: Steps):
    """The missing steps of one pretraining length; an arm is pretrained (at most once) only if one lacks a record.
    ``arms`` may be a part of the suite's (another process runs the others into the same records folder): the
    equal-budget check then covers every arm of the length recorded so far."""
    backbones = {}

    def backbone(method):
        if method not in backbones:
            backbones[method] = steps.pretrain(method, length)
        return backbones[method]

    def pretraining_record(method):
        backbone(method)
        return fingerprinted(steps.pretraining_record(method, length))

    def probe(method):
        return steps.probe(method, backbone(method))

    def finetune(method, seed):
        return steps.finetune(method, length, backbone(method), seed)
    pretrained = [m for m, arm in arms.items() if arm.pretrained]
    for method in pretrained:
        records.ensure(step_name('pretrain', method, length), partial(pretraining_record, method))
    check_equal_budgets(recorded_pretrainings(records, length))
    for method in pretrained:
        records.ensure(step_name('probe', method, length), partial(probe, method))
        for seed, name in enumerate(finetune_steps(method, arms[method], seeds, length)):
            records.ensure(name, partial(finetune, method, seed))


def collect(records: Records, arms: dict, lengths: tuple, seeds: int) -> dict:
    """Every record of the suite as one results dict (``pretraining`` / ``probes``: method -> length (a string) ->
    record; ``runs``: the fine-tuning runs with their ``length``; an unpretrained arm's length is 0) and the steps
    still missing."""
    pretraining, probes, runs, missing = {}, {}, [], []

    def take(name):
        record = records.get(name)
        if record is None:
            missing.append(name)
        return record
    for method, arm in arms.items():
        for length in (lengths if arm.pretrained else (None,)):
            iters = str(length or 0)  # an unpretrained arm: 0 pretraining iterations
            if arm.pretrained:
                record = take(step_name('pretrain', method, length))
                if record is not None:
                    pretraining.setdefault(method, {})[iters] = record
            scores = take(step_name('probe', method, length))
            if scores is not None:
                probes.setdefault(method, {})[iters] = scores
            for name in finetune_steps(method, arm, seeds, length):
                run = take(name)
                if run is not None:
                    runs.append(dict(run, length=length or 0))
    return dict(pretraining=pretraining, probes=probes, runs=runs,
                probe_reference=take(step_name('probe', CONSTANT)), missing=missing)
