"""The study's tables, plots and generated Markdown blocks, each rebuilt from a results JSON (``results.json`` of the
ViT suite, ``pri3d.json`` of the Pri3D suite, ``ablation.json`` of the Mask3D ablation), so docs/study.md (the full
blocks) and the README (one short summary table per suite) always show exactly what the committed JSON holds."""
import os
import platform
import subprocess
import time

import numpy as np

from .runs import REPO

SCORES = (('mIoU', 'mIoU'), ('objects_mIoU', 'objects mIoU'))  # (run key, table name)
# Pri3D, ICCV'21, Table 1: ScanNet 2D semantic segmentation mIoU of the UNet protocol
PRI3D_PAPER = {'scratch': (37.5, 39.1), 'imagenet': (51.0, 55.7), 'pri3d-view': (54.4, 61.3),
               'pri3d-geo': (55.3, 61.1), 'pri3d-view+geo': (55.7, 61.7)}
DASH = '–'


def provenance():
    commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or 'unknown'
    return dict(date=time.strftime('%Y-%m-%d'), machine=f'{platform.machine()}, {os.cpu_count()} CPU cores, '
                f'{platform.python_implementation()} {platform.python_version()}', commit=commit)


def finetuned_methods(results):
    """Methods with fine-tuning runs, in the order they were run."""
    return list(dict.fromkeys(r['method'] for r in results['runs']))


def fractions_of(results):
    return tuple(results['meta']['study_size']['fractions'])


def summarize(runs, methods, fractions):
    """Per method: (mean, std, n) of every score per data share (``'<score>@<fraction>'``)."""
    rows = []
    for method in methods:
        row = dict(method=method)
        for score, _ in SCORES:
            for fraction in fractions:
                values = [r[score] for r in runs if r['method'] == method and r['fraction'] == fraction]
                row[f'{score}@{fraction:g}'] = (float(np.mean(values)), float(np.std(values)), len(values))
        rows.append(row)
    return rows


def mean_cell(stat):
    mean, std, n = stat
    return f'{mean:.1f} ± {std:.1f} (n={n})'


def number(value, digits):
    """A table cell: a dash for a value not recorded or not defined (NaN)."""
    return DASH if value is None or value != value else f'{value:.{digits}f}'


