"""Dataset import: readers for every supported format, mail/news cleaning, splits and statistics.

Qt-free. ``load_dataset(DataConfig)`` is the one entry point for training; ``preview_table`` feeds the
GUI's column picker (with ``rank_text_columns`` for a multi-select, ``list_sheets`` for workbooks and
``list_class_folders`` for a checkable class list); ``make_splits`` and ``dataset_statistics`` work on the
imported tables.
"""

from .columns import rank_text_columns
from .detect import DATASET_SUFFIXES, FORMATS, detect_dataset_format
from .folders import list_class_folders
from .loader import load_dataset
from .preview import preview_table
from .sheets import list_sheets
from .splits import make_splits
from .stats import dataset_statistics
from .types import Dataset, DatasetStats, ImportReport, Splits, TablePreview, TextTable

__all__ = [
    "DATASET_SUFFIXES",
    "FORMATS",
    "Dataset",
    "DatasetStats",
    "ImportReport",
    "Splits",
    "TablePreview",
    "TextTable",
    "dataset_statistics",
    "detect_dataset_format",
    "list_class_folders",
    "list_sheets",
    "load_dataset",
    "make_splits",
    "preview_table",
    "rank_text_columns",
]
