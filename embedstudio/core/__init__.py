"""The Qt-free core: everything the CLI and the GUI share.

Nothing under ``embedstudio.core`` may import PySide6 or pyqtgraph; heavy libraries
(tensorflow, keras, gensim, fasttext) are imported inside the functions that need them.
"""
