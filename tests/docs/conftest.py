"""Fixtures for the book's tests (tests/docs, ``pytest -m docs tests/docs``).

``site`` is the built book: the folder named by ``UFLDL_DOCS_HTML`` (CI builds it once with
``-W`` and points here), otherwise a fresh ``python -m sphinx -W -b html docs`` into a temporary
folder. ``served`` serves it on a loopback port. ``chromium`` is Debian's Chromium driven by
Playwright, as in tests/browser (never ``playwright install``).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("UFLDL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-quic")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "docs: the built book in headless Chromium (tests/docs; needs the docs extra, "
                   "/usr/bin/chromium and playwright)")


def _missing_or_fail(what: str) -> None:
    """Skip, or fail when CI demands these tests (``UFLDL_REQUIRE_BROWSER=1``)."""
    reason = f"the docs tests need {what}"
    if os.environ.get("UFLDL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"UFLDL_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Folder of the built HTML book."""
    given = os.environ.get("UFLDL_DOCS_HTML")
    if given:
        path = Path(given)
        if not (path / "index.html").is_file():
            pytest.fail(f"UFLDL_DOCS_HTML={given} holds no index.html", pytrace=False)
        return path
    if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_nb") is None:
        _missing_or_fail('the docs extra (python -m pip install -e ".[docs]")')
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
                             str(REPO_ROOT / "docs"), str(out)],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    if result.returncode:
        pytest.fail(f"sphinx failed:\n{result.stderr[-3000:]}", pytrace=False)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the test reports failed requests itself
        pass


def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 in a thread; return (base URL, server)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@pytest.fixture(scope="session")
def serve_dir():
    """``serve_dir(root)`` serves a folder on a loopback port and returns its base URL."""
    servers = []

    def start(root: Path) -> str:
        base, server = serve(root)
        servers.append(server)
        return base

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def served(site, serve_dir) -> str:
    """Base URL of the book."""
    return serve_dir(site)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """A headless Chromium browser (Playwright); closed at the end."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing_or_fail(f"Chromium at {CHROMIUM} (bash .ci/install_browser.sh)")
    if importlib.util.find_spec("playwright") is None:
        _missing_or_fail("playwright (bash .ci/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()
