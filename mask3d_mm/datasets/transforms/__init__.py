"""Registered transforms (imported for their registration)."""
from .pri3d import LoadPri3DPair, PackPri3DInputs
from .rgbd import LoadRGBDFromFile, PackRGBDInputs, RGBDMaskGenerator, RGBDRandomFlip, RGBDRandomResizedCrop

__all__ = ['LoadRGBDFromFile', 'RGBDRandomResizedCrop', 'RGBDRandomFlip', 'RGBDMaskGenerator', 'PackRGBDInputs',
           'LoadPri3DPair', 'PackPri3DInputs']
