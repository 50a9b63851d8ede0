"""Room layout: a box room and furniture placed in it without collisions and off the camera's path.

Walls are numbered like the room's faces: 0: x = 0, 1: x = size_x, 2: y = 0, 3: y = size_y. Placement works on
world axis-aligned bounding boxes (exact for wall-aligned objects, conservative for yaw-rotated free ones).
"""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from .catalog import PLACEMENTS, ObjectClass, build_parts, sample_size

ROOM_SIZE_RANGE = ((4.0, 3.0, 2.6), (8.0, 7.0, 3.0))  # (x, y, z) metres
NUM_OBJECTS_RANGE = (6, 14)
GAP = 0.05  # minimum free space between objects (metres)
CAMERA_CLEARANCE = 0.5  # horizontal distance between the camera loop and objects that reach camera height
LOW_OBJECT_HEIGHT = 0.8  # objects no higher than this may stand under the camera loop
# Per wall: inward normal (x, y) and whether the along-wall coordinate is world y (walls 0, 1) or x (2, 3).
WALL_NORMALS = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])


@dataclass
class PlacedObject:
    """One object instance in the world."""
    object_class: ObjectClass
    instance_id: int
    position: np.ndarray  # (3,) object-frame origin in world (footprint centre at base height)
    yaw: float  # radians, rotation about world z of the object frame
    size: np.ndarray  # (3,) width, depth, height
    parts: list  # [(kind, center in object frame (3,), half extents (3,))]
    wall: Optional[int] = None

    def rotation(self):
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])

    def world_parts(self):
        """[(kind, world centre (3,), half extents (3,), yaw)] of the object's primitives."""
        R = self.rotation()
        return [(kind, self.position + R @ center, half, self.yaw) for kind, center, half in self.parts]

    def aabb(self):
        """(lo (3,), hi (3,)) world axis-aligned bounds over all parts."""
        R = self.rotation()
        corners = []
        for _, center, half in self.parts:
            signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T  # (8, 3)
            corners.append(self.position + (center + signs * half) @ R.T)
        corners = np.concatenate(corners)
        return corners.min(axis=0), corners.max(axis=0)


def sample_room_size(rng):
    return rng.uniform(*ROOM_SIZE_RANGE)


def _wall_yaw(wall):
    """Yaw that turns the object's front (+y) to face into the room from ``wall``."""
    normal = WALL_NORMALS[wall]
    return float(np.arctan2(-normal[0], normal[1]))


def _propose(object_class, size, room_size, rng):
    """A random (position, yaw, wall) for the class's placement rule, or None if it cannot fit."""
    width, depth, _ = size
    if object_class.placement == 'free':
        margin = np.hypot(width, depth) / 2 + 0.1
        if np.any(room_size[:2] < 2 * margin):
            return None
        xy = rng.uniform(margin, room_size[:2] - margin)
        yaw = rng.integers(4) * np.pi / 2 if rng.random() < 0.5 else rng.uniform(0, 2 * np.pi)
        return np.array([xy[0], xy[1], 0.0]), float(yaw), None
    wall = int(rng.integers(4))
    along_axis = 1 if wall < 2 else 0
    wall_length = room_size[along_axis]
    if wall_length < width + 0.2:
        return None
    along = rng.uniform(width / 2 + 0.1, wall_length - width / 2 - 0.1)
    position = np.zeros(3)
    position[along_axis] = along
    position[1 - along_axis] = 0.0 if wall in (0, 2) else room_size[1 - along_axis]
    position[:2] += WALL_NORMALS[wall] * depth / 2
    if object_class.placement == 'wall':
        position[2] = rng.uniform(*object_class.mount_height)
    return position, _wall_yaw(wall), wall


def _fits(candidate, placed_boxes, room_size, keep_out_xy):
    lo, hi = candidate.aabb()
    if np.any(lo < -1e-9) or np.any(hi > room_size + 1e-9):
        return False
    for other_lo, other_hi in placed_boxes:
        if np.all(lo[:2] < other_hi[:2] + GAP) and np.all(other_lo[:2] < hi[:2] + GAP) \
                and lo[2] < other_hi[2] and other_lo[2] < hi[2]:
            return False
    if hi[2] > LOW_OBJECT_HEIGHT:  # tall enough to get in the camera's way: keep off the loop
        outside = np.maximum(np.maximum(lo[:2] - keep_out_xy, keep_out_xy - hi[:2]), 0.0)  # (S, 2)
        if np.min(np.linalg.norm(outside, axis=1)) < CAMERA_CLEARANCE:
            return False
    return True


def place_objects(rng, room_size, classes, keep_out_xy, first_instance_id, num_objects=NUM_OBJECTS_RANGE,
                  attempts_per_object=40) -> List[PlacedObject]:
    """Sample a number of objects in ``num_objects`` and place as many as fit (small rooms may fit fewer)."""
    for object_class in classes:
        if object_class.placement not in PLACEMENTS:
            raise ValueError(f'{object_class.category}: placement {object_class.placement!r} not in {PLACEMENTS}')
    weights = np.array([c.weight for c in classes], dtype=np.float64)
    target = int(rng.integers(num_objects[0], num_objects[1] + 1))
    placed, boxes = [], []
    for _ in range(target * 3):  # classes that do not fit are re-drawn
        if len(placed) == target:
            break
        object_class = classes[rng.choice(len(classes), p=weights / weights.sum())]
        for _ in range(attempts_per_object):
            size = sample_size(object_class, rng)
            proposal = _propose(object_class, size, room_size, rng)
            if proposal is None:
                continue
            position, yaw, wall = proposal
            candidate = PlacedObject(object_class, first_instance_id + len(placed), position, yaw, size,
                                     build_parts(object_class, size, rng), wall)
            if _fits(candidate, boxes, room_size, keep_out_xy):
                placed.append(candidate)
                boxes.append(candidate.aabb())
                break
    return placed
