# Full OpenMMLab name of the default Mask3D recipe (ViT-B/16, 8 GPUs x 64, AMP, cosine lr, 800 epochs, ScanNet).
# `vitb_scannet.py` holds the settings; this file only gives them their release name.
_base_ = './vitb_scannet.py'
