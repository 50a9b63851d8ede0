"""tools/data/check_frames.py: the pre-scan of a frames root lists every broken frame (path, what is wrong), counts
them and exits 2; a good root passes with 0; the error a dataset raises on a broken frame names the pre-scan."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mask3d_mm.formats.frame_layout import CHECK_FRAMES_COMMAND
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, load_tool

from .conftest import FRAMES, HEIGHT, WIDTH

TOOL = REPO / 'tools/data/check_frames.py'
SCENES = ('scene0000_00', 'scene0001_00', 'scene0002_00')


@pytest.fixture
def root(synthetic_root, tmp_path):
    """A copy of the synthetic world (3 scenes x 8 frames, 64x48) that a test may damage."""
    return shutil.copytree(synthetic_root, tmp_path / 'frames')


def check(root, capsys, *flags):
    """The tool's ``main`` under ``run_cli``, in this process: (exit code, stdout lines, stderr)."""
    code = 0
    try:
        run_cli(lambda: load_tool(TOOL).main([str(root), '--no-progress', *map(str, flags)]))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def write_png(path, array):
    ok, data = cv2.imencode('.png', array)
    path.write_bytes(data.tobytes())


def test_a_good_root_passes(root, capsys):
    code, lines, err = check(root, capsys, '--workers', '2')
    assert (code, err) == (0, '')
    assert lines == [f'scenes: {len(SCENES)} (0 with problems)', f'frames: {len(SCENES) * FRAMES} checked, 0 bad',
                     'problems: 0']


def test_every_broken_frame_is_listed_with_its_path_and_counted(root, capsys):
    scene = root / SCENES[0]
    (scene / 'color/2.jpg').write_bytes(b'')  # 0-byte JPEG
    png = (scene / 'depth/3.png').read_bytes()
    (scene / 'depth/3.png').write_bytes(png[:len(png) // 2])  # truncated PNG
    jpeg = (scene / 'color/4.jpg').read_bytes()
    (scene / 'color/4.jpg').write_bytes(jpeg[:len(jpeg) * 2 // 3])  # truncated JPEG
    write_png(scene / 'depth/5.png', np.ones((HEIGHT, WIDTH // 2), np.uint16))  # other aspect than the colour
    other = root / SCENES[1]
    cv2.imwrite(str(other / 'color/1.jpg'), np.zeros((2 * HEIGHT, 2 * WIDTH, 3), np.uint8))  # not the scene's size
    (other / 'depth/6.png').unlink()
    (other / 'pose/7.txt').write_text('not a matrix\n')

    code, lines, err = check(root, capsys)
    assert code == 2
    assert err == f'error: {root}: 7 of {len(SCENES) * FRAMES} frames have problems (7 listed above)\n'
    problems, summary = lines[:-3], lines[-3:]
    expected = {
        scene / 'color/2.jpg': 'empty file (0 bytes)',
        scene / 'depth/3.png': 'cannot decode a single-channel uint16 depth PNG',
        scene / 'color/4.jpg': 'not a complete JPEG',
        scene / 'depth/5.png': f'depth {WIDTH // 2}x{HEIGHT} does not fit colour {WIDTH}x{HEIGHT}',
        other / 'color/1.jpg': f'{2 * WIDTH}x{2 * HEIGHT}, the scene\'s other color frames are {WIDTH}x{HEIGHT}',
        other / 'depth/6.png': 'missing',
        other / 'pose/7.txt': 'not a 4x4 text matrix',
    }
    assert len(problems) == len(expected), problems
    for line in problems:
        path, message = line.split(': ', 1)
        assert message.startswith(expected.pop(Path(path))), line
    assert summary == ['scenes: 3 (2 with problems)', f'frames: {len(SCENES) * FRAMES} checked, 7 bad',
                       'problems: 7 (empty file: 1, missing file: 1, size mismatch: 2, unreadable: 3)']


def test_scene_with_poses_needs_its_intrinsics_and_a_scene_without_is_mask3d_only(root, capsys):
    (root / SCENES[0] / 'intrinsic/intrinsic_depth.txt').unlink()
    shutil.rmtree(root / SCENES[1] / 'pose')
    code, lines, err = check(root, capsys)
    assert code == 2
    assert lines[0] == f'{root / SCENES[0] / "intrinsic/intrinsic_depth.txt"}: missing (a scene with poses needs it)'
    assert lines[1] == 'scenes: 3 (1 with problems; 1 without poses: Mask3D only)'


def test_a_split_restricts_the_scenes_and_a_root_without_frames_is_one_error(root, tmp_path, capsys):
    (root / 'splits/one.txt').write_text(f'{SCENES[2]}\n')
    (root / SCENES[0] / 'color/0.jpg').write_bytes(b'')  # not in the split
    code, lines, _ = check(root, capsys, '--split', 'one')
    assert code == 0 and lines[-2] == f'frames: {FRAMES} checked, 0 bad'
    (tmp_path / 'empty').mkdir()
    code, lines, err = check(tmp_path / 'empty', capsys)
    assert (code, lines) == (2, [])
    assert err == f'error: {tmp_path / "empty"}: no <scene>/color/ folders: not a root of the extracted-frame layout\n'


def test_a_sampled_broken_frame_names_the_prescan_which_runs_verbatim(root):
    """The dataset's error line names the command; run as printed (python = this interpreter), it lists the frame."""
    from mask3d_mm.datasets.rgbd_frames import RGBDFrameDataset
    empty = root / SCENES[0] / 'depth/4.png'
    empty.write_bytes(b'')
    dataset = RGBDFrameDataset(data_root=str(root), scenes=list(SCENES), pipeline=[dict(type='LoadRGBDFromFile')])
    with pytest.raises(DataError) as error:
        dataset[4]
    command = CHECK_FRAMES_COMMAND.format(root=root)
    assert str(error.value) == (f'{empty}: empty file (0 bytes), expected a single-channel uint16 depth PNG '
                                f'(millimetres); to list every broken frame at once: {command}')
    assert dataset[3]['depth'].shape == (HEIGHT, WIDTH)  # other frames load as before

    argv = command.split()
    result = subprocess.run([sys.executable, *argv[1:], '--no-progress'], cwd=REPO, capture_output=True, text=True,
                            env={'PYTHONPATH': str(REPO), 'PATH': '/usr/bin:/bin', 'OMP_NUM_THREADS': '1'},
                            timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stdout.splitlines()[0] == f'{empty}: empty file (0 bytes)'
    assert re.fullmatch(rf'error: {re.escape(str(root))}: 1 of \d+ frames have problems \(1 listed above\)\n',
                        result.stderr)
