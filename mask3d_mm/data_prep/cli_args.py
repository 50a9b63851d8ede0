"""Command-line arguments shared by the offline data tools (tools/data/): argparse types and the options of a
resumable job over scenes, stated once so the tools spell and check them alike."""
import argparse


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text}')
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be a non-negative integer, got {text}')
    return value


def add_scene_job_args(parser: argparse.ArgumentParser, overwrite_help: str) -> None:
    """``--workers`` (scenes processed in parallel, see ``data_prep.parallel``) and ``--overwrite``."""
    parser.add_argument('--workers', type=positive_int, default=1, help='scenes processed in parallel (processes)')
    parser.add_argument('--overwrite', action='store_true', help=overwrite_help)
