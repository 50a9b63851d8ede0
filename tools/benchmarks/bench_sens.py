"""ScanNet ``.sens`` extraction: our streaming extractor vs a straightforward reference reader, one core.

    python tools/benchmarks/bench_sens.py [--frames 200] [--repeats 1]

Renders a few 640x480 synthetic frames (with sensor noise, so depth compresses like a real sensor's), records
them cyclically into a ``.sens`` of ``--frames`` frames (tests/helpers/sens_writer.py) in a temp dir, then
extracts it with both implementations, each in a fresh process pinned to one core:

* ours: ``mask3d_mm.data_prep.converters.sens_extract.extract_scene`` (seeks past skipped frames, copies JPEG
  bytes through when no resize is asked for, atomic writes, pose checks);
* scannet-ref: what ScanNet's SensorData.py does, written here: read every frame into a list, its payloads
  unpacked byte by byte (``b''.join(struct.unpack('c' * n, ...))``, as SensorData.py's ``RGBDFrame.load``), then
  for every kept frame decompress + write depth, decode + re-encode colour, savetxt the pose;
* bulk-ref: the same without the byte-by-byte unpacking (payloads sliced out of the whole file in one read), i.e.
  the best a load-everything reader can do.
The image codecs are cv2's in all three (same PNG/JPEG settings), so the ratios measure the pipelines.

Throughput = frames of the .sens covered per second (kept frames are 1 in ``frame skip``); peak memory = peak
RSS (VmHWM, reset before the run) minus RSS before the run (imports excluded). A second, 3x longer file checks
that our memory does not grow with the file. Takes about 2 minutes.
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):  # one core, before numpy loads
    os.environ.setdefault(_var, '1')

import argparse  # noqa: E402
import json  # noqa: E402
import os.path as osp  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
JPEG_QUALITY = 95
CASES = (  # (label, frame skip, output size)
    ('640x480, every frame', 1, None),
    ('640x480, frame skip 25', 25, None),
    ('-> 320x240, every frame', 1, (320, 240)),
)


# ----------------------------------------------------------------------------------------------- reference
def reference_extract(sens_path, out_dir, frame_skip, size, bytewise=False):
    """The load-everything approach: whole file in memory, ``struct`` per field, every frame kept in a list;
    ``bytewise``: payloads unpacked one byte at a time, as ScanNet's SensorData.py does."""
    with open(sens_path, 'rb') as f:
        data = f.read()
    position = 0

    def take(fmt):
        nonlocal position
        values = struct.unpack_from(fmt, data, position)
        position += struct.calcsize(fmt)
        return values

    def take_bytes(num_bytes, payload=False):
        nonlocal position
        if payload and bytewise:
            chunk = b''.join(struct.unpack_from('c' * num_bytes, data, position))
        else:
            chunk = data[position:position + num_bytes]
        position += num_bytes
        return chunk

    take('<I')  # version
    take_bytes(take('<Q')[0])  # sensor name
    intrinsic_color, _, intrinsic_depth, _ = (np.array(take('<16f')).reshape(4, 4) for _ in range(4))
    take('<2i')  # compressions
    color_w, color_h, depth_w, depth_h = take('<4I')
    take('<f')  # depth shift
    num_frames, = take('<Q')
    frames = []
    for _ in range(num_frames):
        pose = np.array(take('<16f'), dtype=np.float32).reshape(4, 4)
        _, _, color_bytes, depth_bytes = take('<4Q')
        frames.append((pose, take_bytes(color_bytes, payload=True), take_bytes(depth_bytes, payload=True)))
    for folder in ('color', 'depth', 'pose', 'intrinsic'):
        os.makedirs(osp.join(out_dir, folder), exist_ok=True)
    np.savetxt(osp.join(out_dir, 'intrinsic', 'intrinsic_color.txt'), intrinsic_color)
    np.savetxt(osp.join(out_dir, 'intrinsic', 'intrinsic_depth.txt'), intrinsic_depth)
    for index in range(0, num_frames, frame_skip):
        pose, color_data, depth_data = frames[index]
        depth = np.frombuffer(zlib.decompress(depth_data), dtype=np.uint16).reshape(depth_h, depth_w)
        color = cv2.imdecode(np.frombuffer(color_data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if size is not None:
            depth = cv2.resize(depth, size, interpolation=cv2.INTER_NEAREST)
            color = cv2.resize(color, size, interpolation=cv2.INTER_AREA)
        cv2.imwrite(osp.join(out_dir, 'depth', f'{index}.png'), depth)
        cv2.imwrite(osp.join(out_dir, 'color', f'{index}.jpg'), color, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        np.savetxt(osp.join(out_dir, 'pose', f'{index}.txt'), pose)
    return num_frames


def scannet_reference_extract(sens_path, out_dir, frame_skip, size):
    return reference_extract(sens_path, out_dir, frame_skip, size, bytewise=True)


def ours_extract(sens_path, out_dir, frame_skip, size):
    from mask3d_mm.data_prep.converters.sens_extract import ExtractOptions, extract_scene
    result = extract_scene(sens_path, out_dir, ExtractOptions(frame_skip=frame_skip, size=size,
                                                              jpeg_quality=JPEG_QUALITY))
    assert result.status == 'extracted', result
    return result.num_frames


# ----------------------------------------------------------------------------------------------- one measurement
IMPLEMENTATIONS = {'scannet-ref': scannet_reference_extract, 'bulk-ref': reference_extract, 'ours': ours_extract}


def status_mb(field):
    """A memory line of /proc/self/status in MB (VmRSS: now; VmHWM: peak since start or the last reset)."""
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ':')) / 1024


def reset_peak_rss():
    with open('/proc/self/clear_refs', 'w') as f:  # '5' resets VmHWM to the current RSS (Linux >= 4.0)
        f.write('5')


def child(args):
    """Run one extraction in this (fresh) process on one core; print {seconds, frames, peak_mb} as json."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    if args.child == 'ours':
        from mask3d_mm.data_prep.converters import sens_extract  # noqa: F401  (imports outside the measurement)
    size = tuple(args.size) if args.size else None
    reset_peak_rss()
    base_mb = status_mb('VmRSS')
    start = time.perf_counter()
    num_frames = IMPLEMENTATIONS[args.child](args.sens, args.out, args.frame_skip, size)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(seconds=seconds, frames=num_frames, peak_mb=status_mb('VmHWM') - base_mb)))


def measure(which, sens_path, out_dir, frame_skip, size):
    command = [sys.executable, osp.abspath(__file__), '--child', which, '--sens', sens_path, '--out', out_dir,
               '--frame-skip', str(frame_skip)] + (['--size', *map(str, size)] if size else [])
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f'{which} extraction failed:\n{done.stderr}')
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------- the .sens
def write_benchmark_sens(tmp_dir, num_frames_list):
    """.sens files of the given lengths, cycling through 8 rendered 640x480 frames; returns their paths."""
    sys.path.insert(0, REPO)
    from mask3d_mm.data_prep.synthetic import generate_dataset
    from tests.helpers.sens_writer import record_scene
    scene_id, = generate_dataset(osp.join(tmp_dir, 'rendered'), num_scenes=1, frames_per_scene=8, seed=0,
                                 height=480, width=640)
    paths = []
    for num_frames in num_frames_list:
        path = osp.join(tmp_dir, f'bench_{num_frames}.sens')
        record_scene(osp.join(tmp_dir, 'rendered', scene_id), num_frames=num_frames).write(path)
        paths.append(path)
    return paths


def best_of(repeats, *args):
    runs = [measure(*args) for _ in range(repeats)]
    return min(runs, key=lambda run: run['seconds'])


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    with tempfile.TemporaryDirectory(prefix='bench_sens_') as tmp_dir:
        sens_path, long_path = write_benchmark_sens(tmp_dir, [args.frames, 3 * args.frames])
        print(f'.sens: {args.frames} frames 640x480 (JPEG colour, zlib depth), {osp.getsize(sens_path) / 2**20:.1f} MB;'
              f' one core; best of {args.repeats}')
        header = (f'{"case":<25} {"impl":<12} {"frames/s":>9} {"peak MB":>8}   {"ours vs this":>12}')
        print(header + '\n' + '-' * len(header))
        for n, (label, frame_skip, size) in enumerate(CASES):
            runs = {which: best_of(args.repeats, which, sens_path, osp.join(tmp_dir, f'out_{which}_{n}'), frame_skip,
                                   size) for which in IMPLEMENTATIONS}
            for which, run in runs.items():
                speedup = run['seconds'] / runs['ours']['seconds']
                print(f'{label:<25} {which:<12} {run["frames"] / run["seconds"]:>9.1f} {run["peak_mb"]:>8.1f}   '
                      f'{speedup:>11.1f}x')
        long_runs = {which: measure(which, long_path, osp.join(tmp_dir, f'out_{which}_long'), 25, None)
                     for which in ('bulk-ref', 'ours')}
        peaks = ', '.join(f'{which} {run["peak_mb"]:.1f}' for which, run in long_runs.items())
        print(f'\npeak MB with a 3x longer file ({3 * args.frames} frames, {osp.getsize(long_path) / 2**20:.1f} MB, '
              f'frame skip 25): {peaks}')
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=200, help='frames in the benchmark .sens (default 200)')
    parser.add_argument('--repeats', type=int, default=1, help='runs per measurement, best kept (default 1)')
    parser.add_argument('--child', choices=tuple(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    parser.add_argument('--sens', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    parser.add_argument('--frame-skip', type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument('--size', type=int, nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == '__main__':
    sys.exit(main())
