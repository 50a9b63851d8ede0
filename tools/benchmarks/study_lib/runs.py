"""Running the study's steps: repo tools as subprocesses, short trainings in-process, and reading their logs."""
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
STUDY_CONFIGS = REPO / 'configs' / 'study'


def log(message):
    print(f'[study {time.strftime("%H:%M:%S")}] {message}', flush=True)


def fail(what, log_file):
    tail = Path(log_file).read_text()[-3000:]
    raise SystemExit(f'study: {what} failed\n--- {log_file} ---\n{tail}')


def torch_threads():
    import torch
    return torch.get_num_threads()


def set_threads(threads):
    import torch
    torch.set_num_threads(threads)


def run(cmd, log_file):
    """Run a repo tool; its output goes to ``log_file``; a failure stops the study with the log's tail."""
    env = dict(os.environ, PYTHONPATH=f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               OMP_NUM_THREADS=str(torch_threads()))
    with open(log_file, 'w') as f:
        code = subprocess.call([sys.executable, *map(str, cmd)], cwd=REPO, env=env, stdout=f,
                               stderr=subprocess.STDOUT)
    if code != 0:
        fail(f'command ({code}) {" ".join(map(str, cmd))}', log_file)


def cfg_options(options: dict):
    """``--cfg-options`` arguments of tools/train.py for ``{key: value}``."""
    return ['--cfg-options', *(f'{key}={value}' for key, value in options.items())]


def train_in_process(config: Path, work_dir: Path, options: dict, log_file: Path):
    """``tools/train.py CONFIG --work-dir W --cfg-options ...`` in this process, console output to ``log_file``
    (the many short fine-tunings skip a fresh interpreter's imports), with the runner tools/train.py builds."""
    from mask3d_mm.utils.launch import build_runner, load_config

    # visualizers are per-name singletons (mmseg names its 'visualizer'): a fresh name gives this run its own
    cfg = load_config(config, {**options, 'visualizer.name': f'study:{work_dir}'})
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    with open(log_file, 'w') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        runner = None
        try:
            runner = build_runner(cfg)
            runner.train()
        except Exception:  # noqa: BLE001  (any failure: stop the study with the log's tail)
            import traceback
            traceback.print_exc()
            failed = True
        else:
            failed = False
        finally:
            for handler in (runner.logger.handlers[:] if runner else []):  # they write to ``f``
                handler.close()
                runner.logger.removeHandler(handler)
    if failed:
        fail(f'training {config} in {work_dir}', log_file)


def schedule_options(iters):
    """Every study config schedules [linear warm-up, decay to the end]; this rescales both to ``iters``."""
    warmup = max(1, iters // 10)
    return {'train_cfg.max_iters': iters, 'param_scheduler.0.end': warmup, 'param_scheduler.1.begin': warmup,
            'param_scheduler.1.end': iters, 'default_hooks.checkpoint.interval': iters}


def last_checkpoint(work_dir: Path) -> Path:
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        raise SystemExit(f'study: no checkpoint written in {work_dir}')
    return Path(pointer.read_text().strip())


def read_scalars(work_dir: Path) -> list:
    """Every entry mmengine logged to ``vis_data/scalars.json`` in the newest run under ``work_dir``."""
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not scalars:
        raise SystemExit(f'study: no scalars.json under {work_dir}')
    return [json.loads(line) for line in scalars[-1].read_text().splitlines() if line.strip()]


def read_final_metrics(work_dir: Path) -> dict:
    """The last validation metrics mmengine logged."""
    metrics = [e for e in read_scalars(work_dir) if 'mIoU' in e]
    if not metrics:
        raise SystemExit(f'study: no validation metrics under {work_dir}')
    return metrics[-1]


def tail_mean(entries: list, key: str, share: float = 0.1):
    """Mean of ``key`` over the training log entries of the last ``share`` of the iterations (None if never
    logged): the end-of-training value of a noisy per-batch loss."""
    points = [(e['iter'], e[key]) for e in entries if key in e and 'iter' in e]
    if not points:
        return None
    last_iter = max(i for i, _ in points)
    tail = [v for i, v in points if i > last_iter * (1 - share)] or [points[-1][1]]
    return float(sum(tail) / len(tail))
