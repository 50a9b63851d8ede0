"""How surfaces look: per-object procedural textures, Lambertian shading and per-view jitter.

Textures are functions of a surface point's in-face coordinates (metres), so a surface looks the same from every
view and RGB correspondences are exact; only the per-frame exposure and light jitter change with the view.
Palettes are class-dependent but overlap (cabinets, desks and doors are all wood or white) so colour is a cue,
never the answer; ``Appearance(palette_mode='shared')`` removes the cue entirely, leaving geometry (shape,
shading) as the only thing that tells classes apart.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

# sRGB-ish colours in [0, 1]. Object palettes first; the room palettes are used for walls / floor / ceiling.
PALETTES = {
    'wood': ((0.55, 0.36, 0.20), (0.70, 0.50, 0.30), (0.40, 0.26, 0.15), (0.80, 0.65, 0.45)),
    'white': ((0.90, 0.90, 0.88), (0.80, 0.82, 0.85), (0.95, 0.93, 0.88), (0.72, 0.74, 0.76)),
    'metal': ((0.60, 0.60, 0.62), (0.35, 0.36, 0.38), (0.75, 0.75, 0.70), (0.25, 0.25, 0.27)),
    'fabric': ((0.30, 0.35, 0.50), (0.55, 0.20, 0.20), (0.40, 0.45, 0.35), (0.60, 0.55, 0.50),
               (0.22, 0.22, 0.26)),
    'glass': ((0.55, 0.70, 0.80), (0.45, 0.55, 0.65), (0.70, 0.80, 0.85)),
    'art': ((0.85, 0.30, 0.20), (0.20, 0.50, 0.80), (0.95, 0.80, 0.20), (0.30, 0.65, 0.35), (0.10, 0.10, 0.12)),
    'wall_paint': ((0.85, 0.83, 0.78), (0.75, 0.80, 0.82), (0.88, 0.80, 0.70), (0.70, 0.75, 0.65),
                   (0.92, 0.92, 0.92)),
    'floor': ((0.55, 0.40, 0.25), (0.45, 0.45, 0.45), (0.65, 0.58, 0.48), (0.35, 0.28, 0.22), (0.75, 0.72, 0.68)),
    'ceiling': ((0.93, 0.93, 0.92), (0.88, 0.88, 0.86)),
}
ROOM_PALETTES = ('wall_paint', 'floor', 'ceiling')
TEXTURES = ('plain', 'stripes', 'checker', 'noise')


@dataclass(frozen=True)
class Appearance:
    """Knobs for how much colour says about class and how much views of one surface differ."""
    palette_mode: str = 'class'  # 'class': class palettes (overlapping); 'shared': every object any palette
    textures: Tuple[str, ...] = TEXTURES  # texture kinds objects draw from
    texture_period: Tuple[float, float] = (0.05, 0.4)  # metres
    color_jitter: float = 0.06  # per-object perturbation of palette colours
    grain: float = 0.08  # relative amplitude of fine (3 cm) value noise on every surface
    ambient: Tuple[float, float] = (0.4, 0.6)  # scene ambient light range; the rest is one directional light
    light_elevation_deg: Tuple[float, float] = (35.0, 75.0)
    exposure_jitter: float = 0.06  # per-frame std of the log exposure gain
    light_jitter_deg: float = 3.0  # per-frame std of the light direction's azimuth / elevation

    def __post_init__(self):
        if self.palette_mode not in ('class', 'shared'):
            raise ValueError(f"palette_mode must be 'class' or 'shared', got {self.palette_mode!r}")
        unknown = set(self.textures) - set(TEXTURES)
        if unknown or not self.textures:
            raise ValueError(f'textures must be a non-empty subset of {TEXTURES}, got {self.textures}')


@dataclass(frozen=True)
class Material:
    """A surface's texture: a pattern in [0, 1] blending two colours, plus multiplicative grain."""
    texture: str
    period: float  # metres
    angle: float  # pattern orientation in the face, radians
    color_a: Tuple[float, float, float]
    color_b: Tuple[float, float, float]
    seed: int  # value-noise lattice seed (uint32)
    grain: float = 0.08

    def albedo(self, uv):
        """(N, 2) in-face coordinates in metres -> (N, 3) float32 albedo."""
        cos_a, sin_a = np.cos(self.angle), np.sin(self.angle)
        s = (uv[:, 0] * cos_a + uv[:, 1] * sin_a) / self.period
        t = (uv[:, 1] * cos_a - uv[:, 0] * sin_a) / self.period
        pattern = texture_pattern(self.texture, s, t, self.seed)
        color_a = np.asarray(self.color_a, dtype=np.float32)
        color_b = np.asarray(self.color_b, dtype=np.float32)
        albedo = color_a + (color_b - color_a) * pattern[:, None].astype(np.float32)
        if self.grain:
            grain = value_noise(uv[:, 0] / 0.03, uv[:, 1] / 0.03, self.seed ^ 0x5BD1E995)
            albedo *= (1 + self.grain * (2 * grain - 1))[:, None].astype(np.float32)
        return albedo


