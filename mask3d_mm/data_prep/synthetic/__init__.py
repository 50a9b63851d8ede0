"""Procedural RGB-D indoor world with exact geometry, written in the ScanNet extracted-frame layout.

``SyntheticScene(seed)`` renders colour / depth / labels for any camera; ``generate_dataset(out_dir, ...)`` writes
scenes, frames, label TSV and splits the way every loader of this project reads real ScanNet data.
"""
from .appearance import Appearance, Material
from .camera import scannet_intrinsics
from .catalog import DEFAULT_CLASSES, ObjectClass
from .scene import SyntheticScene
from .sensor import SensorNoise
from .writer import generate_dataset, scene_seed

__all__ = ['Appearance', 'Material', 'ObjectClass', 'DEFAULT_CLASSES', 'SensorNoise', 'SyntheticScene',
           'generate_dataset', 'scannet_intrinsics', 'scene_seed']
