"""Word vectors: detect, read (with a binary cache), query, convert and train them.

Light to import: gensim and fasttext are imported only inside the functions that need them.
"""

from embedstudio.core.vectors.convert import OUTPUT_FORMATS, convert_vectors
from embedstudio.core.vectors.formats import FORMAT_LABELS, FORMATS, VECTOR_SUFFIXES, PickleRefused, detect_format
from embedstudio.core.vectors.own_vectors import TRAINING_ALGORITHMS, tokenize, train_vectors
from embedstudio.core.vectors.readers import inspect_vectors, load_vectors
from embedstudio.core.vectors.wordvectors import VectorInfo, WordVectors

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "OUTPUT_FORMATS",
    "PickleRefused",
    "TRAINING_ALGORITHMS",
    "VECTOR_SUFFIXES",
    "VectorInfo",
    "WordVectors",
    "convert_vectors",
    "detect_format",
    "inspect_vectors",
    "load_vectors",
    "tokenize",
    "train_vectors",
]
