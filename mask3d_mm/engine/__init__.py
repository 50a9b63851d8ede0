"""Training-loop parts (registered on import): the reconstruction-panel hook, layer-wise lr decay, the log
processor that shows intermittent scalars only when they were computed."""
from .hooks import Mask3DReconstructionHook
from .log_processor import FreshScalarsLogProcessor
from .optimizers import LayerDecayOptimWrapperConstructor

__all__ = ['Mask3DReconstructionHook', 'LayerDecayOptimWrapperConstructor', 'FreshScalarsLogProcessor']
