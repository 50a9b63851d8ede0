"""Registered datasets and transforms (runtime only); formats are read through ``mask3d_mm.formats``."""
from .nyuv2_seg import NYUv2SegDataset
from .pri3d_pairs import Pri3DPairDataset
from .rgbd_frames import RGBDFrameDataset
from .scannet_seg import ScanNetSegDataset
from .transforms import (
                         LoadPri3DPair,
                         LoadRGBDFromFile,
                         PackPri3DInputs,
                         PackRGBDInputs,
                         RGBDMaskGenerator,
                         RGBDRandomFlip,
                         RGBDRandomResizedCrop,
)

__all__ = ['RGBDFrameDataset', 'Pri3DPairDataset', 'ScanNetSegDataset', 'NYUv2SegDataset', 'LoadRGBDFromFile',
           'RGBDRandomResizedCrop', 'RGBDRandomFlip', 'RGBDMaskGenerator', 'PackRGBDInputs', 'LoadPri3DPair',
           'PackPri3DInputs']
