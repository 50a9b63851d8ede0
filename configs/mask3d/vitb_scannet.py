# Short name of the default Mask3D recipe; the settings are in the OpenMMLab-named config below.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
