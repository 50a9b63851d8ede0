"""``SyntheticScene``: one procedurally generated room, its camera path and an exact RGB-D + label renderer.

Everything follows from the seed through ``numpy.random.default_rng([seed, stream])``, one stream per aspect
(layout, camera path, appearance, per-frame jitter, sensor noise), so e.g. changing the appearance knobs does not
move the furniture. Instance ids: the room's faces are 1..6 (floor, ceiling, walls x=0, x=max, y=0, y=max, as
ScanNet annotates walls and floors as instances too), objects 7.. in placement order.
"""
from dataclasses import asdict

import numpy as np

from .appearance import Appearance, Lighting, object_palettes, sample_material, shade
from .camera import CameraPath, scannet_intrinsics
from .catalog import DEFAULT_CLASSES
from .labels import LabelMapper, raw_id
from .layout import NUM_OBJECTS_RANGE, place_objects, sample_room_size
from .primitives import BOX
from .sensor import SensorNoise, noisy_color, noisy_depth
from .tracer import NUM_ROOM_FACES, ROOM_FACES, SceneGeometry

STREAM_LAYOUT, STREAM_PATH, STREAM_APPEARANCE, STREAM_FRAME, STREAM_NOISE = range(5)
ROOM_CATEGORIES = ('floor', 'ceiling', 'wall', 'wall', 'wall', 'wall')  # per room face


