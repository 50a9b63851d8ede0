"""Figures drawn from model outputs (numpy / cv2; nothing registered)."""
from .mask3d_panels import (
    colorize_depth,
    colour_bar,
    draw_reconstruction_panel,
    inference_mode,
    make_reconstruction_panel,
    make_reconstruction_rows,
    reconstruct_batch,
    region_outline,
)

__all__ = ['colorize_depth', 'colour_bar', 'draw_reconstruction_panel', 'inference_mode', 'make_reconstruction_panel',
           'make_reconstruction_rows', 'reconstruct_batch', 'region_outline']
