"""Synthetic cameras: ScanNet-like intrinsics and a smooth hand-held-like trajectory through the room.

Conventions (CONTRIBUTING.md): OpenCV camera (x right, y down, z forward), poses camera-to-world, world z up with
the room spanning [0, size] on each axis (floor at z = 0). Poses and intrinsics are rounded to the precision
they are written with (9 / 6 decimals), so what the renderer used and what a loader reads are the same numbers.
"""
from dataclasses import dataclass

import numpy as np

# ScanNet's default depth camera (Kinect-like) at 640 x 480.
SCANNET_DEPTH_FOCAL = 577.870605
SCANNET_DEPTH_SIZE = (480, 640)  # (height, width)
POSE_DECIMALS = 9
INTRINSIC_DECIMALS = 6


def scannet_intrinsics(height=240, width=320):
    """3x3 K of ScanNet's depth camera scaled to (height, width); the principal point stays the image centre
    in the pixel-index convention (cx = (width - 1) / 2), e.g. 288.935303 / 159.5 / 119.5 at 320 x 240."""
    if height < 1 or width < 1:
        raise ValueError(f'image size must be positive, got {height} x {width}')
    fx = SCANNET_DEPTH_FOCAL * width / SCANNET_DEPTH_SIZE[1]
    fy = SCANNET_DEPTH_FOCAL * height / SCANNET_DEPTH_SIZE[0]
    K = np.array([[fx, 0, (width - 1) / 2], [0, fy, (height - 1) / 2], [0, 0, 1]])
    return np.round(K, INTRINSIC_DECIMALS)


def look_rotation(yaw, pitch, roll=0.0):
    """Camera-to-world rotation (3, 3) of an OpenCV camera looking along heading ``yaw`` (radians from world +x,
    counter-clockwise), tilted up by ``pitch`` and rolled by ``roll`` about its optical axis."""
    forward = np.array([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)])
    right = np.array([np.sin(yaw), -np.cos(yaw), 0.0])  # forward x world-up, normalised
    down = np.cross(forward, right)
    right, down = (np.cos(roll) * right + np.sin(roll) * down, -np.sin(roll) * right + np.cos(roll) * down)
    return np.stack([right, down, forward], axis=1)


@dataclass(frozen=True)
class CameraPath:
    """A closed loop around the room centre walked at constant angular speed, looking ahead and across the room
    (towards the centre side) with smooth yaw / pitch / height / roll oscillations. A fixed step per frame (not a
    fixed number of frames per loop) keeps consecutive frames overlapping for any sequence length, while frames
    half a loop apart look at opposite walls -- pair mining finds both positives and negatives."""
    center: tuple  # (x, y) of the loop centre
    semi_axes: tuple  # (a_x, a_y) of the ellipse
    phase: float  # loop angle of frame 0
    direction: int  # +1 counter-clockwise, -1 clockwise
    step: float  # loop angle per frame (radians)
    wobble: float  # relative radial wobble of the loop (3 bumps per loop)
    yaw_bias: float  # look direction relative to the walking direction, turned towards the room centre
    yaw_amplitude: float
    pitch_mean: float
    pitch_amplitude: float
    height_mean: float
    height_amplitude: float
    roll_amplitude: float
    phases: tuple  # (wobble, yaw, pitch, height, roll) oscillation phases

    WALL_CLEARANCE = 0.6  # metres between the loop and any wall
    HEIGHT_RANGE = (1.2, 1.8)

    @classmethod
    def sample(cls, rng, room_size, step_deg=8.5):
        room_xy = np.asarray(room_size[:2], dtype=np.float64)
        wobble = 0.06
        max_axes = (room_xy / 2 - cls.WALL_CLEARANCE - 0.1) / (1 + wobble)
        semi_axes = np.minimum(rng.uniform(0.18, 0.28, 2) * room_xy, max_axes)
        semi_axes[1] = np.clip(semi_axes[1], 0.6 * semi_axes[0], semi_axes[0] / 0.6)  # mild eccentricity
        semi_axes = np.minimum(semi_axes, max_axes)
        center = room_xy / 2 + rng.uniform(-0.1, 0.1, 2)
        lo, hi = cls.HEIGHT_RANGE
        height_mean = rng.uniform(lo + 0.2, hi - 0.2)
        direction = int(rng.choice([-1, 1]))
        return cls(center=tuple(center), semi_axes=tuple(semi_axes), phase=float(rng.uniform(0, 2 * np.pi)),
                   direction=direction, step=float(np.deg2rad(step_deg)), wobble=wobble,
                   yaw_bias=float(direction * rng.uniform(0.3, 0.9)), yaw_amplitude=float(rng.uniform(0.15, 0.35)),
                   pitch_mean=float(rng.uniform(-0.35, -0.15)), pitch_amplitude=float(rng.uniform(0.03, 0.1)),
                   height_mean=float(height_mean),
                   height_amplitude=float(min(0.15, height_mean - lo, hi - height_mean)),
                   roll_amplitude=float(rng.uniform(0.0, 0.04)), phases=tuple(rng.uniform(0, 2 * np.pi, 5)))

    def loop_xy(self, angles):
        """(N, 2) positions on the loop at loop angles (N,)."""
        radius = 1 + self.wobble * np.sin(3 * angles + self.phases[0])
        return np.stack([self.center[0] + self.semi_axes[0] * radius * np.cos(angles),
                         self.center[1] + self.semi_axes[1] * radius * np.sin(angles)], axis=1)

    def keep_out_xy(self, samples=180):
        """Points on the whole loop (objects taller than the camera stay away from these)."""
        return self.loop_xy(np.linspace(0, 2 * np.pi, samples, endpoint=False))

    def poses(self, n_frames):
        """(n, 4, 4) camera-to-world poses; frame k does not depend on n (sequences are prefixes)."""
        k = np.arange(n_frames, dtype=np.float64)
        angles = self.phase + self.direction * self.step * k
        xy = self.loop_xy(angles)
        # Walking direction: derivative of the loop position w.r.t. the frame index (finite difference).
        ahead = self.loop_xy(angles + self.direction * 1e-3) - xy
        heading = np.arctan2(ahead[:, 1], ahead[:, 0])
        wobble_phase, yaw_phase, pitch_phase, height_phase, roll_phase = self.phases
        yaw = heading + self.yaw_bias + self.yaw_amplitude * np.sin(0.21 * k + yaw_phase)
        pitch = self.pitch_mean + self.pitch_amplitude * np.sin(0.29 * k + pitch_phase)
        height = self.height_mean + self.height_amplitude * np.sin(0.17 * k + height_phase)
        roll = self.roll_amplitude * np.sin(0.23 * k + roll_phase)
        poses = np.tile(np.eye(4), (n_frames, 1, 1))
        for i in range(n_frames):
            poses[i, :3, :3] = look_rotation(yaw[i], pitch[i], roll[i])
        poses[:, :2, 3] = xy
        poses[:, 2, 3] = height
        return np.round(poses, POSE_DECIMALS)
