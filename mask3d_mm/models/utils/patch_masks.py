"""Mask3D's RGB and depth patch masks, drawn in the model (like mmpretrain's MAE masks its tokens itself), so the
patch grid and the ratios are one setting of the model and the data pipeline knows neither.

Every mask hides exactly ``N - int(N * (1 - ratio))`` of ``N`` patches (MAE's count), so all samples of a batch
keep the same number of visible tokens. Each sample's masks come from a ``torch.Generator`` seeded by the sample's
``mask_seed`` (drawn by ``PackRGBDInputs`` from the dataloader worker's numpy RNG, which mmengine seeds): the masks
are reproducible under ``randomness.seed``, follow the data order on ``--resume`` (mmengine replays the dataloader,
not the model's RNG), and a hook that re-runs the batch sees the masks the training step saw.
"""
import math
from typing import Optional, Sequence, Tuple

import torch

MASK_TYPES = ('random', 'block')


def num_visible(num_patches: int, ratio: float) -> int:
    return int(num_patches * (1 - ratio))


def uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def random_mask(num_patches: int, num_masked: int, generator: torch.Generator,
                candidates: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(N,) bool, True = hidden: ``num_masked`` patches chosen uniformly; with ``candidates`` ((N,) bool) the
    patches that stay VISIBLE are chosen among the candidates only (complementary masks)."""
    mask = torch.ones(num_patches, dtype=torch.bool)
    pool = torch.arange(num_patches) if candidates is None else torch.nonzero(candidates).flatten()
    keep = pool[torch.randperm(len(pool), generator=generator)[:num_patches - num_masked]]
    mask[keep] = False
    return mask


def block_mask(grid_hw: Tuple[int, int], num_masked: int, generator: torch.Generator, min_block: int = 4,
               min_aspect: float = 0.3, max_tries: int = 100) -> torch.Tensor:
    """BEiT-style block mask (N,) bool hiding exactly ``num_masked`` patches.

    Fork of mmpretrain's ``BEiTMaskGenerator``: its blocks never reach the last row / column, and it loops forever
    when the requested count exceeds what its blocks can reach (e.g. ratio 0.9 on 14 x 14). Here rectangles of
    random area (>= ``min_block`` patches) and aspect ratio are added while they fit the remaining budget, and
    whatever a rectangle can no longer fill is topped up with single random patches: always the exact count.
    """
    rows, cols = grid_hw
    mask = torch.zeros(grid_hw, dtype=torch.bool)  # (rows, cols)
    log_aspect = (math.log(min_aspect), -math.log(min_aspect))
    for _ in range(max_tries):
        remaining = num_masked - int(mask.sum())
        if remaining < min_block:
            break
        area = uniform(generator, min_block, remaining)
        aspect = math.exp(uniform(generator, *log_aspect))
        h = min(rows, max(1, round(math.sqrt(area * aspect))))
        w = min(cols, max(1, round(math.sqrt(area / aspect))))
        top = int(torch.randint(0, rows - h + 1, (), generator=generator))
        left = int(torch.randint(0, cols - w + 1, (), generator=generator))
        block = mask[top:top + h, left:left + w]
        if 0 < int((~block).sum()) <= remaining:
            block[...] = True
    flat = mask.reshape(-1)
    free = torch.nonzero(~flat).flatten()
    flat[free[torch.randperm(len(free), generator=generator)[:num_masked - int(flat.sum())]]] = True
    return flat


class PatchMaskSampler:
    """Draws the (rgb_mask, depth_mask) pair of each sample on a ``grid_hw`` patch grid.

    Args:
        rgb_mask_ratio, depth_mask_ratio (float): fraction of patches hidden from each encoder; RGB in [0, 1),
            depth in [0, 1] (1.0: no depth token at all, RGB-only -> dense depth).
        rgb_mask_type, depth_mask_type (str): ``'random'`` patches or ``'block'`` (BEiT-style rectangles).
        complementary (bool): no patch is visible in both modalities. The depth mask is drawn first (random or
            block), then the RGB-visible patches are drawn uniformly among the depth-HIDDEN patches (so
            ``rgb_mask_type`` is not used). Patches hidden in both remain when the visible counts add up to less
            than N; when they add up to more than N (``int(N (1 - r_rgb)) + int(N (1 - r_depth)) > N``) the
            masks cannot be complementary and the constructor raises ``ValueError``.
    """

    def __init__(self, grid_hw: Sequence[int], rgb_mask_ratio: float = 0.8, depth_mask_ratio: float = 0.8,
                 rgb_mask_type: str = 'random', depth_mask_type: str = 'random',
                 complementary: bool = False) -> None:
        if not 0 <= rgb_mask_ratio < 1:
            raise ValueError(f'rgb_mask_ratio must be in [0, 1), got {rgb_mask_ratio}')
        if not 0 <= depth_mask_ratio <= 1:
            raise ValueError(f'depth_mask_ratio must be in [0, 1], got {depth_mask_ratio}')
        for name, kind in (('rgb_mask_type', rgb_mask_type), ('depth_mask_type', depth_mask_type)):
            if kind not in MASK_TYPES:
                raise ValueError(f'{name} must be one of {MASK_TYPES}, got {kind!r}')
        self.grid_hw = tuple(grid_hw)
        self.num_patches = self.grid_hw[0] * self.grid_hw[1]
        self.num_rgb_visible = num_visible(self.num_patches, rgb_mask_ratio)
        self.num_depth_visible = num_visible(self.num_patches, depth_mask_ratio)
        if complementary and self.num_rgb_visible + self.num_depth_visible > self.num_patches:
            raise ValueError(
                f'complementary masks need int(N (1 - rgb_mask_ratio)) + int(N (1 - depth_mask_ratio)) <= N; with '
                f'N = {self.num_patches}: {self.num_rgb_visible} + {self.num_depth_visible} visible patches')
        self.rgb_mask_type, self.depth_mask_type = rgb_mask_type, depth_mask_type
        self.complementary = complementary

    def draw(self, num_masked: int, kind: str, generator: torch.Generator) -> torch.Tensor:
        if kind == 'block':
            return block_mask(self.grid_hw, num_masked, generator)
        return random_mask(self.num_patches, num_masked, generator)

    def sample(self, generator: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
        """One sample's (rgb_mask (N,), depth_mask (N,)), bool, True = hidden."""
        depth_mask = self.draw(self.num_patches - self.num_depth_visible, self.depth_mask_type, generator)
        num_rgb_masked = self.num_patches - self.num_rgb_visible
        if self.complementary:
            rgb_mask = random_mask(self.num_patches, num_rgb_masked, generator, candidates=depth_mask)
        else:
            rgb_mask = self.draw(num_rgb_masked, self.rgb_mask_type, generator)
        return rgb_mask, depth_mask

    def __call__(self, seeds: Sequence[Optional[int]], device=None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Masks (B, N) bool for a batch, on ``device``; a sample without a seed draws one from torch's global
        RNG.

        The masks are drawn on the CPU on purpose: per-sample CPU generators give the same masks on every device
        and under ``--resume``, and their few hundred tiny draws would be as many kernel launches (block masks:
        host syncs) on a GPU. Both masks reach the device in one asynchronous copy (pinned memory on CUDA)."""
        masks = []
        for seed in seeds:
            if seed is None:
                seed = int(torch.randint(0, 2 ** 31 - 1, ()))
            masks.append(torch.stack(self.sample(torch.Generator().manual_seed(int(seed)))))  # (2, N)
        both = torch.stack(masks, dim=1)  # (2, B, N)
        device = torch.device(device) if device is not None else both.device
        if device.type == 'cuda':
            both = both.pin_memory()
        rgb_mask, depth_mask = both.to(device, non_blocking=True)
        return rgb_mask, depth_mask
