"""ScanNet ``.sens``: synthetic scene -> .sens (test writer) -> extract_sens.py -> the frame layout, compared with
the scene the .sens was recorded from; strict errors on broken files; kill + resume."""
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from mask3d_mm.data_prep.converters.sens import SensFormatError, SensReader
from mask3d_mm.data_prep.converters.sens_extract import DONE_MARKER, PROGRESS_MARKER
from mask3d_mm.geometry import scale_intrinsics
from mask3d_mm.utils.atomic_io import is_temporary
from tests.conftest import REPO, load_tool, run_tool
from tests.helpers.sens_writer import record_scene

from .conftest import FRAMES, HEIGHT, WIDTH

TOOL = REPO / 'tools/data/scannet/extract_sens.py'
SOURCE = 'scene0000_00'
NAME_BYTES = len('StructureSensor')
COMPRESSION_OFFSET = 4 + 8 + NAME_BYTES + 4 * 64  # version, name length, name, four 4x4 float32 matrices
INF_POSE_FRAME, NAN_POSE_FRAME = 3, 5


def read_png(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, f'{path} missing or unreadable'
    return image


def write_scene_sens(sens_root, scene_id, recording, **overrides):
    (sens_root / scene_id).mkdir(parents=True, exist_ok=True)
    return recording.write(sens_root / scene_id / f'{scene_id}.sens', **overrides)


def with_invalid_poses(recording):
    """The recording with ScanNet's lost-tracking pose (all -inf) at one frame and a NaN entry at another."""
    frames = list(recording.frames)
    frames[INF_POSE_FRAME] = dataclasses.replace(frames[INF_POSE_FRAME], camera_to_world=np.full((4, 4), -np.inf))
    nan_pose = frames[NAN_POSE_FRAME].camera_to_world.copy()
    nan_pose[1, 2] = np.nan
    frames[NAN_POSE_FRAME] = dataclasses.replace(frames[NAN_POSE_FRAME], camera_to_world=nan_pose)
    return dataclasses.replace(recording, frames=frames)


def extract(sens_root, out, *flags):
    """The CLI in a fresh interpreter (needed for worker processes and to be killed)."""
    return run_tool(TOOL, '--sens-root', sens_root, '--out', out, '--no-progress', *flags)


def extract_in_process(capsys, sens_root, out, *flags, errors=False):
    """The CLI's ``main`` in this process (saves an interpreter start); returns (exit code, stdout), with
    ``errors`` (exit code, stdout, stderr)."""
    code = load_tool(TOOL).main(['--sens-root', str(sens_root), '--out', str(out), '--no-progress',
                                 *map(str, flags)])
    captured = capsys.readouterr()
    return (code, captured.out, captured.err) if errors else (code, captured.out)


def as_f32(matrix):
    return np.asarray(matrix, dtype=np.float64).astype(np.float32)


def assert_frame_matches_source(out_scene, index, source_scene, source_stem):
    """Depth bit-identical, JPEG bytes identical (copied through), pose equal at float32 precision."""
    depth = read_png(out_scene / 'depth' / f'{index}.png')
    assert depth.dtype == np.uint16
    np.testing.assert_array_equal(depth, read_png(source_scene / 'depth' / f'{source_stem}.png'))
    assert (out_scene / 'color' / f'{index}.jpg').read_bytes() == \
        (source_scene / 'color' / f'{source_stem}.jpg').read_bytes()
    np.testing.assert_array_equal(as_f32(np.loadtxt(out_scene / 'pose' / f'{index}.txt')),
                                  as_f32(np.loadtxt(source_scene / 'pose' / f'{source_stem}.txt')))


def output_files(root):
    return sorted(p.relative_to(root) for p in root.rglob('*') if p.is_file())


# ----------------------------------------------------------------------------------------------- round trip
def test_round_trip_is_exact_and_invalid_poses_are_skipped_and_reported(synthetic_root, tmp_path, capsys):
    source = synthetic_root / SOURCE
    write_scene_sens(tmp_path / 'scans', SOURCE, with_invalid_poses(record_scene(source)))
    code, summary = extract_in_process(capsys, tmp_path / 'scans', tmp_path / 'out', '--frame-skip', '1')
    assert code == 0
    assert f'frames written: {FRAMES - 2} of {FRAMES}' in summary
    assert 'frames skipped: 2 (pose has inf/NaN: 2)' in summary

    out_scene = tmp_path / 'out' / SOURCE
    valid = [i for i in range(FRAMES) if i not in (INF_POSE_FRAME, NAN_POSE_FRAME)]
    for index in valid:
        assert_frame_matches_source(out_scene, index, source, str(index))
    for folder, suffix in (('color', '.jpg'), ('depth', '.png'), ('pose', '.txt')):
        assert sorted(int(p.stem) for p in (out_scene / folder).glob(f'*{suffix}')) == valid
    for name in ('intrinsic_color', 'intrinsic_depth'):
        np.testing.assert_array_equal(as_f32(np.loadtxt(out_scene / 'intrinsic' / f'{name}.txt')),
                                      as_f32(np.loadtxt(source / 'intrinsic' / f'{name}.txt')))
    marker = json.loads((out_scene / DONE_MARKER).read_text())
    assert marker['result']['skipped'] == {'pose has inf/NaN': [INF_POSE_FRAME, NAN_POSE_FRAME]}
    assert not (out_scene / PROGRESS_MARKER).exists()


def test_resize_frame_skip_and_scene_selection(synthetic_root, tmp_path, capsys):
    for scene_id in (SOURCE, 'scene0001_00'):
        write_scene_sens(tmp_path / 'scans', scene_id, record_scene(synthetic_root / scene_id))
    half = (WIDTH // 2, HEIGHT // 2)
    code, _ = extract_in_process(capsys, tmp_path / 'scans', tmp_path / 'out', '--frame-skip', '3', '--size', *half,
                                 '--scenes', 'scene0001_00')
    assert code == 0
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['scene0001_00', 'splits']
    assert (tmp_path / 'out' / 'splits' / 'train.txt').read_text() == 'scene0001_00\n'

    source, out_scene = synthetic_root / 'scene0001_00', tmp_path / 'out' / 'scene0001_00'
    kept = list(range(0, FRAMES, 3))
    assert sorted(int(p.stem) for p in (out_scene / 'depth').glob('*.png')) == kept
    for index in kept:
        # nearest-exact 2x shrink: target pixel centre (u + 0.5) * 2 lands on source pixel 2u + 1
        np.testing.assert_array_equal(read_png(out_scene / 'depth' / f'{index}.png'),
                                      read_png(source / 'depth' / f'{index}.png')[1::2, 1::2])
        assert read_png(out_scene / 'color' / f'{index}.jpg').shape == (half[1], half[0], 3)
    for name in ('intrinsic_color', 'intrinsic_depth'):
        K = np.loadtxt(source / 'intrinsic' / f'{name}.txt')
        np.testing.assert_allclose(np.loadtxt(out_scene / 'intrinsic' / f'{name}.txt'),
                                   scale_intrinsics(as_f32(K).astype(np.float64), 0.5, 0.5), rtol=1e-6)


def test_listed_scene_without_sens_file_is_reported(synthetic_root, tmp_path, capsys):
    write_scene_sens(tmp_path / 'scans', SOURCE, record_scene(synthetic_root / SOURCE))
    (tmp_path / 'list.txt').write_text(f'{SOURCE}\nscene0999_00\n')
    code, summary, errors = extract_in_process(capsys, tmp_path / 'scans', tmp_path / 'out', '--scenes',
                                               tmp_path / 'list.txt', errors=True)
    assert code == 2 and 'scenes: 2 (1 extracted, 0 already done, 1 failed)' in summary
    assert errors == f"error: {tmp_path / 'scans' / 'scene0999_00' / 'scene0999_00.sens'}: no such .sens file\n"


# ----------------------------------------------------------------------------------------------- bad files
def corrupt(path, offset, data):
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def break_sens(kind, path, layout):
    """Damage a written .sens; returns (byte offset the error must name, words the message must hold)."""
    if kind == 'truncated':
        os.truncate(path, layout.depth_offsets[-1] + 10)  # in the middle of the last depth block
        return layout.frame_offsets[-1], 'truncated file'
    if kind == 'truncated header':
        os.truncate(path, 4 + 8 + NAME_BYTES + 100)  # inside the four intrinsic / extrinsic matrices
        return 4 + 8 + NAME_BYTES, 'truncated file: camera block needs'
    if kind == 'corrupted zlib':
        corrupt(path, layout.depth_offsets[2], b'\x00\x00')  # zlib header of frame 2's depth
        return layout.depth_offsets[2], 'corrupted zlib depth block'
    raise ValueError(kind)


HEADER_BREAKS = {  # kind -> (writer overrides, byte offset of the error, words of the message)
    'wrong version': (dict(version=5), 0, 'unsupported .sens version 5'),
    'unknown colour compression': (dict(color_compression='unknown'), COMPRESSION_OFFSET, "compression 'unknown'"),
    'unknown depth compression': (dict(depth_compression='unknown'), COMPRESSION_OFFSET + 4, "compression 'unknown'"),
    'impossible size': (dict(depth_size=(0, HEIGHT)), COMPRESSION_OFFSET + 8, 'impossible depth width 0'),
    'frame count beyond the file': (dict(num_frames=10 ** 6), COMPRESSION_OFFSET + 8 + 16 + 4, 'cannot fit'),
}


def read_everything(path):
    with SensReader(path) as reader:
        for frame in reader.frames():
            reader.decode_depth(frame)
            reader.decode_color(frame)


@pytest.mark.parametrize('kind', sorted(HEADER_BREAKS))
def test_bad_header_is_an_error_naming_file_and_offset(synthetic_root, tmp_path, kind):
    overrides, offset, words = HEADER_BREAKS[kind]
    path = tmp_path / 'bad.sens'
    record_scene(synthetic_root / SOURCE).write(path, **overrides)
    with pytest.raises(SensFormatError, match=f'{re.escape(str(path))}: byte {offset}: .*{re.escape(words)}'):
        read_everything(path)


@pytest.mark.parametrize('kind', ['truncated', 'truncated header', 'corrupted zlib'])
def test_bad_frame_is_an_error_naming_file_and_offset(synthetic_root, tmp_path, kind):
    path = tmp_path / 'bad.sens'
    offset, words = break_sens(kind, path, record_scene(synthetic_root / SOURCE).write(path))
    with pytest.raises(SensFormatError, match=f'{re.escape(str(path))}: byte {offset}: .*{re.escape(words)}'):
        read_everything(path)


def test_bad_scenes_fail_alone_with_two_workers(synthetic_root, tmp_path):
    recording, scans = record_scene(synthetic_root / SOURCE), tmp_path / 'scans'
    expected_errors = {}
    for i, kind in enumerate(['truncated', 'corrupted zlib']):
        scene_id = f'scene010{i}_00'
        offset, words = break_sens(kind, scans / scene_id / f'{scene_id}.sens',
                                   write_scene_sens(scans, scene_id, recording))
        expected_errors[scene_id] = (f'{scans / scene_id / scene_id}.sens: byte {offset}: ', words)
    for i, kind in enumerate(['wrong version', 'unknown depth compression']):
        scene_id = f'scene020{i}_00'
        overrides, offset, words = HEADER_BREAKS[kind]
        write_scene_sens(scans, scene_id, recording, **overrides)
        expected_errors[scene_id] = (f'{scans / scene_id / scene_id}.sens: byte {offset}: ', words)
    for scene_id in ('scene0300_00', 'scene0301_00'):
        write_scene_sens(scans, scene_id, recording)

    result = extract(scans, tmp_path / 'out', '--frame-skip', '1', '--workers', '2')
    assert result.returncode == 2
    assert 'scenes: 6 (2 extracted, 0 already done, 4 failed)' in result.stdout
    failures = result.stderr.splitlines()
    assert len(failures) == 4 and 'Traceback' not in result.stderr
    for line in failures:
        scene_id = re.search(r'scene0\d{3}_00', line).group()
        prefix, words = expected_errors.pop(scene_id)
        assert line.startswith(f'error: {prefix}') and words in line, line
    assert expected_errors == {}
    for scene_id in ('scene0300_00', 'scene0301_00'):
        out_scene = tmp_path / 'out' / scene_id
        assert (out_scene / DONE_MARKER).exists()
        for index in range(FRAMES):
            assert_frame_matches_source(out_scene, index, synthetic_root / SOURCE, str(index))


def test_truncated_sens_is_one_error_line_with_true_counts_and_a_rerun_redoes_it(synthetic_root, tmp_path, capsys):
    """A .sens cut after frame 12 of the 60 its header declares (a download that stopped)."""
    scans, out = tmp_path / 'scans', tmp_path / 'out'
    recording = record_scene(synthetic_root / SOURCE, num_frames=60)
    sens = scans / SOURCE / f'{SOURCE}.sens'
    layout = write_scene_sens(scans, SOURCE, recording)
    os.truncate(sens, layout.depth_offsets[12] + 10)  # frames 0..11 complete, frame 12's depth cut short

    code, summary, errors = extract_in_process(capsys, scans, out, '--frame-skip', '1', errors=True)
    assert code == 2
    assert errors == (f'error: {sens}: byte {layout.frame_offsets[12]}: truncated file: frame 12 declares '
                      f'{layout.depth_offsets[12] - layout.color_offsets[12]} colour + '
                      f'{layout.frame_offsets[13] - layout.depth_offsets[12]} depth bytes, ending at byte '
                      f'{layout.frame_offsets[13]} > file size {layout.depth_offsets[12] + 10} '
                      f'(12 of {60} frames written; the scene stays marked unfinished in {PROGRESS_MARKER}, '
                      'a re-run redoes it)\n')
    assert f'frames written: 12 of {60} in the .sens files' in summary
    assert 'scenes: 1 (0 extracted, 0 already done, 1 failed)' in summary
    scene = out / SOURCE
    assert sorted(p.name for p in (scene / 'depth').iterdir()) == sorted(f'{i}.png' for i in range(12))
    assert not (scene / DONE_MARKER).exists()
    marker = json.loads((scene / PROGRESS_MARKER).read_text())
    assert marker['failed']['frames_written'] == 12 and marker['failed']['num_frames'] == 60
    assert 'splits: not written (no scene extracted)' in summary  # an unfinished scene is in no split
    assert not [p for p in out.rglob('*') if is_temporary(p.name)]

    write_scene_sens(scans, SOURCE, recording)  # the complete file again: the re-run redoes the scene
    code, summary = extract_in_process(capsys, scans, out, '--frame-skip', '1')
    assert code == 0 and 'scenes: 1 (1 extracted, 0 already done, 0 failed)' in summary
    assert f'frames written: {60} of {60}' in summary
    assert (scene / DONE_MARKER).exists() and not (scene / PROGRESS_MARKER).exists()
    assert len(list((scene / 'depth').iterdir())) == 60


# ----------------------------------------------------------------------------------------------- kill + resume
KILL_SCENES = [f'scene05{i:02d}_00' for i in range(4)]
KILL_FRAMES = 60  # per scene: long enough that scene 1 is still running when scene 0 is done


def assert_complete_files_are_correct(out, source):
    """Every depth PNG present holds its source frame's exact depth (a killed run leaves none half-written)."""
    for path in out.rglob('depth/*.png'):
        np.testing.assert_array_equal(read_png(path), read_png(source / 'depth' / f'{int(path.stem) % FRAMES}.png'))


def test_killed_run_resumes_without_redoing_done_scenes(synthetic_root, tmp_path, capsys):
    source, scans, out = synthetic_root / SOURCE, tmp_path / 'scans', tmp_path / 'out'
    recording = record_scene(source, num_frames=KILL_FRAMES)
    for scene_id in KILL_SCENES:
        write_scene_sens(scans, scene_id, recording)
    command = [sys.executable, str(TOOL), '--sens-root', str(scans), '--out', str(out), '--frame-skip', '1',
               '--no-progress']
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    first_done = out / KILL_SCENES[0] / DONE_MARKER
    deadline = time.monotonic() + 120
    while not first_done.exists():
        assert process.poll() is None, f'extractor ended before it could be killed: {process.stderr.read()}'
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()

    done = [s for s in KILL_SCENES if (out / s / DONE_MARKER).exists()]
    assert len(done) < len(KILL_SCENES), 'the run finished before the kill: make it longer'
    assert_complete_files_are_correct(out, source)
    done_stamps = {s: (out / s / DONE_MARKER).stat().st_mtime_ns for s in done}

    code, summary = extract_in_process(capsys, scans, out, '--frame-skip', '1')
    assert code == 0
    assert f'{len(done)} already done' in summary
    assert {s: (out / s / DONE_MARKER).stat().st_mtime_ns for s in done} == done_stamps
    leftovers = [p for p in out.rglob('*') if is_temporary(p.name) or p.name == PROGRESS_MARKER]
    assert leftovers == []
    expected = sorted(f'{folder}/{i}.{ext}' for i in range(KILL_FRAMES)
                      for folder, ext in (('color', 'jpg'), ('depth', 'png'), ('pose', 'txt')))
    for scene_id in KILL_SCENES:
        files = [str(p) for p in output_files(out / scene_id) if p.parts[0] != 'intrinsic' and p.name != DONE_MARKER]
        assert sorted(files) == expected, scene_id
    assert_complete_files_are_correct(out, source)
