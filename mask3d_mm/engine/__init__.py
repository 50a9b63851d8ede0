"""Training-loop parts (registered on import): the reconstruction-panel hook, layer-wise lr decay."""
from .hooks import Mask3DReconstructionHook
from .optimizers import LayerDecayOptimWrapperConstructor

__all__ = ['Mask3DReconstructionHook', 'LayerDecayOptimWrapperConstructor']
