"""Bad input to tools/data/rgbd/convert.py: one ``error:`` line naming the file, exit code 2, nothing written."""
import cv2
import numpy as np
import pytest

from mask3d_mm.utils.cli import run_cli
from tests.conftest import load_tool, run_tool
from tests.helpers import rgbd_writers as writers

convert = load_tool('tools/data/rgbd/convert.py')
K = writers.intrinsics(30.0, 30.0, 15.5, 11.5)
K_ARGS = ['--intrinsics', '30', '30', '15.5', '11.5']


def frames(num=3, seed=0):
    return writers.random_frames(num, color_hw=(24, 32), seed=seed)


def refused(capsys, out, *args):
    """The single stderr line of a refused run (exit code 2, no file under ``out``)."""
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: convert.main([*map(str, args), '--out', str(out), '--no-progress']))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith('error: ') and err.count('\n') == 1, err
    assert writers.tree_files(out) == []
    return err


def test_missing_tum_depth_list(tmp_path, capsys):
    seq = writers.write_tum(tmp_path, frames())
    (seq / 'depth.txt').unlink()
    assert f'{seq / "depth.txt"}: no such file' in refused(capsys, tmp_path / 'out', '--format', 'tum', '--src', seq)


def test_missing_association_file(tmp_path, capsys):
    seq = writers.write_redwood(tmp_path, frames(), K)
    err = refused(capsys, tmp_path / 'out', '--format', 'redwood', '--src', seq, '--association', seq / 'assoc.txt')
    assert f'{seq / "assoc.txt"}: no such file' in err


def test_missing_redwood_intrinsic_json(tmp_path, capsys):
    seq = writers.write_redwood(tmp_path, frames(), K)
    (seq / 'camera_intrinsic.json').unlink()
    err = refused(capsys, tmp_path / 'out', '--format', 'redwood', '--src', seq)
    assert f'{seq / "camera_intrinsic.json"}: no such file' in err


def test_missing_intrinsics_file(tmp_path, capsys):
    seq = writers.write_folder(tmp_path, frames())
    err = refused(capsys, tmp_path / 'out', '--format', 'folder', '--src', seq, '--depth-scale', 1000,
                  '--intrinsics', tmp_path / 'K.txt')
    assert f'{tmp_path / "K.txt"}: no such file' in err


def test_8bit_depth_after_a_good_frame(tmp_path, capsys):
    """Frame 0 is converted before frame 1's 8-bit depth is met: the partial scene is removed."""
    seq = writers.write_folder(tmp_path, frames())
    bad = seq / 'depth' / 'frame_0001.png'
    cv2.imwrite(str(bad), np.full((24, 32), 100, np.uint8))
    err = refused(capsys, tmp_path / 'out', '--format', 'folder', '--src', seq, '--depth-scale', 1000, *K_ARGS)
    assert f'{bad}: expected a single-channel uint16 depth' in err and 'uint8' in err


def test_float_depth(tmp_path, capsys):
    seq = writers.write_folder(tmp_path, frames())
    (seq / 'depth' / 'frame_0002.png').unlink()
    bad = seq / 'depth' / 'frame_0002.tiff'
    cv2.imwrite(str(bad), np.full((24, 32), 1.5, np.float32))
    err = refused(capsys, tmp_path / 'out', '--format', 'folder', '--src', seq, '--depth-scale', 1000, *K_ARGS)
    assert f'{bad}: expected a single-channel uint16 depth' in err and 'float32' in err


def test_colour_and_depth_counts_do_not_pair(tmp_path, capsys):
    seq = writers.write_redwood(tmp_path / 'redwood', frames(4), K)
    (seq / 'depth' / '000003.png').unlink()
    err = refused(capsys, tmp_path / 'out', '--format', 'redwood', '--src', seq)
    assert f'{seq / "color"}: 4 colour images but 3 depth images' in err
    folder = writers.write_folder(tmp_path / 'folder', frames(3))
    (folder / 'color' / 'frame_0001.png').rename(folder / 'color' / 'other.png')
    err = refused(capsys, tmp_path / 'out', '--format', 'folder', '--src', folder, '--depth-scale', 1000, *K_ARGS)
    assert f'{folder / "color"}: 3 colour and 3 depth images' in err and '2 without a partner' in err


def test_no_usable_frame(tmp_path, capsys):
    empty = frames()
    for frame in empty:
        frame.depth_mm[:] = 0
    seq = writers.write_arkitscenes(tmp_path, empty, K)
    err = refused(capsys, tmp_path / 'out', '--format', 'arkitscenes', '--src', seq)
    assert f'{seq}: no usable frame (3 colour frames; depth valid on too few pixels: 3)' in err


def test_unreadable_colour_image_from_the_command_line(tmp_path):
    """As a user runs it: a fresh interpreter, one line on stderr, exit code 2, nothing under --out."""
    seq = writers.write_tum(tmp_path, frames())
    bad = sorted((seq / 'rgb').iterdir())[1]
    bad.write_bytes(b'not a png')
    proc = run_tool('tools/data/rgbd/convert.py', '--format', 'tum', '--src', seq, '--out', tmp_path / 'out',
                    '--no-progress')
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f'error: {bad}: cannot decode a colour image (9 bytes: truncated or not an image)\n'
    assert writers.tree_files(tmp_path / 'out') == []


def test_an_option_of_another_format_is_refused(tmp_path, capsys):
    seq = writers.write_tum(tmp_path, frames())
    with pytest.raises(SystemExit) as exit_info:
        convert.main(['--format', 'tum', '--src', str(seq), '--out', str(tmp_path / 'out'), '--depth-scale', '1000'])
    assert exit_info.value.code == 2
    assert 'error: --depth-scale is for --format folder, not tum' in capsys.readouterr().err
    assert writers.tree_files(tmp_path / 'out') == []
