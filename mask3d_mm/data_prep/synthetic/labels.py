"""The raw ScanNet label ids the synthetic world uses, and the ``scannetv2-labels.combined.tsv`` it writes.

Ids, raw categories and nyu40 ids are ScanNet's (raw id = the ScanNet200 id of the category). The other columns
are filled in the spirit of the real file (counts and WordNet keys are indicative only; nothing reads them).
Ceiling (nyu40 22), shelf (nyu40 15 shelves) and lamp (nyu40 35) fall outside the 20 benchmark classes, so the
255 = ignore path is exercised. The nyu40 -> benchmark mapping itself lives in ``scannet_labels`` only.
"""
from ...formats.scannet_labels import nyu40_to_scannet20_lut, raw_to_nyu40_lut

TSV_NAME = 'scannetv2-labels.combined.tsv'
TSV_COLUMNS = ('id', 'raw_category', 'category', 'count', 'nyu40id', 'eigen13id', 'nyuClass', 'nyu40class',
               'eigen13class', 'ModelNet40', 'ModelNet10', 'ShapeNetCore55', 'synsetoffset', 'wnsynsetid',
               'wnsynsetkey', 'mpcat40', 'mpcat40index')

# raw id -> the row's other columns, in TSV_COLUMNS order (without 'id').
LABEL_ROWS = {
    1: ('wall', 'wall', 8277, 1, 12, 'wall', 'wall', 'Wall', '', '', '', '', 'n04546855', 'wall.n.01',
        'wall', 1),
    2: ('chair', 'chair', 4646, 5, 4, 'chair', 'chair', 'Chair', 'chair', 'chair', 'chair', '03001627',
        'n03001627', 'chair.n.01', 'chair', 3),
    3: ('floor', 'floor', 1553, 2, 5, 'floor', 'floor', 'Floor', '', '', '', '', 'n03365592', 'floor.n.01',
        'floor', 2),
    4: ('table', 'table', 1170, 7, 10, 'table', 'table', 'Table', 'table', 'table', 'table', '04379243',
        'n04379243', 'table.n.02', 'table', 5),
    5: ('door', 'door', 1483, 8, 12, 'door', 'door', 'Wall', 'door', '', '', '', 'n03221720', 'door.n.01',
        'door', 4),
    6: ('couch', 'sofa', 410, 6, 9, 'sofa', 'sofa', 'Sofa', 'sofa', 'sofa', 'sofa', '04256520', 'n04256520',
        'sofa.n.01', 'sofa', 10),
    7: ('cabinet', 'cabinet', 731, 3, 6, 'cabinet', 'cabinet', 'Furniture', '', '', 'cabinet', '02933112',
        'n02933112', 'cabinet.n.01', 'cabinet', 7),
    8: ('shelf', 'shelf', 641, 15, 6, 'shelves', 'shelves', 'Furniture', 'bookshelf', '', 'bookshelf',
        '02871439', 'n02871439', 'bookshelf.n.01', 'shelving', 31),
    9: ('desk', 'desk', 680, 14, 10, 'desk', 'desk', 'Table', 'desk', 'desk', 'table', '04379243',
        'n03179701', 'desk.n.01', 'table', 5),
    11: ('bed', 'bed', 370, 4, 1, 'bed', 'bed', 'Bed', 'bed', 'bed', 'bed', '02818832', 'n02818832',
         'bed.n.01', 'bed', 11),
    14: ('sink', 'sink', 488, 34, 7, 'sink', 'sink', 'Objects', 'sink', '', '', '', 'n04223580', 'sink.n.01',
         'sink', 15),
    15: ('picture', 'picture', 862, 11, 8, 'picture', 'picture', 'Picture', '', '', '', '', 'n03931044',
         'picture.n.01', 'picture', 6),
    16: ('window', 'window', 1209, 9, 13, 'window', 'window', 'Window', '', '', '', '', 'n04587648',
         'window.n.01', 'window', 9),
    17: ('toilet', 'toilet', 256, 33, 7, 'toilet', 'toilet', 'Objects', 'toilet', 'toilet', '', '',
         'n04446276', 'toilet.n.01', 'toilet', 18),
    18: ('bookshelf', 'bookshelf', 360, 10, 6, 'bookshelf', 'bookshelf', 'Furniture', 'bookshelf', '',
         'bookshelf', '02871439', 'n02871439', 'bookshelf.n.01', 'shelving', 31),
    21: ('curtain', 'curtain', 347, 16, 13, 'curtain', 'curtain', 'Window', '', '', '', '', 'n03151077',
         'curtain.n.01', 'curtain', 12),
    27: ('refrigerator', 'refrigerator', 154, 24, 6, 'refridgerator', 'refridgerator', 'Furniture', '', '',
         '', '', 'n04070727', 'refrigerator.n.01', 'appliances', 37),
    28: ('lamp', 'lamp', 419, 35, 7, 'lamp', 'lamp', 'Objects', 'lamp', '', 'lamp', '03636649', 'n03636649',
         'lamp.n.02', 'lighting', 28),
    35: ('counter', 'counter', 155, 12, 6, 'counter', 'counter', 'Furniture', 'table', 'table', 'table',
         '04379243', 'n03116530', 'counter.n.01', 'counter', 26),
    41: ('ceiling', 'ceiling', 806, 22, 3, 'ceiling', 'ceiling', 'Ceiling', '', '', '', '', 'n02990373',
         'ceiling.n.01', 'ceiling', 17),
    42: ('bathtub', 'bathtub', 144, 36, 7, 'bathtub', 'bathtub', 'Objects', 'bathtub', 'bathtub', 'bathtub',
         '02808440', 'n02808440', 'bathtub.n.01', 'bathtub', 25),
    56: ('trash can', 'trash can', 1090, 39, 6, 'garbage bin', 'otherfurniture', 'Furniture', 'trash can', '',
         '', '02747177', 'n02747177', 'ashcan.n.01', 'objects', 39),
}
RAW_ID_BY_NAME = {row[0]: raw_id for raw_id, row in LABEL_ROWS.items()}
NYU40_COLUMN = TSV_COLUMNS.index('nyu40id') - 1  # index into a LABEL_ROWS value


