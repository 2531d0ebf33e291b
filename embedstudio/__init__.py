"""EmbedStudio: word-vector text classifiers, offline and point-and-click."""

__version__ = "0.1.0"