class SyntheticScene:
    """A box room with furniture; ``render`` gives colour, exact depth and labels for any pinhole camera."""

    def __init__(self, seed, classes=DEFAULT_CLASSES, appearance=None, num_objects=NUM_OBJECTS_RANGE):
        if int(seed) < 0:
            raise ValueError(f'seed must be a non-negative integer, got {seed}')
        self.seed = int(seed)
        self.appearance = appearance or Appearance()
        layout_rng = np.random.default_rng([self.seed, STREAM_LAYOUT])
        self.room_size = sample_room_size(layout_rng)  # (3,) metres
        self.path = CameraPath.sample(np.random.default_rng([self.seed, STREAM_PATH]), self.room_size)
        self.objects = place_objects(layout_rng, self.room_size, tuple(classes), self.path.keep_out_xy(),
                                     first_instance_id=NUM_ROOM_FACES + 1, num_objects=num_objects)
        appearance_rng = np.random.default_rng([self.seed, STREAM_APPEARANCE])
        self.lighting = Lighting.sample(appearance_rng, self.appearance)
        self.materials = self._room_materials(appearance_rng) + [
            sample_material(appearance_rng, object_palettes(o.object_class.palettes, self.appearance),
                            self.appearance) for o in self.objects]
        self.geometry, self._lookups = self._build_geometry()
        self.labels = LabelMapper()

    def _room_materials(self, rng):
        """Floor (tiles / planks / carpet), ceiling (plain), walls (one paint, sometimes an accent wall)."""
        floor = sample_material(rng, ('floor',), self.appearance, ('checker', 'stripes', 'noise'), (0.3, 0.8))
        ceiling = sample_material(rng, ('ceiling',), self.appearance, ('plain',))
        paint = sample_material(rng, ('wall_paint',), self.appearance, ('plain', 'noise'), (0.1, 0.3))
        accent_wall = int(rng.integers(4)) if rng.random() < 0.3 else -1
        accent = sample_material(rng, ('wall_paint',), self.appearance, ('plain', 'stripes', 'noise'), (0.2, 0.6))
        return [floor, ceiling] + [accent if wall == accent_wall else paint for wall in range(4)]

    def _build_geometry(self):
        """Flatten the objects' primitives; per primitive id (+1, 0 = miss) the instance, raw label, material."""
        kinds, centers, halves, yaws = [], [], [], []
        instance = list(range(1, NUM_ROOM_FACES + 1))
        raw = [raw_id(category) for category in ROOM_CATEGORIES]
        material = list(range(NUM_ROOM_FACES))
        for index, obj in enumerate(self.objects):
            for kind, center, half, yaw in obj.world_parts():
                kinds.append(kind), centers.append(center), halves.append(half), yaws.append(yaw)
                instance.append(obj.instance_id)
                raw.append(raw_id(obj.object_class.category))
                material.append(NUM_ROOM_FACES + index)
        geometry = SceneGeometry(self.room_size, kinds, centers, halves, yaws)
        lookups = dict(instance=np.array([0] + instance, dtype=np.uint16),
                       raw=np.array([0] + raw, dtype=np.uint16),
                       material=np.array([-1] + material, dtype=np.int64))
        return geometry, lookups

    # ------------------------------------------------------------------------------------------- cameras
    def trajectory(self, n_frames):
        """(n, 4, 4) camera-to-world poses along the scene's camera path (prefix-stable in n)."""
        return self.path.poses(n_frames)

    @staticmethod
    def intrinsics(height=240, width=320):
        """3x3 K (ScanNet depth camera scaled to the image size)."""
        return scannet_intrinsics(height, width)

    # ------------------------------------------------------------------------------------------- queries
    def raycast(self, origins, dirs):
        """Nearest hit of world rays ``origins + t * dirs`` (N, 3): (t (N,), instance ids (N,) uint16, 0 = miss).

        ``t`` is in units of ``dirs`` (unit dirs: metres along the ray); +inf where nothing is hit."""
        t, prim_ids = self.geometry.raycast(origins, dirs)
        return t, self._lookups['instance'][prim_ids + 1]

    def distance_to_surface(self, points):
        """Unsigned distance (N,) from world points to the nearest surface (analytic, not ray based)."""
        return self.geometry.distance_to_surface(points)

    # ------------------------------------------------------------------------------------------- render
    def render(self, cam_to_world, K, height, width, sensor_noise=False, frame_index=None):
        """Render one frame. Depth is the camera-frame z in metres (0 = no measurement), exact unless
        ``sensor_noise`` (True or a ``SensorNoise``). ``frame_index`` seeds the per-frame exposure / light jitter
        (none when None) and the sensor noise.

        Returns dict(color (H, W, 3) uint8 RGB, depth (H, W) float32, label_raw (H, W) uint16 raw ScanNet ids,
        label_nyu40 (H, W) uint8, label_scannet20 (H, W) uint8 0..19 / 255, instance (H, W) uint16)."""
        cam_to_world = np.asarray(cam_to_world, dtype=np.float64)
        depth, prim_ids, rays = self.geometry.depth_pass(cam_to_world, K, height, width)
        if frame_index is None:
            light, gain = self.lighting.direction(), 1.0
        else:
            frame_rng = np.random.default_rng([self.seed, STREAM_FRAME, int(frame_index)])
            light, gain = self.lighting.frame_jitter(frame_rng, self.appearance)
        color, normals = self._shade(depth, prim_ids, rays, cam_to_world[:3, 3], light, gain)  # (H, W, 3) x 2
        depth = depth.astype(np.float32)
        if sensor_noise:
            noise = sensor_noise if isinstance(sensor_noise, SensorNoise) else SensorNoise()
            noise_rng = np.random.default_rng([self.seed, STREAM_NOISE, int(frame_index or 0)])
            ray_stack = np.stack(rays, axis=-1)  # (H, W, 3)
            cos_incidence = np.abs((normals * ray_stack).sum(-1)) / np.linalg.norm(ray_stack, axis=-1)
            depth = noisy_depth(depth, cos_incidence, noise_rng, noise)
            color = noisy_color(color, noise_rng, noise)
        depth[~np.isfinite(depth)] = 0.0
        label_raw = self._lookups['raw'][prim_ids + 1]
        label_nyu40 = self.labels.nyu40(label_raw)
        return dict(color=np.round(np.clip(color, 0, 1) * 255).astype(np.uint8), depth=depth,
                    label_raw=label_raw, label_nyu40=label_nyu40, label_scannet20=self.labels.scannet20(label_nyu40),
                    instance=self._lookups['instance'][prim_ids + 1])

    def _shade(self, depth, prim_ids, rays, origin, light, gain):
        """Colour (H, W, 3) float32 in [0, 1] and world normals (H, W, 3): textures looked up per primitive at
        the hit points, then one Lambertian pass."""
        height, width = depth.shape
        flat_ids = prim_ids.ravel().astype(np.int64)
        points = origin + depth.reshape(-1, 1) * np.stack([r.ravel() for r in rays], axis=1)  # (N, 3)
        albedo = np.zeros((flat_ids.size, 3), dtype=np.float32)
        normals = np.zeros((flat_ids.size, 3))
        order = np.argsort(flat_ids, kind='stable')  # pixels grouped by primitive, misses (-1) first
        counts = np.bincount(flat_ids + 1, minlength=self.geometry.num_primitives + 1)  # [misses, prim 0, ...]
        starts = np.concatenate([[0], np.cumsum(counts)])
        for prim_id in np.flatnonzero(counts[1:]):
            pixels = order[starts[prim_id + 1]:starts[prim_id + 2]]
            prim_normals, uv = self.geometry.normal_uv(prim_id, points[pixels])
            normals[pixels] = prim_normals
            albedo[pixels] = self.materials[self._lookups['material'][prim_id + 1]].albedo(uv)
        color = shade(albedo, normals, light, self.lighting.ambient, gain)
        return color.reshape(height, width, 3), normals.reshape(height, width, 3)

    # ------------------------------------------------------------------------------------------- metadata
    def describe(self):
        """JSON-serialisable description (``scene.json``): seed, room, camera path, lighting, objects."""
        room_faces = [dict(instance_id=i + 1, category=ROOM_CATEGORIES[i], raw_id=raw_id(ROOM_CATEGORIES[i]),
                           face=ROOM_FACES[i], material=asdict(self.materials[i])) for i in range(NUM_ROOM_FACES)]
        objects = []
        for index, obj in enumerate(self.objects):
            objects.append(dict(
                instance_id=obj.instance_id, category=obj.object_class.category,
                raw_id=raw_id(obj.object_class.category), shape=obj.object_class.shape,
                placement=obj.object_class.placement, wall=obj.wall, position=obj.position.tolist(),
                yaw=obj.yaw, size=obj.size.tolist(), material=asdict(self.materials[NUM_ROOM_FACES + index]),
                parts=[dict(kind='box' if kind == BOX else 'cylinder', center=center.tolist(), half_size=half.tolist(),
                            yaw=yaw) for kind, center, half, yaw in obj.world_parts()]))
        return dict(seed=self.seed, room_size=self.room_size.tolist(), world_frame='z up, room spans [0, room_size]',
                    camera_path=asdict(self.path), lighting=asdict(self.lighting),
                    appearance=asdict(self.appearance), room_faces=room_faces, objects=objects)
