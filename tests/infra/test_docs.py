"""The documentation holds together: every relative link and ``#anchor`` resolves (GitHub's heading slugs), no page
speaks of machine paths, uncommitted-commit ids or issue numbers, and the README's model zoo lists exactly the real
configs. Text only (no tool runs), so the whole file takes well under a second."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r'^[ \t]*```.*?^[ \t]*```[ \t]*$', re.S | re.M)
INLINE_CODE = re.compile(r'`[^`\n]*`')
LINK = re.compile(r'!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)')  # [text](target), also images and [`code`](x)
HEADING = re.compile(r'^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$', re.M)
README_MAX_LINES = 180
ZOO_FOLDERS = ('configs/mask3d', 'configs/pri3d', 'configs/finetune')

# What a page must not say: paths of one machine, commit ids of a working tree, references to issue threads and
# phrases about how the project was worked on rather than what it does.
FORBIDDEN = {
    'machine path': re.compile(r'/work/|\.\./shared|/tmp/|/root/'),
    'uncommitted commit id': re.compile(r'\b[0-9a-f]{7,40}-dirty\b'),
    'issue reference': re.compile(r'\bthe issue\b|\bissues? #\d*|(?<![\w&/#])#\d+\b', re.I),
    'workflow phrase': re.compile(r'study training jobs loaded|the first budget|this session|the team', re.I),
}


def doc_pages():
    """Every Markdown page of the repository's documentation."""
    pages = [REPO / 'README.md', REPO / 'CONTRIBUTING.md', REPO / 'data' / 'README.md']
    return pages + sorted((REPO / 'docs').glob('*.md')) + sorted((REPO / 'configs').glob('**/README.md'))


def prose(markdown):
    """The text a reader sees as prose: fenced blocks and inline code removed (a ``# comment`` in a bash block is
    no heading, a ``[x](y)`` inside code no link)."""
    return INLINE_CODE.sub('', FENCE.sub('', markdown))


def github_slug(heading):
    """GitHub's anchor for a heading: inline markup reduced to its text, lower case, punctuation dropped (word
    characters, hyphens and spaces stay), each space a hyphen."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading).replace('`', '')
    return re.sub(r'[^\w\- ]', '', text.strip().lower()).replace(' ', '-')


def anchors(markdown):
    """Every anchor of a page, with GitHub's ``-1``, ``-2`` suffixes for repeated headings."""
    seen, result = {}, set()
    for _, heading in HEADING.findall(FENCE.sub('', markdown)):
        slug = github_slug(heading)
        result.add(slug if slug not in seen else f'{slug}-{seen[slug]}')
        seen[slug] = seen.get(slug, 0) + 1
    return result


def relative_links(markdown):
    """Link targets that point into the repository (no scheme, not mail)."""
    targets = [target for _, target in LINK.findall(FENCE.sub('', re.sub(r'(?<!\])`[^`\n]*`(?!\])', '', markdown)))]
    return [t for t in targets if not re.match(r'^[a-z][a-z0-9+.-]*:', t)]


def broken_links(page):
    """``'<target>: <what is wrong>'`` for each relative link of ``page`` that does not resolve."""
    problems = []
    for target in relative_links(page.read_text()):
        path, _, anchor = target.partition('#')
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            problems.append(f'{target}: no such file')
        elif anchor and (resolved.suffix != '.md' or anchor not in anchors(resolved.read_text())):
            problems.append(f'{target}: no heading with anchor #{anchor} in {resolved.name}')
    return problems


def test_github_slugs_of_known_headings():
    assert github_slug('Is it learning from RGB?') == 'is-it-learning-from-rgb'
    assert github_slug('ScanNet `.sens` frames') == 'scannet-sens-frames'
    assert github_slug('NYUv2 (labelled set, 795 train / 654 test)') == 'nyuv2-labelled-set-795-train--654-test'
    assert github_slug('ScanNet 2D labels (`scannet_frames_25k`)') == 'scannet-2d-labels-scannet_frames_25k'
    assert github_slug('The demo: `make demo`') == 'the-demo-make-demo'
    assert anchors('# Usage\n```bash\n# not a heading\n```\n## Usage\n### Notes #\n') == {'usage', 'usage-1', 'notes'}


def test_link_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'other.md').write_text('# Title\n\n## A section\n')
    page = tmp_path / 'page.md'
    page.write_text('[ok](docs/other.md#a-section) [self](#here) [dir](docs) [web](https://example.org/x) '
                    '`[code](nope.md)` [`code link`](docs/other.md)\n'
                    '[gone](missing.md) [bad anchor](docs/other.md#b-section) ![img](docs/x.png)\n\n## Here\n')
    assert broken_links(page) == ['missing.md: no such file',
                                  'docs/other.md#b-section: no heading with anchor #b-section in other.md',
                                  'docs/x.png: no such file']


