"""Exact, vectorised ray casting of a room (6 planes) and its primitives.

Primitive ids: 0..5 are the room's faces (``ROOM_FACES``), 6 + i is the i-th object primitive, -1 is a miss.
``depth_pass`` is the renderer's fast path: one ray per pixel through the pixel index (x = (u - cx) / fx, ...),
direction scaled to camera z = 1 so the ray parameter is the depth, and each primitive only tested on the pixels
of its projected bounding box. ``raycast`` is the same geometry for arbitrary rays, with no culling.
"""
import numpy as np

from .primitives import DISTANCE_FUNCTIONS, HIT_FUNCTIONS, NORMAL_UV_FUNCTIONS, box_face, box_hit, room_exit

ROOM_FACES = ('floor', 'ceiling', 'wall_x0', 'wall_x1', 'wall_y0', 'wall_y1')
NUM_ROOM_FACES = len(ROOM_FACES)
# Room face id of a point on the room box's face with normal axis k (row) and sign - / + (column).
_ROOM_FACE_ID = np.array([[2, 3], [4, 5], [0, 1]])
_CORNER_SIGNS = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1], indexing='ij')).reshape(3, -1).T  # (8, 3)
NEAR = 1e-6  # a primitive with a corner closer than this (camera z) is tested on the whole image


def camera_plane_coords(K, height, width, dtype=np.float64):
    """x / z of every pixel column (W,) and y / z of every pixel row (H,): the pixel index is the coordinate."""
    x_cam = (np.arange(width) - K[0, 2]) / K[0, 0]
    y_cam = (np.arange(height) - K[1, 2]) / K[1, 1]
    return x_cam.astype(dtype), y_cam.astype(dtype)


def direction_maps(M, x_cam, y_cam):
    """The three components (h, w) of ``M @ (x, y, 1)`` over a grid of camera-plane coordinates, separably."""
    M = np.asarray(M, dtype=np.float64).tolist()  # Python floats: the maps keep the coordinates' dtype
    return [(M[k][1] * y_cam + M[k][2])[:, None] + M[k][0] * x_cam[None] for k in range(3)]


