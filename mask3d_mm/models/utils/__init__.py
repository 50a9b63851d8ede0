"""Model-side helpers of Mask3D: patch masks drawn in the model, and the copy-nearest-visible-depth baseline."""
from .nearest_depth import nearest_visible_depth
from .patch_masks import PatchMaskSampler, block_mask, random_mask

__all__ = ['PatchMaskSampler', 'block_mask', 'random_mask', 'nearest_visible_depth']
