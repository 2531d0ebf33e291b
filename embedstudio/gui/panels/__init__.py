"""The five areas of the main window, one QWidget each."""
