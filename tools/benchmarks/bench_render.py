"""Render speed of the synthetic RGB-D world (one process, one thread).

    OMP_NUM_THREADS=1 python tools/benchmarks/bench_render.py [--sizes 320x240 640x480] [--scenes 3] [--frames 30]
                                                              [--study-world]

Builds the scenes (timed: what a world of many rooms with few frames each pays per room), renders every scene's
trajectory with and without sensor noise and prints a table per resolution: frames/s and ms/frame by wall clock and
by process CPU time (the CPU column is the one to trust on a shared machine). ``--study-world``: the study's densely
furnished rooms (tools/benchmarks/study_lib/world.py) instead of the generator's default ones.
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):  # one core, before numpy loads
    os.environ.setdefault(_var, '1')

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from mask3d_mm.data_prep.synthetic import SyntheticScene  # noqa: E402


def parse_size(text):
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'size must look like 320x240, got {text!r}') from None
    return width, height


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=parse_size, nargs='+', default=[(80, 60), (320, 240), (640, 480)])
    parser.add_argument('--scenes', type=int, default=3, help='scenes (seeds 0..N-1)')
    parser.add_argument('--frames', type=int, default=30, help='frames per scene')
    parser.add_argument('--study-world', action='store_true',
                        help="the study's rooms (20-32 objects tried, shared palettes, five classes)")
    return parser.parse_args(argv)


def world_options(study_world):
    """``SyntheticScene`` keyword arguments of the world to time: the study's, or none (the default world)."""
    if not study_world:
        return {}
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # study_lib
    from study_lib.world import STUDY_WORLD
    return STUDY_WORLD


def build_scenes(count, options):
    """(scenes, wall seconds, CPU seconds) to build ``count`` scenes (layout, furniture, geometry)."""
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    scenes = [SyntheticScene(seed, **options) for seed in range(count)]
    return scenes, time.perf_counter() - wall_start, time.process_time() - cpu_start


def time_renders(scenes, size, frames, sensor_noise):
    """(wall seconds, CPU seconds) to render ``frames`` frames of every scene at ``size``."""
    width, height = size
    wall = cpu = 0.0
    for scene in scenes:
        K, poses = scene.intrinsics(height, width), scene.trajectory(frames)
        scene.render(poses[0], K, height, width)  # warm-up (allocator, caches)
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for index, pose in enumerate(poses):
            scene.render(pose, K, height, width, sensor_noise=sensor_noise, frame_index=index)
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
    return wall, cpu


def main(argv=None):
    args = parse_args(argv)
    scenes, build_wall, build_cpu = build_scenes(args.scenes, world_options(args.study_world))
    objects = sum(len(s.objects) for s in scenes)
    primitives = sum(s.geometry.num_primitives for s in scenes)
    print(f'{len(scenes)} {"study-world " if args.study_world else ""}scenes, {objects} objects, {primitives} '
          f'primitives (incl. 6 room faces each), {args.frames} frames per scene, '
          f'OMP_NUM_THREADS={os.environ["OMP_NUM_THREADS"]}')
    print(f'building a scene: {1000 * build_wall / len(scenes):.0f} ms wall, {1000 * build_cpu / len(scenes):.0f} ms '
          f'CPU per room')
    header = f'{"resolution":>10} {"noise":>5} {"frames/s":>9} {"ms/frame":>9} {"CPU fps":>8} {"CPU ms":>7}'
    print(header)
    print('-' * len(header))
    n_frames = args.frames * len(scenes)
    for size in args.sizes:
        for sensor_noise in (False, True):
            wall, cpu = time_renders(scenes, size, args.frames, sensor_noise)
            print(f'{size[0]:>4}x{size[1]:<5} {"on" if sensor_noise else "off":>5} {n_frames / wall:9.1f} '
                  f'{1000 * wall / n_frames:9.2f} {n_frames / cpu:8.1f} {1000 * cpu / n_frames:7.2f}')


if __name__ == '__main__':
    main()
