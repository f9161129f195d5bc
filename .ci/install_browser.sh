#!/usr/bin/env bash
# Install what the browser tests need (tests/browser, `pytest -m browser`): Debian's Chromium
# and the Playwright Python package in the active Python. Idempotent: installs only what is
# missing. Playwright drives /usr/bin/chromium through executable_path; never run
# `playwright install` (a test tool's own browser download fails on these machines).
set -euo pipefail

PYTHON="${PYTHON:-$(command -v python || command -v python3)}"

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

if ! "$PYTHON" -c "import playwright.sync_api" 2>/dev/null; then
    "$PYTHON" -m pip install "playwright>=1.40"
fi

/usr/bin/chromium --version
"$PYTHON" -c "import importlib.metadata as m; print('playwright', m.version('playwright'))"
