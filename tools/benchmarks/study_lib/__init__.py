"""The evidence study's parts (``tools/benchmarks/study.py`` is the CLI and the orchestration):

- ``runs``: running tools and trainings, schedules, reading what a run logged;
- ``world``: the study world, its sizes, rendering, splits, and the frames each pretraining sees;
- ``probes``: linear probes of frozen ViT features (depth, relative depth, normals) with a constant reference;
- ``diagnostics``: Mask3D's pretext diagnostics (copy baseline, RGB reliance) on held-out frames;
- ``report``: tables, plots and the README blocks, all rebuilt from the results JSON.
"""