@pytest.mark.parametrize('page', doc_pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(page):
    problems = broken_links(page)
    assert not problems, f'{page.relative_to(REPO)}:\n' + '\n'.join(problems)


def config_files():
    """Every config and metafile: their comments are read as documentation too."""
    folder = REPO / 'configs'
    return sorted(folder.glob('**/*.py')) + sorted(folder.glob('**/*.yml'))


def test_no_page_holds_machine_paths_dirty_commits_or_issue_references():
    found = []
    for page in doc_pages() + config_files():
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for kind, pattern in FORBIDDEN.items():
                match = pattern.search(line)
                if match:
                    found.append(f'{page.relative_to(REPO)}:{number}: {kind} {match.group(0)!r}')
    assert not found, '\n'.join(found)


def test_forbidden_patterns_catch_what_they_name():
    text = 'see the issue; issue #12; fixed in #14; commit `2ced308-dirty`; /work/main; ../shared/wheelhouse'
    kinds = {kind for kind, pattern in FORBIDDEN.items() if pattern.search(text)}
    assert kinds == {'machine path', 'uncommitted commit id', 'issue reference'}
    clean = 'see [the demo](#the-demo-make-demo); `&#38;`; commit `2ced308`; data/scannet/pri3d/pairs.txt'
    assert not any(pattern.search(clean) for pattern in FORBIDDEN.values())


def test_readme_is_a_front_page():
    readme = (REPO / 'README.md').read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    for section in ('## Installation', '## Quick start', '## Model zoo', '## Results', '## Citation', '## License'):
        assert section in readme, section
    assert '@inproceedings{hou2023mask3d' in readme and '@inproceedings{hou2021pri3d' in readme
    assert 'Apache License' in (REPO / 'LICENSE').read_text()


# ------------------------------------------------------------------------------------------------ model zoo
def real_configs():
    """The configs a user trains on real data: every top-level config of the zoo's folders but the synthetic ones
    (twins, data-efficient variants and the study's configs live in sub-folders or elsewhere)."""
    return {p.name for folder in ZOO_FOLDERS for p in (REPO / folder).glob('*.py') if 'synthetic' not in p.name}


def zoo_section():
    readme = (REPO / 'README.md').read_text()
    return readme.split('## Model zoo', 1)[1].split('\n## ', 1)[0]


def zoo_rows():
    """The config (first cell) of every table row of the README's model zoo."""
    rows = []
    for line in zoo_section().splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('|') and cells[0] not in ('config', '') and not set(cells[0]) <= set('-: '):
            rows.append(cells[0].strip('`'))
    return rows


def test_model_zoo_lists_every_real_config_once():
    rows = zoo_rows()
    assert len(rows) == len(set(rows)), sorted({r for r in rows if rows.count(r) > 1})
    assert set(rows) == real_configs(), (f'missing from the zoo: {sorted(real_configs() - set(rows))}; '
                                         f'not real configs: {sorted(set(rows) - real_configs())}')


def test_every_config_the_zoo_names_exists():
    existing = {p.name for p in (REPO / 'configs').glob('**/*.py')}
    named = set(re.findall(r'`([\w.+-]+\.py)`', zoo_section()))
    assert named - existing == set()
    assert any('synthetic' in name for name in named)  # the twins are named too


@pytest.mark.parametrize('method', ['mask3d', 'pri3d'])
def test_method_page_lists_every_config_of_its_folder(method):
    page = (REPO / 'configs' / method / 'README.md').read_text()
    listed = set(re.findall(r'`([\w.+-]+\.py)`', page))
    assert {p.name for p in (REPO / 'configs' / method).glob('*.py')} <= listed


@pytest.mark.parametrize('method', ['mask3d', 'pri3d'])
def test_metafile_has_one_entry_per_config_with_the_named_batch(method):
    """OpenMMLab's metafile: every config of the folder once, its path real, its total batch the ``<gpus>xb<batch>``
    of its name (the short alias ``vitb_scannet.py`` is its full-named config)."""
    import yaml
    metafile = yaml.safe_load((REPO / 'configs' / method / 'metafile.yml').read_text())
    models = metafile['Models']
    configs = sorted(p.relative_to(REPO).as_posix() for p in (REPO / 'configs' / method).glob('*.py'))
    assert sorted(m['Config'] for m in models) == configs
    assert metafile['Collections'][0]['README'] == f'configs/{method}/README.md'
    for model in models:
        assert model['In Collection'] == metafile['Collections'][0]['Name']
        named = re.search(r'_(\d+)xb(\d+)', model['Name'])
        if named:
            assert model['Metadata']['Batch Size'] == int(named.group(1)) * int(named.group(2)), model['Name']
