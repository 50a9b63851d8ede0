"""Backbones (registered on import): the Mask3D ViTs, Pri3D's 2D Res U-Net and 3D sparse U-Net."""
from .mask3d import Mask3DDepthEncoder, Mask3DViT
from .resnet_unet import ResNetUNet
from .sparse_unet import SparseUNet3D

__all__ = ['Mask3DViT', 'Mask3DDepthEncoder', 'ResNetUNet', 'SparseUNet3D']
