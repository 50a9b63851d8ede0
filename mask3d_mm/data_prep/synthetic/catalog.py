"""What furniture the synthetic rooms contain: object classes and the primitives each shape is built from.

A class is data (``ObjectClass``): its raw ScanNet category, a shape builder, a size range, where it goes and
which colour palettes it may take. To add a class -- e.g. one that looks like another (same palettes) but has a
different shape -- add an ``ObjectClass`` (and a label row in ``labels.py`` if its category is new) and pass the
extended tuple as ``SyntheticScene(..., classes=...)``.

Object frame: origin at the centre of the footprint at the object's base height, x = width, y = depth with the
back at ``y = -depth / 2`` (against the wall for wall-placed classes), z up.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from .primitives import BOX, CYLINDER


@dataclass(frozen=True)
class ObjectClass:
    """One kind of object: its label, how it is built and placed, and which palettes colour it."""
    category: str  # raw ScanNet category, a row of labels.LABEL_ROWS
    shape: str  # key of SHAPE_BUILDERS
    size_min: Tuple[float, float, float]  # (width, depth, height) in metres
    size_max: Tuple[float, float, float]
    placement: str  # 'wall': mounted on a wall; 'against_wall': on the floor, back to a wall; 'free': anywhere
    palettes: Tuple[str, ...]  # keys of appearance.PALETTES; classes share palettes on purpose
    weight: float = 1.0  # relative sampling frequency
    mount_height: Tuple[float, float] = (0.0, 0.0)  # 'wall' classes: range of the bottom edge above the floor


PLACEMENTS = ('wall', 'against_wall', 'free')


def _box(center, size):
    return BOX, np.asarray(center, dtype=np.float64), np.asarray(size, dtype=np.float64) / 2


def _cylinder(x, y, z_bottom, z_top, radius):
    center = (x, y, (z_bottom + z_top) / 2)
    return CYLINDER, np.asarray(center, dtype=np.float64), np.array([radius, radius, (z_top - z_bottom) / 2])


def build_block(w, d, h, rng):
    return [_box((0, 0, h / 2), (w, d, h))]


def build_table(w, d, h, rng):
    """A thin top on four legs."""
    top, leg = rng.uniform(0.03, 0.06), rng.uniform(0.04, 0.07)
    parts = [_box((0, 0, h - top / 2), (w, d, top))]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(_box((sx * (w / 2 - leg), sy * (d / 2 - leg), (h - top) / 2), (leg, leg, h - top)))
    return parts


def build_desk(w, d, h, rng):
    """A top on a drawer block at one end and two legs at the other."""
    top, leg, drawer_w = 0.04, 0.05, rng.uniform(0.3, 0.45) * w
    side = rng.choice([-1, 1])
    parts = [_box((0, 0, h - top / 2), (w, d, top)),
             _box((side * (w - drawer_w) / 2, 0, (h - top) / 2), (drawer_w, d - 0.04, h - top))]
    for sy in (-1, 1):
        parts.append(_box((-side * (w / 2 - leg), sy * (d / 2 - leg), (h - top) / 2), (leg, leg, h - top)))
    return parts


def build_chair(w, d, h, rng):
    """Seat on four legs plus a backrest."""
    seat_h, seat_t, leg, back_t = rng.uniform(0.42, 0.48), 0.05, 0.04, 0.05
    parts = [_box((0, 0, seat_h - seat_t / 2), (w, d, seat_t)),
             _box((0, -d / 2 + back_t / 2, (seat_h + h) / 2), (w, back_t, h - seat_h))]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(_box((sx * (w / 2 - leg), sy * (d / 2 - leg), (seat_h - seat_t) / 2),
                              (leg, leg, seat_h - seat_t)))
    return parts


def build_sofa(w, d, h, rng):
    """Seat block, backrest and two arms."""
    seat_h, back_t, arm_w, arm_h = rng.uniform(0.38, 0.45), 0.2, 0.16, rng.uniform(0.55, 0.65)
    return [_box((0, back_t / 2, seat_h / 2), (w - 2 * arm_w, d - back_t, seat_h)),
            _box((0, -d / 2 + back_t / 2, h / 2), (w, back_t, h)),
            _box((-(w - arm_w) / 2, back_t / 2, arm_h / 2), (arm_w, d - back_t, arm_h)),
            _box(((w - arm_w) / 2, back_t / 2, arm_h / 2), (arm_w, d - back_t, arm_h))]


def build_bed(w, d, h, rng):
    """Mattress block plus a headboard against the wall."""
    mattress_h, board_t = rng.uniform(0.45, 0.6), 0.06
    return [_box((0, board_t / 2, mattress_h / 2), (w, d - board_t, mattress_h)),
            _box((0, -d / 2 + board_t / 2, h / 2), (w, board_t, h))]


def build_bookshelf(w, d, h, rng):
    """Open frame: two sides, a back, top and bottom boards and 2-4 shelves."""
    t = 0.03
    parts = [_box((-(w - t) / 2, 0, h / 2), (t, d, h)), _box(((w - t) / 2, 0, h / 2), (t, d, h)),
             _box((0, -d / 2 + t / 2, h / 2), (w - 2 * t, t, h))]
    n_boards = int(rng.integers(4, 7))
    for z in np.linspace(t / 2, h - t / 2, n_boards):
        parts.append(_box((0, t / 2, z), (w - 2 * t, d - t, t)))
    return parts


def build_wall_shelf(w, d, h, rng):
    """Two or three boards fixed to the wall, one above the other."""
    t = 0.025
    return [_box((0, 0, z), (w, d, t)) for z in np.linspace(t / 2, h - t / 2, int(rng.integers(2, 4)))]


def build_counter(w, d, h, rng):
    """Base block under a top that overhangs at the front."""
    top = 0.04
    return [_box((0, -0.02, (h - top) / 2), (w, d - 0.04, h - top)), _box((0, 0, h - top / 2), (w, d, top))]


def build_sink(w, d, h, rng):
    """Vanity block with a round basin on top."""
    basin_h = 0.12
    radius = 0.35 * min(w, d)
    return [_box((0, 0, (h - basin_h) / 2), (w, d, h - basin_h)),
            _cylinder(0, 0.05 * d, h - basin_h, h, radius)]


def build_toilet(w, d, h, rng):
    """Tank against the wall and a round bowl in front of it."""
    tank_d, bowl_h = 0.2, rng.uniform(0.38, 0.44)
    radius = min(w / 2, (d - tank_d) / 2 + 0.03)
    return [_box((0, -d / 2 + tank_d / 2, h / 2), (w, tank_d, h)),
            _cylinder(0, d / 2 - radius, 0, bowl_h, radius)]


def build_bathtub(w, d, h, rng):
    """Hollow tub: a bottom and four walls."""
    t = 0.07
    return [_box((0, 0, t / 2), (w, d, t)),
            _box((0, -(d - t) / 2, h / 2), (w, t, h)), _box((0, (d - t) / 2, h / 2), (w, t, h)),
            _box((-(w - t) / 2, 0, h / 2), (t, d - 2 * t, h)), _box(((w - t) / 2, 0, h / 2), (t, d - 2 * t, h))]


def build_refrigerator(w, d, h, rng):
    """Block with a handle on the front."""
    return [_box((0, 0, h / 2), (w, d, h)), _box((w / 2 - 0.08, d / 2 + 0.02, 0.6 * h), (0.03, 0.04, 0.45))]


def build_bin(w, d, h, rng):
    return [_cylinder(0, 0, 0, h, w / 2)]


def build_lamp(w, d, h, rng):
    """Floor lamp: base disc, pole and shade."""
    shade_h = rng.uniform(0.2, 0.3)
    return [_cylinder(0, 0, 0, 0.03, 0.15), _cylinder(0, 0, 0.03, h - shade_h, 0.015),
            _cylinder(0, 0, h - shade_h, h, w / 2)]


def build_door(w, d, h, rng):
    """Slab with a handle."""
    side = rng.choice([-1, 1])
    return [_box((0, 0, h / 2), (w, d, h)), _box((side * (w / 2 - 0.08), d / 2 + 0.025, 1.0), (0.12, 0.05, 0.03))]


SHAPE_BUILDERS = {
    'block': build_block, 'table': build_table, 'desk': build_desk, 'chair': build_chair, 'sofa': build_sofa,
    'bed': build_bed, 'bookshelf': build_bookshelf, 'wall_shelf': build_wall_shelf, 'counter': build_counter,
    'sink': build_sink, 'toilet': build_toilet, 'bathtub': build_bathtub, 'refrigerator': build_refrigerator,
    'bin': build_bin, 'lamp': build_lamp, 'door': build_door,
}

DEFAULT_CLASSES = (
    ObjectClass('door', 'door', (0.8, 0.04, 2.0), (1.0, 0.05, 2.15), 'wall', ('wood', 'white'), 1.0),
    ObjectClass('window', 'block', (0.7, 0.03, 0.8), (1.6, 0.05, 1.3), 'wall', ('glass',), 1.0, (0.8, 1.1)),
    ObjectClass('picture', 'block', (0.3, 0.02, 0.25), (1.0, 0.03, 0.8), 'wall', ('art',), 1.2, (1.1, 1.6)),
    ObjectClass('curtain', 'block', (0.6, 0.06, 1.9), (1.3, 0.1, 2.3), 'wall', ('fabric',), 0.5, (0.05, 0.3)),
    ObjectClass('shelf', 'wall_shelf', (0.6, 0.2, 0.3), (1.2, 0.3, 0.7), 'wall', ('wood', 'white'), 0.5,
                (1.0, 1.5)),
    ObjectClass('cabinet', 'block', (0.5, 0.4, 0.6), (1.2, 0.6, 1.9), 'against_wall', ('wood', 'white'), 1.2),
    ObjectClass('bookshelf', 'bookshelf', (0.6, 0.28, 1.2), (1.2, 0.4, 2.0), 'against_wall', ('wood', 'white'),
                0.8),
    ObjectClass('refrigerator', 'refrigerator', (0.6, 0.6, 1.6), (0.8, 0.75, 1.9), 'against_wall',
                ('white', 'metal'), 0.4),
    ObjectClass('bed', 'bed', (0.9, 1.9, 0.8), (1.6, 2.1, 1.1), 'against_wall', ('fabric', 'white'), 0.6),
    ObjectClass('couch', 'sofa', (1.4, 0.8, 0.75), (2.2, 0.95, 0.9), 'against_wall', ('fabric',), 0.8),
    ObjectClass('counter', 'counter', (1.0, 0.55, 0.88), (2.2, 0.65, 0.95), 'against_wall', ('wood', 'white'),
                0.5),
    ObjectClass('desk', 'desk', (1.0, 0.55, 0.72), (1.6, 0.8, 0.78), 'against_wall', ('wood', 'white', 'metal'),
                1.0),
    ObjectClass('sink', 'sink', (0.5, 0.4, 0.8), (0.8, 0.55, 0.9), 'against_wall', ('white',), 0.4),
    ObjectClass('toilet', 'toilet', (0.38, 0.65, 0.7), (0.45, 0.75, 0.8), 'against_wall', ('white',), 0.3),
    ObjectClass('bathtub', 'bathtub', (1.4, 0.7, 0.5), (1.7, 0.8, 0.6), 'against_wall', ('white',), 0.2),
    ObjectClass('table', 'table', (0.6, 0.6, 0.7), (1.6, 1.0, 0.78), 'free', ('wood', 'white', 'metal'), 1.2),
    ObjectClass('chair', 'chair', (0.42, 0.42, 0.8), (0.55, 0.55, 1.0), 'free', ('fabric', 'wood', 'metal'), 1.5),
    ObjectClass('trash can', 'bin', (0.25, 0.25, 0.3), (0.4, 0.4, 0.6), 'free', ('metal', 'white'), 0.7),
    ObjectClass('lamp', 'lamp', (0.3, 0.3, 1.3), (0.45, 0.45, 1.7), 'free', ('white', 'metal'), 0.4),
)


def sample_size(object_class, rng):
    """(width, depth, height) uniformly inside the class's size range."""
    return rng.uniform(object_class.size_min, object_class.size_max)


def build_parts(object_class, size, rng):
    """The class's primitives in the object frame: list of (kind, center (3,), half extents (3,))."""
    if object_class.shape not in SHAPE_BUILDERS:
        raise KeyError(f'{object_class.category}: unknown shape {object_class.shape!r}; '
                       f'known: {sorted(SHAPE_BUILDERS)}')
    return SHAPE_BUILDERS[object_class.shape](*size, rng)
