"""One owner module per on-disk format, shared by the writers (``data_prep``) and the readers (``datasets``).

``frame_layout``: the ScanNet extracted-frame layout (frame listing, scene lists, matrices);
``scannet_labels``: label spaces and the ScanNet label tsv; ``pri3d_pairs``: the Pri3D pair list.
No mm imports: the offline tools use them without building any registry.
"""
from . import frame_layout, pri3d_pairs, scannet_labels

__all__ = ['frame_layout', 'pri3d_pairs', 'scannet_labels']
