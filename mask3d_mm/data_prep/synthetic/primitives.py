"""Exact ray intersections, surface normals and distances of the world's two primitive kinds.

Both live in their own local frame: a box is ``|x| <= half`` (centred, axis-aligned), a cylinder has its axis on
local z, radius ``half[0]`` and half-height ``half[2]``. A ray is ``o + t * d`` with t > 0; ``d`` need not be
unit-length (the renderer uses d with camera-frame z = 1, so t *is* the depth). Every function broadcasts:
origins may be floats (one camera centre) or arrays (one per ray); misses are +inf. These are the ground truth
the synthetic data is tested against, so they are written for exactness, not for speed tricks.
"""
import numpy as np

BOX, CYLINDER = 0, 1
# For a box face whose normal is local axis k, the two in-face axes (texture u, v).
FACE_UV_AXES = np.array([[1, 2], [0, 2], [0, 1]])


def box_hit(ox, oy, oz, dx, dy, dz, half):
    """First t > 0 where the ray meets the box surface (slab test; from inside it is the exit point)."""
    t_near, t_far = -np.inf, np.inf
    with np.errstate(divide='ignore', invalid='ignore'):
        for o, d, h in zip((ox, oy, oz), (dx, dy, dz), half):
            inv_d = 1.0 / d
            t_lo = (-h - o) * inv_d
            t_hi = (h - o) * inv_d
            t_near = np.fmax(t_near, np.fmin(t_lo, t_hi))  # fmin/fmax: a 0 * inf NaN must not win
            t_far = np.fmin(t_far, np.fmax(t_lo, t_hi))
    t = np.where(t_near > 0, t_near, t_far)
    return np.where((t_near <= t_far) & (t_far > 0), t, np.inf)


def cylinder_hit(ox, oy, oz, dx, dy, dz, half):
    """First t > 0 where the ray meets the capped vertical cylinder (side: quadratic in t; caps: planes)."""
    radius, half_height = half[0], half[2]
    with np.errstate(divide='ignore', invalid='ignore'):
        a = dx * dx + dy * dy
        b = ox * dx + oy * dy
        c = ox * ox + oy * oy - radius * radius
        root = np.sqrt(np.maximum(b * b - a * c, 0.0))
        discriminant_ok = b * b - a * c >= 0
        candidates = []
        for t_side in ((-b - root) / a, (-b + root) / a):
            on_side = discriminant_ok & (np.abs(oz + t_side * dz) <= half_height)
            candidates.append(np.where(on_side & (t_side > 0), t_side, np.inf))
        for cap_z in (-half_height, half_height):
            t_cap = (cap_z - oz) / dz
            x, y = ox + t_cap * dx, oy + t_cap * dy
            on_cap = (x * x + y * y <= radius * radius) & (t_cap > 0)
            candidates.append(np.where(on_cap, t_cap, np.inf))
    return np.minimum(np.minimum(candidates[0], candidates[1]), np.minimum(candidates[2], candidates[3]))


def room_exit(ox, oy, oz, dx, dy, dz, size, face_ids):
    """Exit t and face of rays starting inside the box [0, size]: the renderer's fast path for the room.

    ``face_ids[axis][d > 0]`` names the face; a single slab per axis suffices because the origin is inside."""
    t, face = None, None
    with np.errstate(divide='ignore', invalid='ignore'):
        for axis, (o, d, s) in enumerate(zip((ox, oy, oz), (dx, dy, dz), size)):
            positive = d > 0
            # |.|: d = -0.0 gives +inf, not -inf
            t_axis = np.abs(np.where(positive, d.dtype.type(s - o), d.dtype.type(o)) / d)
            face_axis = np.where(positive, face_ids[axis][1], face_ids[axis][0])
            if t is None:
                t, face = t_axis, face_axis
            else:
                closer = t_axis < t
                t, face = np.where(closer, t_axis, t), np.where(closer, face_axis, face)
    return t, face


def box_face(points, half):
    """Which face a surface point of the box lies on: (axis (N,) in 0..2, sign (N,) +-1)."""
    scaled = np.abs(points) / half  # (N, 3), 1 on the point's face
    axis = np.argmax(scaled, axis=1)
    sign = np.sign(points[np.arange(len(points)), axis])
    return axis, np.where(sign == 0, 1.0, sign)


def box_normal_uv(points, half):
    """Outward unit normals (N, 3) and in-face texture coordinates in metres (N, 2) of box surface points."""
    axis, sign = box_face(points, half)
    normals = np.zeros_like(points)
    normals[np.arange(len(points)), axis] = sign
    uv = np.take_along_axis(points, FACE_UV_AXES[axis], axis=1) + half[FACE_UV_AXES[axis]]
    return normals, uv


def cylinder_normal_uv(points, half):
    """Outward normals and texture coordinates (arc length, height / cap x, y) of cylinder surface points."""
    radius, half_height = half[0], half[2]
    radial = np.hypot(points[:, 0], points[:, 1])
    on_cap = np.abs(np.abs(points[:, 2]) - half_height) < np.abs(radial - radius)
    normals = np.zeros_like(points)
    safe_radial = np.maximum(radial, 1e-12)
    normals[:, 0] = np.where(on_cap, 0.0, points[:, 0] / safe_radial)
    normals[:, 1] = np.where(on_cap, 0.0, points[:, 1] / safe_radial)
    normals[:, 2] = np.where(on_cap, np.sign(points[:, 2]), 0.0)
    arc = np.arctan2(points[:, 1], points[:, 0]) * radius
    uv = np.stack([np.where(on_cap, points[:, 0], arc), np.where(on_cap, points[:, 1], points[:, 2])], axis=1)
    return normals, uv


def box_distance(points, half):
    """Unsigned distance (N,) from local points to the box surface."""
    q = np.abs(points) - half
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
    inside = np.minimum(q.max(axis=1), 0.0)
    return np.abs(outside + inside)


def cylinder_distance(points, half):
    """Unsigned distance (N,) from local points to the capped cylinder surface."""
    q = np.stack([np.hypot(points[:, 0], points[:, 1]) - half[0], np.abs(points[:, 2]) - half[2]], axis=1)
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
    inside = np.minimum(q.max(axis=1), 0.0)
    return np.abs(outside + inside)


HIT_FUNCTIONS = {BOX: box_hit, CYLINDER: cylinder_hit}
NORMAL_UV_FUNCTIONS = {BOX: box_normal_uv, CYLINDER: cylinder_normal_uv}
DISTANCE_FUNCTIONS = {BOX: box_distance, CYLINDER: cylinder_distance}