def raw_id(raw_category):
    """The raw ScanNet id of a category name used by the synthetic world (KeyError names the known ones)."""
    try:
        return RAW_ID_BY_NAME[raw_category]
    except KeyError:
        raise KeyError(f'{raw_category!r} has no row in the synthetic label table; known: '
                       f'{sorted(RAW_ID_BY_NAME)}') from None


def raw_to_nyu40():
    """{raw id: nyu40 id} of the rows above, the same mapping ``read_label_tsv`` gives for the written file."""
    return {raw: row[NYU40_COLUMN] for raw, row in LABEL_ROWS.items()}


class LabelMapper:
    """Raw-id label images -> nyu40 -> benchmark (0..19 / 255) label images, with ``scannet_labels``' tables."""

    def __init__(self):
        self.raw_to_nyu40_lut = raw_to_nyu40_lut(raw_to_nyu40())  # (65536,) uint8
        self.nyu40_to_scannet20_lut = nyu40_to_scannet20_lut()  # (256,) uint8

    def nyu40(self, label_raw):
        return self.raw_to_nyu40_lut[label_raw]

    def scannet20(self, label_nyu40):
        return self.nyu40_to_scannet20_lut[label_nyu40]


def label_tsv_text():
    """The TSV file's text: the real header and one row per raw id, sorted by id."""
    lines = ['\t'.join(TSV_COLUMNS)]
    for raw, row in sorted(LABEL_ROWS.items()):
        lines.append('\t'.join(str(value) for value in (raw, *row)))
    return '\n'.join(lines) + '\n'
