"""Models, registered into the upstream registries (mmpretrain / mmseg) on import. ``sparse`` (3D sparse
convolution) and ``utils`` (Mask3D patch masks) are imported by the modules that use them."""
from .algorithms import Mask3D, Pri3D
from .backbones import Mask3DDepthEncoder, Mask3DViT, ResNetUNet, SparseUNet3D
from .data_preprocessors import RGBDDataPreprocessor
from .heads import Mask3DDepthHead
from .losses import PointInfoNCE
from .necks import Mask3DDecoder, SimpleFPN

__all__ = ['Mask3D', 'Pri3D', 'Mask3DViT', 'Mask3DDepthEncoder', 'ResNetUNet', 'SparseUNet3D',
           'RGBDDataPreprocessor', 'Mask3DDepthHead', 'PointInfoNCE', 'Mask3DDecoder', 'SimpleFPN']
