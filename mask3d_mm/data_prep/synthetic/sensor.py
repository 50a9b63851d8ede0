"""Depth-sensor artefacts on top of the exact render: holes, dropout and range-dependent noise.

Real RGB-D frames (ScanNet's structure sensor) have missing depth at grazing angles, behind occluding edges,
in random blobs (dark / specular spots) and beyond the range limit, and axial noise that grows with distance.
The exact depth stays available from ``SyntheticScene.render(..., sensor_noise=False)``.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np


@dataclass(frozen=True)
class SensorNoise:
    """Parameters of the artefacts; ``SensorNoise(depth_noise=0, ...)`` switches single effects off."""
    max_range: float = 10.0  # metres; farther depth becomes a hole
    grazing_cos: float = 0.12  # holes where |cos(angle between ray and surface normal)| is below this
    dropout_blobs: float = 1.5  # mean number of elliptic hole blobs per frame
    blob_radius: Tuple[float, float] = (0.01, 0.04)  # blob radii as fractions of the image width
    edge_dropout: float = 0.5  # probability of a hole on the far side of a depth discontinuity
    edge_jump: float = 0.05  # relative depth step that counts as a discontinuity
    depth_noise: float = 1.0  # scale of the axial noise std sigma(z) = 0.0012 + 0.0019 (z - 0.4)^2 metres
    color_noise: float = 1.5  # std of additive colour noise, in 0..255 levels

    def depth_sigma(self, depth):
        """Axial noise std (metres) at depth z, Nguyen et al. 2012 (Kinect-type sensors)."""
        return self.depth_noise * (0.0012 + 0.0019 * (depth - 0.4) ** 2)


def _occlusion_shadow(depth, relative_jump):
    """Pixels with a 4-neighbour closer by more than ``relative_jump`` of their own depth (H, W) bool."""
    padded = np.pad(depth, 1, mode='edge')
    nearest = np.minimum(np.minimum(padded[:-2, 1:-1], padded[2:, 1:-1]),
                         np.minimum(padded[1:-1, :-2], padded[1:-1, 2:]))
    return depth - nearest > relative_jump * depth


def _blob_mask(shape, rng, noise):
    height, width = shape
    mask = np.zeros(shape, dtype=bool)
    for _ in range(rng.poisson(noise.dropout_blobs)):
        cu, cv = rng.uniform(0, width), rng.uniform(0, height)
        ru, rv = rng.uniform(*noise.blob_radius, 2) * width
        u0, u1 = int(max(cu - ru, 0)), int(min(cu + ru + 1, width))
        v0, v1 = int(max(cv - rv, 0)), int(min(cv + rv + 1, height))
        u, v = np.arange(u0, u1), np.arange(v0, v1)
        inside = ((u[None] - cu) / ru) ** 2 + ((v[:, None] - cv) / rv) ** 2 <= 1
        mask[v0:v1, u0:u1] |= inside
    return mask


def noisy_depth(depth, cos_incidence, rng, noise):
    """Depth (H, W) in metres with holes (0) and axial noise; ``cos_incidence`` (H, W) is |cos| ray / normal."""
    holes = (depth > noise.max_range) | (cos_incidence < noise.grazing_cos) | _blob_mask(depth.shape, rng, noise)
    if noise.edge_dropout > 0:
        holes |= _occlusion_shadow(depth, noise.edge_jump) & (rng.random(depth.shape) < noise.edge_dropout)
    noisy = depth + rng.standard_normal(depth.shape) * noise.depth_sigma(depth)
    return np.where(holes | ~(noisy > 0), 0.0, noisy).astype(np.float32)


def noisy_color(color, rng, noise):
    """(H, W, 3) float colour in [0, 1] plus Gaussian read noise."""
    if noise.color_noise <= 0:
        return color
    return color + rng.standard_normal(color.shape, dtype=np.float32) * np.float32(noise.color_noise / 255)