def table(header, rows):
    return '\n'.join(['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)] +
                     ['| ' + ' | '.join(cells) + ' |' for cells in rows])


# ---------------------------------------------------------------------------------------- ViT suite
PROBE_COLUMNS = (('depth_rmse', 'depth probe RMSE (m)', 3), ('depth_absrel', 'depth AbsRel', 3),
                 ('rel_depth_rmse', 'relative depth RMSE (log)', 3), ('normal_angle_deg', 'normal probe error (°)', 1))
BLOCK_OF = {'depth_rmse': 'depth_block', 'rel_depth_rmse': 'rel_depth_block', 'normal_angle_deg': 'normal_block'}


def probe_cells(scores):
    """Probe errors, with the block cross-validation chose in parentheses where recorded."""
    cells = []
    for key, _, digits in PROBE_COLUMNS:
        cell = number(scores.get(key), digits)
        block = scores.get(BLOCK_OF.get(key, ''))
        cells.append(cell if block is None else f'{cell} (block {block})')
    return cells


def results_table(results):
    """mean ± std mIoU and objects-only mIoU (percent) per method and data share, then the probe errors; probe-
    only arms (the positive control) and the constant-prediction reference close the table."""
    fractions, methods = fractions_of(results), finetuned_methods(results)
    header = ['method'] + [f'{name}, {f:.0%} of train data' for _, name in SCORES for f in fractions] + \
        [name for _, name, _ in PROBE_COLUMNS]
    empty = [DASH] * (len(SCORES) * len(fractions))
    rows = []
    for row in summarize(results['runs'], methods, fractions):
        cells = [mean_cell(row[f'{score}@{f:g}']) for score, _ in SCORES for f in fractions]
        rows.append([row['method']] + cells + probe_cells(results['probes'].get(row['method'], {})))
    for method, scores in results['probes'].items():
        if method not in methods:
            rows.append([f'{method} (probe only)'] + empty + probe_cells(scores))
    if results.get('probe_reference'):
        rows.append(['constant prediction (probe reference)'] + empty + probe_cells(results['probe_reference']))
    return table(header, rows)


def ablation_table(results):
    """One row per Mask3D setting that was pretrained: end-of-training masked-depth loss against the copy-the-
    nearest-visible-depth baseline on the same batches, RGB reliance on held-out frames, probes, fine-tuning."""
    pretraining = results.get('pretraining', {})
    settings = [m for m, record in pretraining.items() if 'loss_depth' in record]
    if not settings:
        return None
    fractions = fractions_of(results)
    full = max(fractions)
    rows_by_method = {r['method']: r for r in summarize(results['runs'], finetuned_methods(results), fractions)}
    header = ['setting', 'config', 'masked-depth L1 (m, last 10 %)', 'copy baseline L1 (m)', 'loss / copy',
              'RGB reliance (held-out)', 'depth probe RMSE (m)', 'normal probe error (°)',
              f'mIoU, {full:.0%} of train data']
    rows = []
    for method in settings:
        record, probes = pretraining[method], results['probes'].get(method, {})
        loss, copy = record.get('loss_depth'), record.get('nearest_visible_depth_loss')
        ratio = None if loss is None or not copy else loss / copy
        reliance = record.get('rgb_reliance')
        miou = rows_by_method.get(method, {}).get(f'mIoU@{full:g}')
        rows.append([method, f"`{record.get('config', DASH)}`", number(loss, 3), number(copy, 3), number(ratio, 2),
                     DASH if reliance is None else f'{100 * reliance:+.1f} %', number(probes.get('depth_rmse'), 3),
                     number(probes.get('normal_angle_deg'), 1), DASH if miou is None else mean_cell(miou)])
    return table(header, rows)


def fairness_line(results):
    """What every method pretrained on, from the recorded counts (one sentence; empty for an older JSON)."""
    pretraining = results.get('pretraining')
    if not pretraining:
        return ''
    frames = sorted({r['distinct_frames'] for r in pretraining.values()})
    iters = sorted({r['iters'] for r in pretraining.values()})
    batches = sorted({r['images_per_iter'] for r in pretraining.values()})
    recipes = sorted({(r['lr'], r['layer_decay']) for r in results.get('finetune_recipe', {}).values()},
                     key=str)
    recipe_text = ', '.join(f'lr {lr:g}' + ('' if decay is None else f' / layer decay {decay:g}')
                            for lr, decay in recipes)
    return (f' Every pretraining saw {" / ".join(map(str, frames))} distinct frames for {" / ".join(map(str, iters))} '
            f'iterations of {" / ".join(map(str, batches))} images; fine-tuning recipe '
            f'(the same grid for every method, best reported): {recipe_text}.')


# -------------------------------------------------------------------------------------- Pri3D suite
def pri3d_table(results):
    """mIoU per arm and data share beside the paper's Table 1 (R18 / R50 on ScanNet; ImageNet init: paper only)."""
    fractions, methods = fractions_of(results), finetuned_methods(results)
    header = ['method'] + [f'{name}, {f:.0%} of train data' for _, name in SCORES for f in fractions] + \
        ['paper R18 (ScanNet)', 'paper R50 (ScanNet)']
    rows = []
    for row in summarize(results['runs'], methods, fractions):
        paper = PRI3D_PAPER.get(row['method'], (None, None))
        rows.append([row['method']] + [mean_cell(row[f'{score}@{f:g}']) for score, _ in SCORES for f in fractions] +
                    [number(v, 1) for v in paper])
    rows.append(['ImageNet init (not run here)'] + [DASH] * (len(SCORES) * len(fractions)) +
                [number(v, 1) for v in PRI3D_PAPER['imagenet']])
    return table(header, rows)


# ------------------------------------------------------------------------------------------------ plot
def plot(results, path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fractions = fractions_of(results)
    rows = summarize(results['runs'], finetuned_methods(results), fractions)
    fig, axes = plt.subplots(1, len(SCORES), figsize=(9, 3.8), dpi=120)
    for ax, (score, name) in zip(axes, SCORES):
        for row in rows:
            means = [row[f'{score}@{f:g}'][0] for f in fractions]
            stds = [row[f'{score}@{f:g}'][1] for f in fractions]
            ax.errorbar([100 * f for f in fractions], means, yerr=stds, marker='o', capsize=3, label=row['method'])
        ax.set_xscale('log')
        ax.set_xlabel('share of the downstream training images (%)')
        ax.set_ylabel(f'{name} (%)')
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    save_figure(fig, title, path)


def save_figure(fig, title, path):
    """Title, tight layout, then the PNG written atomically (a temporary file renamed over ``path``)."""
    import matplotlib.pyplot as plt
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp_path = f'{path}.tmp{os.getpid()}.png'
    fig.savefig(tmp_path)
    plt.close(fig)
    os.replace(tmp_path, path)


# ---------------------------------------------------------------------------------------- README
def markers(name):
    return f'<!-- {name}:begin -->', f'<!-- {name}:end -->'


def replace_block(text: str, name: str, section: str) -> str:
    """Swap the ``name`` block for ``section`` (which holds the markers); without one, add it under
    ``## Results`` (made if missing)."""
    begin, end = markers(name)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + section + rest.split(end, 1)[1]
    heading = '## Results\n'
    if heading in text:
        head, rest = text.split(heading, 1)
        return f'{head}{heading}\n{section}\n{rest}'
    return f'{text.rstrip()}\n\n{heading}\n{section}\n'


def commit_phrase(commit):
    """The commit a run was made at, for a reader: ``git describe --dirty``'s suffix said in words."""
    base, dirty = (commit[:-len('-dirty')], True) if commit.endswith('-dirty') else (commit, False)
    return f'commit `{base}`' + (' with uncommitted changes' if dirty else '')


def generated_by(meta, suite_flag=''):
    return (f'Generated {meta["date"]} on {meta["machine"]}, {commit_phrase(meta["commit"])}, in '
            f'{meta["wall_minutes"]:.0f} min by `python tools/benchmarks/study.py{suite_flag} --size {meta["size"]} '
            f'--update-readme`')


def readme_sections(results: dict) -> dict:
    """``{marker name: README block}`` of the ViT suite's results: the main table and (when Mask3D settings were
    pretrained with diagnostics) the ablation table."""
    meta, size = results['meta'], results['meta']['study_size']
    begin, end = markers('study')
    sections = {'study': (
        f'{begin}\n**Synthetic, small-scale** (procedural rooms, densely furnished, colour unrelated to class; '
        f'ViT-tiny 6x192, 128x128 input, `{meta["size"]}` study size: {size["pretrain_iters"]} pretraining and '
        f'{size["finetune_iters"]} fine-tuning iterations, {size["seeds"]} seeds). {generated_by(meta)}; every run '
        f'is in `docs/study/results.json`.{fairness_line(results)} mIoU: ScanNet-20 classes on held-out synthetic '
        f'scenes (objects mIoU: without wall and floor); probes: ridge regression on frozen patch tokens (lower is '
        f'better; block and penalty chosen by cross-validation where a block is shown; the last row predicts the '
        f'training mean). Not comparable to ScanNet numbers.\n\n{results_table(results)}\n\n'
        f'![mIoU vs data fraction](study/miou_vs_fraction.png)\n{end}')}
    ablation = ablation_section(results, 'study-ablation', 'of the 3-seed study run', '(the run above: same '
                                'pretrainings, each fine-tuned with every seed; from `docs/study/results.json`)')
    if ablation is not None:
        sections['study-ablation'] = ablation
    return sections


def ablation_section(results: dict, name: str, run: str, source: str, extra: str = ''):
    """The block ``name`` holding the Mask3D settings' table of one ``run`` (None when no setting was diagnosed);
    the title names the run, since two runs show the same setting."""
    ablation = ablation_table(results)
    if ablation is None:
        return None
    begin, end = markers(name)
    return (f'{begin}\n**Mask3D settings {run}** {source.rstrip(".")}. Masked-depth L1: mean training loss over '
            f'the last 10 % of the iterations; copy baseline: the nearest visible depth pixel copied into each masked '
            f'pixel, on the same batches; RGB reliance: relative increase of the masked-depth loss when the RGB '
            f'tokens are shuffled across the batch, on held-out frames.\n\n{ablation}\n{extra}{end}')


def ablation_readme_sections(results: dict) -> dict:
    """``{marker name: README block}`` of the Mask3D ablation suite (``--suite mask3d-ablation``)."""
    meta, size = results['meta'], results['meta']['study_size']
    source = (f'(`{meta["size"]}` study size: {size["pretrain_iters"]} pretraining iterations on the study\'s '
              f'frames, one fine-tuning of {size["finetune_iters"]} iterations on all the downstream data, one '
              f'seed; {generated_by(meta, " --suite mask3d-ablation")}; every run is in '
              f'`docs/study/ablation.json`).{fairness_line(results)}')
    references = (f'\nEvery arm of the same run, with scratch and MAE for reference (probes: block and penalty chosen '
                  f'by cross-validation; the last row predicts the training mean):\n\n{results_table(results)}\n')
    return {'mask3d-ablation': ablation_section(results, 'mask3d-ablation', 'of the one-seed ablation run', source,
                                                references)}


def pri3d_readme_sections(results: dict) -> dict:
    meta, size = results['meta'], results['meta']['study_size']
    begin, end = markers('study-pri3d')
    return {'study-pri3d': (
        f'{begin}\n**Pri3D Table 1 in shape, synthetic** (ResNet-18 UNet, Pri3D UNet segmentation protocol, '
        f'`{meta["size"]}` study size: {size["pretrain_iters"]} pretraining and {size["finetune_iters"]} '
        f'fine-tuning iterations, {size["seeds"]} seeds). {generated_by(meta, " --suite pri3d")}; every run is in '
        f'`docs/study/pri3d.json`.{fairness_line(results)} The paper columns are ScanNet numbers (reference, not '
        f'comparable).\n\n{pri3d_table(results)}\n\n![Pri3D suite: mIoU vs data fraction](study/pri3d.png)\n'
        f'{end}')}


# ------------------------------------------------------------------------------------ README summaries
def summary_block(name: str, caption: str, columns: list, rows: list) -> str:
    """A short generated block of the README (``<name>-summary``): a caption naming the JSON, then one table with
    a column per method (``rows``: ``(row name, one cell per column)``), so a summary stays a few lines long."""
    begin, end = markers(f'{name}-summary')
    body = table([''] + columns, [[row_name, *cells] for row_name, cells in rows])
    return f'{begin}\n{caption}\n\n{body}\n{end}'


def short_cell(stat):
    """mean ± std without the seed count (the caption states it); the mean alone for one run."""
    mean, std, n = stat
    return f'{mean:.1f}' if n == 1 else f'{mean:.1f} ± {std:.1f}'


def miou_rows(results, methods):
    """``(row name, cells)`` of the seed-mean mIoU per data share, one cell per method."""
    fractions = fractions_of(results)
    by_method = {row['method']: row for row in summarize(results['runs'], methods, fractions)}
    return [(f'mIoU, {f:.0%} of the data', [short_cell(by_method[m][f'mIoU@{f:g}']) for m in methods])
            for f in fractions]


def budget(results, arch):
    size = results['meta']['study_size']
    seeds = f'{size["seeds"]} seeds' if size['seeds'] > 1 else 'one seed'
    return f'{arch}, {size["pretrain_iters"]} pretraining / {size["finetune_iters"]} fine-tuning iterations, {seeds}'


def readme_summary_sections(results: dict) -> dict:
    """``{marker name: README block}``: the ViT suite's fine-tuned mIoU per method (mean ± std over the seeds)."""
    methods = finetuned_methods(results)
    caption = (f'**Fair study, synthetic** ({budget(results, "ViT-tiny")}; mean ± std; `docs/study/results.json` of '
               f'{results["meta"]["date"]}):')
    return {'study-summary': summary_block('study', caption, methods, miou_rows(results, methods))}


def pri3d_readme_summary_sections(results: dict) -> dict:
    """``{marker name: README block}``: the Pri3D suite's mIoU per arm, above the paper's R18 column."""
    methods = finetuned_methods(results)
    paper = ("paper's R18, ScanNet", [number(PRI3D_PAPER.get(m, (None,))[0], 1) for m in methods])
    caption = (f'**Pri3D suite, synthetic** ({budget(results, "ResNet-18 UNet")}; `docs/study/pri3d.json` of '
               f'{results["meta"]["date"]}; the last row is the paper\'s real-data number, not comparable):')
    return {'study-pri3d-summary': summary_block('study-pri3d', caption, methods,
                                                 miou_rows(results, methods) + [paper])}


def ablation_readme_summary_sections(results: dict) -> dict:
    """``{marker name: README block}``: per Mask3D setting, the copy shortcut (loss / copy) and the fine-tuned mIoU
    on all the data, next to the references the run fine-tuned (scratch, MAE)."""
    pretraining, full = results.get('pretraining', {}), max(fractions_of(results))
    methods = finetuned_methods(results)
    stats = {row['method']: row[f'mIoU@{full:g}'] for row in summarize(results['runs'], methods, (full,))}
    ratios = []
    for method in methods:
        record = pretraining.get(method) or {}
        copy = record.get('nearest_visible_depth_loss')
        ratios.append(number(record['loss_depth'] / copy if copy else None, 2) if 'loss_depth' in record else DASH)
    rows = [('masked-depth loss / copy baseline', ratios),
            (f'mIoU, {full:.0%} of the data', [short_cell(stats[m]) for m in methods])]
    caption = (f'**Mask3D masking ablation, synthetic** ({budget(results, "ViT-tiny")}; `docs/study/ablation.json`; '
               f'loss / copy below 1: the model beats copying the nearest visible depth pixel):')
    return {'mask3d-ablation-summary': summary_block('mask3d-ablation', caption, methods, rows)}


# ------------------------------------------------------------------------------------------ scaling suite
# (key, name, digits) of every scaling metric; a pretraining's held-out diagnostics, a probe score or a fine-tuning
SCALING_METRICS = (('rgb_reliance', 'RGB reliance (held-out)', 3), ('l1_vs_copy', 'masked-depth L1 / copy', 2),
                   ('depth_rmse', 'depth probe RMSE (m)', 3), ('rel_depth_rmse', 'relative depth RMSE (log)', 3),
                   ('normal_angle_deg', 'normal probe error (°)', 1), ('mIoU', 'mIoU', 1),
                   ('objects_mIoU', 'objects mIoU', 1))


def scaling_lengths(results):
    """The pretraining lengths of the suite, shortest first."""
    return [int(length) for length in results['meta']['lengths']]


def scaling_methods(results):
    """Every arm with a record, pretrained ones first (in suite order), then the unpretrained ones."""
    methods = [*results['pretraining'], *results['probes'], *(r['method'] for r in results['runs'])]
    methods = list(dict.fromkeys(methods))
    return [m for m in methods if m in results['pretraining']] + [m for m in methods if m not in
                                                                   results['pretraining']]


def scaling_value(results, method, length, key):
    """One metric of ``method`` pretrained for ``length`` iterations (0: unpretrained): (mean, std, n) over the
    seeds for a fine-tuning score, (value, 0, 1) otherwise; None when not recorded (yet)."""
    if key in ('mIoU', 'objects_mIoU'):
        values = [r[key] for r in results['runs'] if r['method'] == method and r['length'] == length]
        return (float(np.mean(values)), float(np.std(values)), len(values)) if values else None
    if key in ('rgb_reliance', 'l1_vs_copy'):
        heldout = results['pretraining'].get(method, {}).get(str(length), {}).get('heldout') or {}
        if key == 'rgb_reliance':
            value = heldout.get('rgb_reliance')
        else:
            loss, copy = heldout.get('loss_depth'), heldout.get('nearest_visible_depth_loss')
            value = loss / copy if loss is not None and copy else None
    else:
        value = results['probes'].get(method, {}).get(str(length), {}).get(key)
    return None if value is None or not np.isfinite(value) else (float(value), 0.0, 1)


def scaling_cell(stat, digits):
    if stat is None:
        return DASH
    mean, std, n = stat
    return f'{mean:.{digits}f}' if n == 1 else f'{mean:.{digits}f} ± {std:.{digits}f} (n={n})'


def scaling_table(results):
    """One row per arm and pretraining length (an unpretrained arm: one row, 0 iterations), every metric, the
    held-out masked-depth L1 and its copy baseline in metres, and the measured seconds per pretraining iteration;
    the probes' constant-prediction reference closes the table. A dash: not recorded (yet) or not defined."""
    header = ['arm', 'pretraining iterations', 'held-out masked-depth L1 (m)', 'copy baseline L1 (m)'] + \
        [name for _, name, _ in SCALING_METRICS] + ['s / pretraining iteration']
    rows = []
    for method in scaling_methods(results):
        by_length = results['pretraining'].get(method)
        for length in (scaling_lengths(results) if by_length is not None else [0]):
            record = (by_length or {}).get(str(length), {})
            heldout = record.get('heldout') or {}
            rows.append([method, str(length), number(heldout.get('loss_depth'), 3),
                         number(heldout.get('nearest_visible_depth_loss'), 3)] +
                        [scaling_cell(scaling_value(results, method, length, key), digits)
                         for key, _, digits in SCALING_METRICS] + [number(record.get('seconds_per_iter'), 2)])
    reference = results.get('probe_reference') or {}
    probe_keys = ('depth_rmse', 'rel_depth_rmse', 'normal_angle_deg')
    rows.append(['constant prediction (probe reference)', DASH, DASH, DASH] +
                [number(reference.get(key), digits) if key in probe_keys else DASH
                 for key, _, digits in SCALING_METRICS] + [DASH])
    return table(header, rows)


def scaling_plot(results, path, title):
    """Each metric against the pretraining iterations (log axis), one line per pretrained arm (error bars: std over
    the fine-tuning seeds); an unpretrained arm is a dashed level (its band: the seeds' std), the probes' constant
    prediction a dotted one."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    lengths = scaling_lengths(results)
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5), dpi=110)
    for ax, (key, name, _) in zip(axes.flat, SCALING_METRICS):
        for index, method in enumerate(scaling_methods(results)):
            if method in results['pretraining']:
                points = [(length, scaling_value(results, method, length, key)) for length in lengths]
                points = [(length, stat) for length, stat in points if stat is not None]
                if points:
                    ax.errorbar([p[0] for p in points], [p[1][0] for p in points], yerr=[p[1][1] for p in points],
                                marker='o', capsize=3, label=method, color=f'C{index}')  # one colour per arm
                continue
            stat = scaling_value(results, method, 0, key)
            if stat is not None:
                line = ax.axhline(stat[0], linestyle='--', color='k', label=f'{method} (no pretraining)')
                ax.axhspan(stat[0] - stat[1], stat[0] + stat[1], color=line.get_color(), alpha=0.1)
        reference = (results.get('probe_reference') or {}).get(key)
        if reference is not None:
            ax.axhline(reference, linestyle=':', color='grey', label='constant prediction')
        ax.set_xscale('log')
        ax.set_xticks(lengths, [str(length) for length in lengths])
        ax.minorticks_off()
        ax.set_xlabel('pretraining iterations')
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in axes.flat[1:len(SCALING_METRICS)]:  # every arm, also one the first panel lacks
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    axes.flat[-1].axis('off')
    axes.flat[-1].legend(handles, labels, fontsize=8, loc='center')
    save_figure(fig, title, path)


def scaling_block_name(results):
    size = results['meta']['size']
    return 'study-scaling' + ('' if size == 'default' else f'-{size}')


def scaling_file(results, suffix):
    size = results['meta']['size']
    return f'scaling{"" if size == "default" else f"-{size}"}.{suffix}'


def series(results, method, key, digits):
    """``a / b / c`` of one metric at every length (``not run yet`` where missing)."""
    cells = []
    for length in scaling_lengths(results):
        stat = scaling_value(results, method, length, key)
        if stat is None:
            cells.append('not run yet')
        else:
            mean, std, n = stat
            cells.append(f'{mean:.{digits}f}' + ('' if n == 1 else f' ± {std:.{digits}f}'))
    return ' / '.join(cells)


def gap_series(results, method, other, key, digits):
    """``a / b / c``: the mean of ``method`` minus that of ``other`` at every length (``other`` unpretrained: its
    one value at each), signed; ``not run yet`` where either is missing."""
    cells = []
    for length in scaling_lengths(results):
        stat = scaling_value(results, method, length, key)
        base = scaling_value(results, other, length if other in results['pretraining'] else 0, key)
        cells.append('not run yet' if stat is None or base is None else f'{stat[0] - base[0]:+.{digits}f}')
    return ' / '.join(cells)


def scaling_reading(results):
    """The sentences the suite must state, each number read from the JSON: Mask3D's held-out RGB reliance per
    length, the depth-probe RMSE of Mask3D, MAE and the supervised control, fine-tuned mIoU against scratch."""
    lengths = ' / '.join(map(str, scaling_lengths(results)))
    scratch = scaling_value(results, 'scratch', 0, 'mIoU')
    reference = (results.get('probe_reference') or {}).get('depth_rmse')
    lines = [f'- *RGB reliance on unseen rooms* at {lengths} pretraining iterations: Mask3D '
             f'{series(results, "mask3d", "rgb_reliance", 3)}; Mask3D RGB-only '
             f'{series(results, "mask3d-rgb-only", "rgb_reliance", 3)}.',
             f'- *Depth-probe RMSE (m)* at {lengths}: Mask3D {series(results, "mask3d", "depth_rmse", 3)}; MAE '
             f'{series(results, "mae", "depth_rmse", 3)}; supervised-depth control '
             f'{series(results, "depth-supervised", "depth_rmse", 3)}; constant prediction {number(reference, 3)}.',
             f'- *Fine-tuned mIoU* (all the downstream data, mean ± std over the seeds) at {lengths}: Mask3D '
             f'{series(results, "mask3d", "mIoU", 1)}; Mask3D RGB-only '
             f'{series(results, "mask3d-rgb-only", "mIoU", 1)}; MAE {series(results, "mae", "mIoU", 1)}; '
             f'scratch (no pretraining) '
             f'{"not run yet" if scratch is None else scaling_cell(scratch, 1)}.',
             f'- *Gaps* at {lengths}: depth-probe RMSE Mask3D − MAE '
             f'{gap_series(results, "mask3d", "mae", "depth_rmse", 3)} m (negative: Mask3D better); fine-tuned '
             f'mIoU Mask3D − scratch '
             f'{gap_series(results, "mask3d", "scratch", "mIoU", 1)}, Mask3D − MAE '
             f'{gap_series(results, "mask3d", "mae", "mIoU", 1)}.']
    return '\n'.join(lines)


def scaling_readme_sections(results: dict) -> dict:
    """``{marker name: docs/study.md block}`` of the scaling suite: caption, generated reading, table, plot."""
    meta, size = results['meta'], results['meta']['study_size']
    name = scaling_block_name(results)
    begin, end = markers(name)
    frames = sorted({r['distinct_frames'] for by_length in results['pretraining'].values()
                     for r in by_length.values()})
    seeds = f'{size["seeds"]} seeds' if size['seeds'] > 1 else 'one seed'
    fairness = (f'Every pretraining of one length saw the same {" / ".join(map(str, frames))} distinct frames '
                f'(asserted)' if frames else 'No pretraining recorded yet')
    recorded = ('every step recorded' if meta['complete'] else
                f'**unfinished: {len(results["missing"])} steps not run yet** (the numbers below are the steps '
                f'recorded so far)')
    caption = (f'**Scaling suite, synthetic, {meta["device"]}** (ViT-tiny 6x192, 128x128 input, `{meta["size"]}` '
               f'size: {size["pretrain_scenes"]} pretraining rooms x {size["pretrain_frames"]} frames, every held-out '
               f'number on the {size["downstream_scenes"]} other rooms of the downstream world; each length a '
               f'separate pretraining with its own warm-up + cosine schedule; fine-tuning {size["finetune_iters"]} '
               f'iterations on all the downstream data, {seeds}). Steps finished {meta["first_finished"]} to '
               f'{meta["last_finished"]}, '
               f'{recorded}; steps took {meta["step_wall_minutes"]:.0f} min in all; every record is in '
               f'`{meta["records"]}/`, the whole suite in `docs/study/{scaling_file(results, "json")}` (`python '
               f'tools/benchmarks/study.py --suite scaling --size {meta["size"]} --update-readme`, commit '
               f'{commit_phrase(meta["commit"])[len("commit "):]}). {fairness}. RGB reliance: relative increase of '
               f'the held-out masked-depth L1 when the RGB tokens are shuffled across the batch; L1 / copy: against '
               f'copying the nearest visible depth pixel (no visible depth for RGB-only: a dash).')
    return {name: (f'{begin}\n{caption}\n\n{scaling_reading(results)}\n\n{scaling_table(results)}\n\n'
                   f'![Scaling suite: each metric vs pretraining iterations](study/{scaling_file(results, "png")})\n'
                   f'{end}')}


def scaling_readme_summary_sections(results: dict) -> dict:
    """``{marker name: README line}``: one line (markers inline) with the longest recorded length's Mask3D
    reliance and mIoU against scratch; none for another size than the CPU one (its JSON sits beside it)."""
    if results['meta']['size'] != 'default':
        return {}
    begin, end = markers('study-scaling-summary')
    recorded = [length for length in scaling_lengths(results)
                if scaling_value(results, 'mask3d', length, 'mIoU') is not None]
    scratch = scaling_value(results, 'scratch', 0, 'mIoU')
    if recorded:
        length = recorded[-1]
        reliance = scaling_value(results, 'mask3d', length, 'rgb_reliance')
        finding = (f'after {length} pretraining iterations Mask3D fine-tunes to '
                   f'{short_cell(scaling_value(results, "mask3d", length, "mIoU"))} mIoU (scratch '
                   f'{DASH if scratch is None else short_cell(scratch)}), held-out RGB reliance '
                   f'{DASH if reliance is None else f"{reliance[0]:.3f}"}')
    else:
        finding = 'no Mask3D fine-tuning recorded yet'
    status = '' if results['meta']['complete'] else f', unfinished: {len(results["missing"])} steps to run'
    return {'study-scaling-summary': (
        f'{begin}**Scaling suite** (`docs/study/scaling.json`, {" / ".join(map(str, scaling_lengths(results)))} '
        f'pretraining iterations on 240 rooms{status}): {finding}; curves in [docs/study.md](docs/study.md).{end}')}
