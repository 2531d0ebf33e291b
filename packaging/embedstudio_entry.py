"""The frozen app's entry point: the same `embedstudio` command the console script runs.

PyInstaller needs a script, not a `module:function` entry point; cli.run() calls cli.main(), which calls
multiprocessing.freeze_support() itself, so child processes started by fastText work frozen too.
"""

from embedstudio.cli import run

if __name__ == "__main__":
    run()
