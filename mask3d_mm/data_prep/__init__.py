"""Offline data preparation, never imported at training time: converters of real datasets (``converters``), the
synthetic RGB-D world (``synthetic``) and Pri3D pair mining (``pair_mining``). The tools under ``tools/data/``
wrap them; the formats they write are owned by ``mask3d_mm.formats``."""
