"""Hooks (registered into mmengine's ``HOOKS`` on import)."""
from .mask3d_vis_hook import Mask3DReconstructionHook

__all__ = ['Mask3DReconstructionHook']