def yaw_rotation(yaw):
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class SceneGeometry:
    """The room box [0, size] plus object primitives (kind, world centre, half extents, yaw about z)."""

    def __init__(self, room_size, kinds, centers, halves, yaws):
        self.room_size = np.asarray(room_size, dtype=np.float64)  # (3,)
        self.room_half = self.room_size / 2
        self.kinds = np.asarray(kinds, dtype=np.int64).reshape(-1)  # (P,)
        self.centers = np.asarray(centers, dtype=np.float64).reshape(-1, 3)  # (P, 3)
        self.halves = np.asarray(halves, dtype=np.float64).reshape(-1, 3)  # (P, 3)
        self.rotations = np.stack([yaw_rotation(y) for y in np.asarray(yaws, dtype=np.float64).reshape(-1)]) \
            if len(self.kinds) else np.zeros((0, 3, 3))  # (P, 3, 3) local -> world
        # (P, 8, 3) world corners of each primitive's local bounding box (a cylinder's is its square prism).
        self.corners = self.centers[:, None] + np.einsum('pij,pkj->pki', self.rotations,
                                                         _CORNER_SIGNS[None] * self.halves[:, None])

    @property
    def num_primitives(self):
        return NUM_ROOM_FACES + len(self.kinds)

    # ----------------------------------------------------------------------------------------- arbitrary rays
    def raycast(self, origins, dirs):
        """Nearest hit of rays ``origins + t * dirs`` (N, 3): (t (N,), primitive ids (N,), -1 = miss)."""
        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
        dirs = np.asarray(dirs, dtype=np.float64).reshape(-1, 3)
        room_origins = origins - self.room_half
        t = box_hit(*room_origins.T, *dirs.T, self.room_half)
        prim_ids = np.full(len(t), -1, dtype=np.int64)
        room_hit = np.isfinite(t)
        prim_ids[room_hit] = self.room_face(origins[room_hit] + t[room_hit, None] * dirs[room_hit])
        for i in range(len(self.kinds)):
            local_origins = (origins - self.centers[i]) @ self.rotations[i]  # world -> local: R^T (p - c)
            local_dirs = dirs @ self.rotations[i]
            t_i = HIT_FUNCTIONS[self.kinds[i]](*local_origins.T, *local_dirs.T, self.halves[i])
            closer = t_i < t
            t[closer] = t_i[closer]
            prim_ids[closer] = NUM_ROOM_FACES + i
        return t, prim_ids

    def room_face(self, points):
        """Room face id (N,) of points on the room's surface."""
        axis, sign = box_face(points - self.room_half, self.room_half)
        return _ROOM_FACE_ID[axis, (sign > 0).astype(np.int64)]

    # ---------------------------------------------------------------------------------------- pixel rays
    @staticmethod
    def pixel_rays(cam_to_world, K, height, width, dtype=np.float32):
        """World ray directions of every pixel, as three (H, W) maps with camera-frame z = 1."""
        x_cam, y_cam = camera_plane_coords(K, height, width, dtype)
        return direction_maps(np.asarray(cam_to_world)[:3, :3], x_cam, y_cam)

    def _screen_boxes(self, cam_to_world, K, height, width):
        """Per primitive the pixel rectangle (v0, v1, u0, u1) its bounding box projects into; None if off-screen.

        A convex body in front of the camera projects inside the hull of its projected corners, so only those
        pixels can hit it; a box straddling the camera plane is tested everywhere (rare: the camera stays away
        from objects)."""
        R, origin = cam_to_world[:3, :3], cam_to_world[:3, 3]
        corners_cam = (self.corners - origin) @ R  # (P, 8, 3)
        z = corners_cam[..., 2]
        rects = []
        with np.errstate(divide='ignore', invalid='ignore'):
            u = K[0, 0] * corners_cam[..., 0] / z + K[0, 2]
            v = K[1, 1] * corners_cam[..., 1] / z + K[1, 2]
        for i in range(len(self.kinds)):
            if np.all(z[i] <= NEAR):
                rects.append(None)
            elif np.any(z[i] <= NEAR):
                rects.append((0, height, 0, width))
            else:
                u0, u1 = max(int(np.floor(u[i].min())), 0), min(int(np.ceil(u[i].max())) + 1, width)
                v0, v1 = max(int(np.floor(v[i].min())), 0), min(int(np.ceil(v[i].max())) + 1, height)
                rects.append((v0, v1, u0, u1) if u0 < u1 and v0 < v1 else None)
        return rects

    def depth_pass(self, cam_to_world, K, height, width, dtype=np.float32):
        """Per-pixel nearest hit: (depth (H, W) = camera z, primitive ids (H, W) int16, world ray maps 3 x (H, W)).

        float32 maps by default (speed); the relative error ~1e-7 is micrometres at room scale."""
        cam_to_world = np.asarray(cam_to_world, dtype=np.float64)
        K = np.asarray(K, dtype=np.float64)
        x_cam, y_cam = camera_plane_coords(K, height, width, dtype)
        R, origin = cam_to_world[:3, :3], cam_to_world[:3, 3]
        rays = direction_maps(R, x_cam, y_cam)  # 3 x (H, W)
        depth, prim_ids = self._room_pass(origin, rays)
        for i, rect in enumerate(self._screen_boxes(cam_to_world, K, height, width)):
            if rect is None:
                continue
            v0, v1, u0, u1 = rect
            world_to_local = self.rotations[i].T
            local_dirs = direction_maps(world_to_local @ R, x_cam[u0:u1], y_cam[v0:v1])
            local_origin = (world_to_local @ (origin - self.centers[i])).tolist()  # Python floats keep float32
            t = HIT_FUNCTIONS[self.kinds[i]](*local_origin, *local_dirs, self.halves[i].tolist())
            depth_view, ids_view = depth[v0:v1, u0:u1], prim_ids[v0:v1, u0:u1]
            closer = t < depth_view
            np.copyto(depth_view, t, where=closer)
            ids_view[closer] = NUM_ROOM_FACES + i
        return depth, prim_ids, rays

    def _room_pass(self, origin, rays):
        """Depth and face ids (H, W) of the room alone."""
        if np.all(origin > 0) and np.all(origin < self.room_size):
            depth, face = room_exit(*origin.tolist(), *rays, self.room_size.tolist(), _ROOM_FACE_ID)
            return depth, face.astype(np.int16)
        # Camera outside the room (never on a generated path): generic box test, faces from the hit points.
        depth = box_hit(*(origin - self.room_half).tolist(), *rays, self.room_half.tolist())
        face = np.full(depth.shape, -1, dtype=np.int16)
        hit = np.isfinite(depth)
        points = origin + depth[hit][:, None] * np.stack([r[hit] for r in rays], axis=1)
        face[hit] = self.room_face(points)
        return depth, face

    # ------------------------------------------------------------------------------------ surface queries
    def normal_uv(self, prim_id, points):
        """World unit normals (N, 3) facing into the free space, and texture coordinates (N, 2) in metres,
        of points (N, 3) on primitive ``prim_id``."""
        if prim_id < NUM_ROOM_FACES:
            axis, sign = np.divmod(np.flatnonzero(_ROOM_FACE_ID.ravel() == prim_id)[0], 2)
            normals = np.zeros_like(points)
            normals[:, axis] = -1.0 if sign else 1.0  # room faces face inwards
            uv_axes = [a for a in range(3) if a != axis]
            return normals, points[:, uv_axes]
        i = prim_id - NUM_ROOM_FACES
        local = (points - self.centers[i]) @ self.rotations[i]
        normals, uv = NORMAL_UV_FUNCTIONS[self.kinds[i]](local, self.halves[i])
        return normals @ self.rotations[i].T, uv

    def distance_to_surface(self, points):
        """Unsigned distance (N,) from world points to the nearest surface of the scene (independent of rays)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        distance = np.min(np.minimum(points, self.room_size - points), axis=1)
        distance = np.abs(distance)
        for i in range(len(self.kinds)):
            local = (points - self.centers[i]) @ self.rotations[i]
            distance = np.minimum(distance, DISTANCE_FUNCTIONS[self.kinds[i]](local, self.halves[i]))
        return distance

