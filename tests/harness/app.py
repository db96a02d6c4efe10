"""The Streamlit app as a real server, and a phone-sized headless Chromium to look at it.

    url = start_app(events_dir)                  # project app.py, returns an AppServer (a str URL)
    page = phone_page                            # iPhone 13 viewport, geolocation allowed
    goto_app(page, url)                          # load and wait until the script run finished
    page.get_by_text("...").wait_for()
    shot(page, "home")                           # test-artifacts/screenshots/home.png
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from . import ARTIFACTS, PROJECT_ROOT
from .mediawiki import die_with_parent, kill_group, reserve_port

SCREENSHOTS = ARTIFACTS / "screenshots"
APP_LOGS = ARTIFACTS / "app-logs"

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = "iPhone 13"
# Default position for phone_page: Yaizu city hall (Shizuoka), near the sample event's sites.
DEFAULT_GEOLOCATION = (34.8669, 138.3236)


def safe_name(text: str, limit: int = 120) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:limit] or "x"


class AppServer(str):
    """The base URL (``http://127.0.0.1:PORT``; use it as a str) plus the server's details."""
    port: int
    process: subprocess.Popen
    log_path: Path
    events_dir: Path
    home: Path
    script: Path

    def __new__(cls, url: str, **attrs: Any) -> "AppServer":
        obj = super().__new__(cls, url)
        obj.__dict__.update(attrs)
        return obj

    @property
    def url(self) -> str:
        return str(self)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        kill_group(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_streamlit(script: Path, *, events_dir: Path, home: Path, log_path: Path,
                    env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                    timeout: float = 60.0, port: int | None = None) -> AppServer:
    """Run ``python -m streamlit run SCRIPT`` from the project root and wait for /_stcore/health.
    ``port``: a given port (to restart a server where its phones expect it), else a free one."""
    if port is None:
        port, reservation = reserve_port()
    else:
        reservation = None
    try:
        full_env = dict(os.environ)
        full_env.update({
            "WIKITOWN_EVENTS_DIR": str(events_dir),
            "WIKITOWN_HOME": str(home),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_HEADLESS": "true",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        })
        full_env.update(env or {})
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.serverAddress", "127.0.0.1", "--server.fileWatcherType", "none",
               "--server.runOnSave", "false", *args]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(cmd, cwd=str(PROJECT_ROOT), env=full_env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=die_with_parent)
        url = f"http://127.0.0.1:{port}"
        server = AppServer(url, port=port, process=proc, log_path=log_path, events_dir=events_dir,
                           home=home, script=Path(script))
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log()[-4000:]}")
            try:
                r = requests.get(f"{url}/_stcore/health", timeout=2)
                if r.status_code == 200 and r.text.strip() == "ok":
                    return server
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                kill_group(proc)
                raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{server.log()[-4000:]}")
            time.sleep(0.1)
    finally:
        if reservation is not None:
            reservation.close()


# --------------------------------------------------------------------------------------------
# browser helpers


def phone_device(playwright) -> dict:
    """Playwright's iPhone 13 descriptor without ``default_browser_type`` (we run Chromium)."""
    device = dict(playwright.devices[PHONE])
    device.pop("default_browser_type", None)
    return device


def goto_app(page, url: str, timeout: float = 30_000) -> None:
    """Open a Streamlit URL and wait until it is connected and the script run has finished."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    wait_for_app(page, timeout=timeout)


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait for the Streamlit script run to finish (after load or after an interaction).

    Uses the ``data-test-*`` attributes Streamlit's own end-to-end tests rely on.
    """
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           timeout=timeout, state="attached")
    # A rerun may not have started yet right after a click: give it a moment to flip to running.
    page.wait_for_timeout(100)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout, state="attached")


def shot(page, name: str, tall: bool = False) -> Path:
    """Save a PNG screenshot as test-artifacts/screenshots/NAME.png and return its path.

    Streamlit scrolls inside its own container, so ``full_page`` shows only the viewport; with
    ``tall=True`` the viewport is stretched to the content height for the shot, then restored.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe_name(name)}.png"
    if not tall:
        page.screenshot(path=str(path))
        return path
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.min(12000, Math.max(document.documentElement.scrollHeight,
              ...Array.from(document.querySelectorAll('[data-testid="stMain"], section, main,'
                + ' [data-testid="stAppViewContainer"]')).map(e => e.scrollHeight)))""")
    try:
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
        page.wait_for_timeout(200)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path