def texture_pattern(kind, s, t, seed):
    """Pattern value in [0, 1] at pattern coordinates (s, t) (units of the period)."""
    if kind == 'plain':
        return np.zeros_like(s)
    if kind == 'stripes':
        return 0.5 + 0.5 * np.clip(3 * np.sin(2 * np.pi * s), -1, 1)
    if kind == 'checker':
        return ((np.floor(s) + np.floor(t)) % 2).astype(s.dtype)
    if kind == 'noise':
        return value_noise(s, t, seed)
    raise ValueError(f'unknown texture {kind!r}; known: {TEXTURES}')


def _lattice_hash(ix, iy, seed):
    """Deterministic uint32 hash of integer lattice points -> floats in [0, 1)."""
    h = ix.astype(np.uint32) * np.uint32(0x8DA6B343) ^ iy.astype(np.uint32) * np.uint32(0xD8163841)
    h ^= np.uint32(seed)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(16)
    return h.astype(np.float32) * np.float32(1 / 2 ** 32)


def value_noise(x, y, seed):
    """Smooth value noise with unit lattice spacing, in [0, 1)."""
    ix, iy = np.floor(x), np.floor(y)
    fx, fy = (x - ix).astype(np.float32), (y - iy).astype(np.float32)
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    wx, wy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)  # smoothstep
    bottom = _lattice_hash(ix, iy, seed) * (1 - wx) + _lattice_hash(ix + 1, iy, seed) * wx
    top = _lattice_hash(ix, iy + 1, seed) * (1 - wx) + _lattice_hash(ix + 1, iy + 1, seed) * wx
    return bottom * (1 - wy) + top * wy


def _pick_color(rng, palette_names, jitter):
    palette = PALETTES[palette_names[rng.integers(len(palette_names))]]
    color = np.asarray(palette[rng.integers(len(palette))]) + rng.normal(0, jitter, 3)
    return np.clip(color, 0.02, 1.0)


def sample_material(rng, palette_names, appearance, textures=None, contrast=(0.5, 1.0)):
    """A material from the given palettes and texture kinds; ``contrast`` scales how far the second colour is
    from the first (walls: subtle, furniture: strong)."""
    textures = textures or appearance.textures
    color_a = np.asarray(_pick_color(rng, palette_names, appearance.color_jitter))
    color_b = np.asarray(_pick_color(rng, palette_names, appearance.color_jitter))
    if np.abs(color_a - color_b).sum() < 0.15:  # the same colour twice: darken one so patterns show
        color_b = 0.6 * color_b
    color_b = color_a + rng.uniform(*contrast) * (color_b - color_a)
    return Material(texture=str(textures[rng.integers(len(textures))]),
                    period=float(rng.uniform(*appearance.texture_period)), angle=float(rng.uniform(0, np.pi)),
                    color_a=tuple(color_a.tolist()), color_b=tuple(color_b.tolist()),
                    seed=int(rng.integers(2 ** 32)), grain=appearance.grain)


def object_palettes(class_palettes, appearance):
    """The palettes an object of a class may draw from under the appearance's palette mode."""
    if appearance.palette_mode == 'shared':
        return tuple(name for name in PALETTES if name not in ROOM_PALETTES)
    return tuple(class_palettes)


@dataclass(frozen=True)
class Lighting:
    """One directional light plus ambient; per-frame jitter perturbs the direction and the exposure."""
    azimuth: float  # radians
    elevation: float  # radians
    ambient: float

    @classmethod
    def sample(cls, rng, appearance):
        elevation = np.deg2rad(rng.uniform(*appearance.light_elevation_deg))
        return cls(float(rng.uniform(0, 2 * np.pi)), float(elevation), float(rng.uniform(*appearance.ambient)))

    def direction(self, azimuth_offset=0.0, elevation_offset=0.0):
        """Unit vector towards the light, world frame (z up)."""
        azimuth, elevation = self.azimuth + azimuth_offset, self.elevation + elevation_offset
        return np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                         np.sin(elevation)])

    def frame_jitter(self, rng, appearance):
        """(light direction (3,), exposure gain) for one frame."""
        azimuth_offset, elevation_offset = np.deg2rad(rng.normal(0, appearance.light_jitter_deg, 2))
        gain = float(np.exp(rng.normal(0, appearance.exposure_jitter)))
        return self.direction(azimuth_offset, elevation_offset), gain


def shade(albedo, normals, light_direction, ambient, gain=1.0):
    """Lambertian shading: (N, 3) albedo and world normals -> (N, 3) float32 colour in [0, 1]."""
    lambert = np.clip(normals @ light_direction, 0.0, None).astype(np.float32)
    intensity = gain * (ambient + (1 - ambient) * lambert)
    return np.clip(albedo * intensity[:, None], 0.0, 1.0)
