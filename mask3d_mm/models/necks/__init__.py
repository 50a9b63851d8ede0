"""Necks (registered on import): the Mask3D depth decoder and SimpleFPN (ViTDet neck for fine-tuning)."""
from .mask3d_decoder import Mask3DDecoder
from .simple_fpn import SimpleFPN

__all__ = ['Mask3DDecoder', 'SimpleFPN']
