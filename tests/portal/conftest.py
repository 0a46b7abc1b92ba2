"""Fixtures of the partner portal's tests: the portal served by gunicorn with two workers, and Chromium.

The portal runs in a subprocess on a free loopback port, on a SQLite file
of the test's own. The browser is Debian's Chromium, launched by its path
(never a browser download); without it the browser tests skip, unless
JUST_WORKFLOW_REQUIRE_BROWSER is set (as CI sets it), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "examples" / "portal"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(the portal's base URL, its store's path): gunicorn with two workers on a fresh SQLite file."""
    pytest.importorskip("flask")
    store = tmp_path_factory.mktemp("portal") / "portal.db"
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--no-control-socket",
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(PORTAL),
            "app:create_app()",
        ],
        env={**os.environ, "JW_PORTAL_STORE": str(store)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the portal did not start on {url}") from None
                time.sleep(0.2)
        yield url, store
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright, headless."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("JUST_WORKFLOW_REQUIRE_BROWSER"):
            pytest.fail(
                f"{CHROMIUM} is missing and JUST_WORKFLOW_REQUIRE_BROWSER is set: apt-get install chromium"
            )
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/portal/: the screenshots the browser tests take (not committed)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
