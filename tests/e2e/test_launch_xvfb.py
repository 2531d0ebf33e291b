"""The real app on a real X server: starts Xvfb itself, launches ``python -m embedstudio`` with the xcb
platform, waits for its window, takes screenshots, quits it with SIGTERM and checks a clean exit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xvfb

START_TIMEOUT_S = 180  # generous: a cold TensorFlow import on a loaded 2-core box
EXIT_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def xdisplay():
    """A private Xvfb server (1280×800×24); skipped with a reason when Xvfb is absent."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb); this test needs a real X server")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()  # Xvfb writes its display number once it accepts clients
    if not number:
        err = proc.stderr.read().decode(errors="replace")[-2000:]
        proc.kill()
        pytest.fail(f"Xvfb did not start: {err}")
    yield f":{number}"
    proc.terminate()
    proc.wait(30)


def app_env(display: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)  # carries the temporary XDG_* dirs set by tests/conftest.py
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def wait_for(predicate, timeout: float, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the app exited (code {proc.returncode}) while waiting for {what}:\n{err[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"timed out waiting for {what}:\n{err[-3000:]}")
        time.sleep(0.2)


def window_titles(display: str) -> str:
    res = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.stdout


def demo_name() -> str:
    import tomllib

    from embedstudio.resources import demo_config_path

    return tomllib.loads(demo_config_path().read_text(encoding="utf-8"))["name"]


def test_app_starts_shows_window_and_quits_cleanly_on_sigterm(xdisplay, tmp_path):
    if shutil.which("xwininfo") is None:
        pytest.skip("xwininfo (x11-utils) is not installed; it is needed to find the window")
    ready, shot = tmp_path / "ready", tmp_path / "app.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedstudio"],
        cwd=ROOT,
        text=True,
        env=app_env(xdisplay, EMBEDSTUDIO_READY_FILE=str(ready), EMBEDSTUDIO_SCREENSHOT=str(shot)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(ready.exists, START_TIMEOUT_S, proc, "the ready file")
        assert int(ready.read_text().strip()) == proc.pid
        wait_for(lambda: "EmbedStudio" in window_titles(xdisplay), 30, proc, "the window on the X server")
        # The first start opens the demo workspace; the app grabs itself once its loads are done.
        wait_for(lambda: shot.exists() and shot.stat().st_size > 0, START_TIMEOUT_S, proc, "the app's screenshot")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if shutil.which("xwd"):
            root = tmp_path / "root.xwd"
            subprocess.run(
                ["xwd", "-root", "-silent", "-out", str(root)],
                env={**os.environ, "DISPLAY": xdisplay},
                check=True,
                timeout=30,
            )
            assert root.stat().st_size > 1280 * 800  # a full 24-bit frame
        assert f"{demo_name()} — EmbedStudio" in window_titles(xdisplay)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == 0, err[-3000:]
    assert "QThread: Destroyed" not in err
    assert "Fatal Python error" not in err
    prefs = Path(os.environ["XDG_CONFIG_HOME"]) / "embedstudio" / "preferences.json"
    assert prefs.is_file(), "a clean close writes the preferences"


def test_self_test_trains_the_demo_on_a_real_display(xdisplay):
    res = subprocess.run(
        [sys.executable, "-m", "embedstudio", "--self-test"],
        cwd=ROOT,
        env=app_env(xdisplay),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S + 300,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    assert "self-test: passed: run written to" in res.stdout
    assert "QThread: Destroyed" not in res.stderr
