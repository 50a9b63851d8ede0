"""Converters of real datasets into the project's frame layout (CONTRIBUTING.md).

``sens`` / ``sens_extract``: ScanNet ``.sens`` reader and frame extractor; ``scannet_2d``: ScanNet 2D labels
(raw ids -> nyu40 -> 20 classes), splits and data-efficient subsets; ``coco``: COCO instance json from
instance + label images; ``nyuv2``: NYUv2 labelled ``.mat`` -> images / depth / labels / instances;
``rgbd_sources`` / ``rgbd_convert``: TUM RGB-D, Redwood / Open3D, ARKitScenes and plain-folder captures -> frames;
``scene_output``: the resumable scene folders and the resize rule those frame writers share.
Tools under ``tools/data/`` wrap them. Not imported by ``mask3d_mm.datasets`` (nothing to register).
"""
