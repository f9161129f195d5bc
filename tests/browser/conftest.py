"""Fixtures for the end-to-end tests: a throwaway JupyterLab server driven by headless Chromium.

The ``lab`` fixture starts ``jupyter lab`` on a free loopback port with a random token, serving a
temporary copy of ``notebooks/`` (outputs stripped, so everything checked was produced in the
browser and the repository's files are never rewritten), and opens Debian's Chromium through
Playwright with an explicit ``executable_path`` (a test tool's own browser download does not work
on these machines). ``lab.check(path)`` opens one notebook, runs all cells from the Run menu, waits
for the kernel to go idle, checks errors and widgets, moves every slider, and saves a screenshot
under ``build/browser/``.

Missing Chromium or Playwright skips these tests, unless ``UFLDL_REQUIRE_BROWSER=1`` (set by CI),
which turns the skip into a failure naming what is missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
ARTIFACTS_DIR = Path(os.environ.get("UFLDL_BROWSER_ARTIFACTS", REPO_ROOT / "build" / "browser"))
CHROMIUM = os.environ.get("UFLDL_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps dialling Google's hosts, which this network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Bounded waits, generous because the machine is shared by several people on 2 cores.
SERVER_START_TIMEOUT = 120.0
PAGE_LOAD_TIMEOUT = 120.0
RUN_ALL_TIMEOUT = 300.0
SLIDER_TIMEOUT = 60.0
NO_CHANGE_GRACE = 5.0
POLL = 0.5
MAX_SLIDERS_PER_NOTEBOOK = 6
SCREENSHOT_MAX_HEIGHT = 30000

# User settings for the throwaway server: no news/update toasts over the notebook, and every cell
# attached to the DOM (the default windowing may detach off-screen cells, hiding their outputs).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: end-to-end test in JupyterLab + headless Chromium (needs /usr/bin/chromium and "
        "playwright; skipped without them unless UFLDL_REQUIRE_BROWSER=1)",
    )


def browser_stack_problem() -> str | None:
    """Say what is missing for the browser tests, or None when everything is there."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append(f"the Python package playwright in {sys.executable} "
                       "(python -m pip install playwright; never `playwright install`)")
    if importlib.util.find_spec("jupyterlab") is None:
        missing.append(f"jupyterlab in {sys.executable}")
    if not missing:
        return None
    return "browser tests need " + " and ".join(missing) + "; run .ci/install_browser.sh"


def skip_or_fail(reason: str) -> None:
    """Skip, or fail when CI demands the browser tests (``UFLDL_REQUIRE_BROWSER=1``)."""
    if os.environ.get("UFLDL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"UFLDL_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _strip_outputs(src: Path, dst: Path) -> None:
    """Copy a notebook without outputs or execution counts, on the server's own python3 kernel.

    A kernel name from the author's machine would stop JupyterLab at a "Select Kernel" dialog.
    """
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.setdefault("metadata", {})["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    dst.write_text(json.dumps(nb, indent=1), encoding="utf-8")


class LabServer:
    """A ``jupyter lab`` process serving ``root`` on 127.0.0.1, and its REST API."""

    def __init__(self, root: Path, state_dir: Path):
        self.root = root
        self.token = secrets.token_hex(16)
        self.log_path = state_dir / "jupyter-lab.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        # Isolated Jupyter state: the developer's own settings and workspaces must not leak in.
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
            env[var] = str(state_dir / sub)
            (state_dir / sub).mkdir(parents=True, exist_ok=True)
        for rel, value in LAB_SETTINGS.items():
            path = state_dir / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value), encoding="utf-8")
        self.port = _free_port()
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")  # a file, not a pipe: a full pipe would block it
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, notebook: str) -> str:
        return f"{self.base_url}/doc/tree/{quote(notebook)}?token={self.token}"

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(f"{self.base_url}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def wait_until_up(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                self.api("GET", "status", timeout=5)
                return
            time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer /api/status within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def session_for(self, notebook: str) -> dict | None:
        for session in self.api("GET", "sessions"):
            if session.get("path") == notebook:
                return session
        return None

    def kernel_state(self, notebook: str) -> str | None:
        session = self.session_for(notebook)
        if session is None:
            return None
        return self.api("GET", f"kernels/{session['kernel']['id']}").get("execution_state")

    def shutdown_session(self, notebook: str) -> None:
        session = self.session_for(notebook)
        if session is not None:
            self.api("DELETE", f"sessions/{session['id']}", timeout=30)

    def stop(self) -> None:
        """Shut kernels and server down; escalate to signals if the server does not comply."""
        try:
            if self.proc.poll() is None:
                with contextlib.suppress(OSError, ValueError):
                    for session in self.api("GET", "sessions"):
                        self.api("DELETE", f"sessions/{session['id']}", timeout=30)
                with contextlib.suppress(OSError, ValueError):
                    self.api("POST", "shutdown", timeout=10)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=30)
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=wait)
        finally:
            self._log.close()


# --------------------------------------------------------------------------- the notebook driver

# Text the ipywidgets renderer shows instead of a control when the model or the front end is
# missing, and the plain-text repr a notebook shows when no widget renderer exists at all.
_WIDGET_FAILURE_TEXT = ("Loading widget...", "Error displaying widget")
_WIDGET_REPR = re.compile(r"^[A-Z]\w*\((value|children|description|options|layout|min|max)=|"
                          r"^(interactive|Output)\(")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b",
                        re.MULTILINE)

# One pass over the open notebook's DOM. Top-level outputs are those of a cell, nested ones live
# inside an ipywidgets Output widget.
_SCAN_JS = r"""
() => {
  const panel = document.querySelector('.jp-NotebookPanel');
  if (!panel) return null;
  const cells = [...panel.querySelectorAll('.jp-Notebook-cell')];
  // 1-based, as JupyterLab's status bar counts ("Cell 3/12"), markdown cells included.
  const cellIndex = el => cells.indexOf(el.closest('.jp-Notebook-cell')) + 1;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(e => e.textContent.trim());
  const stderr = [...panel.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => ({cell: cellIndex(e), text: e.textContent}));
  const plain = [...panel.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="text/plain"]')]
      .map(e => ({cell: cellIndex(e), text: e.textContent.trim()}));
  const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')];
  const topLevel = outputs.filter(e => !e.parentElement.closest('.widget-output'));
  const widgetOutputs = topLevel.filter(e => e.querySelector(':scope > .jupyter-widgets'));
  const images = topLevel.filter(e => (e.getAttribute('data-mime-type') || '')
      .startsWith('image/') && e.querySelector('img, svg'));
  const widgetText = topLevel.filter(e => !e.hasAttribute('data-mime-type'))
      .map(e => ({cell: cellIndex(e), text: e.textContent.trim().slice(0, 200)}));
  const widgetErrors = [...panel.querySelectorAll('.jupyter-widgets-error-widget')]
      .map(e => ({cell: cellIndex(e), text: e.textContent.trim().slice(0, 200)}));
  const sliders = [...panel.querySelectorAll('.widget-slider')].map(e => ({
      cell: cellIndex(e),
      label: (e.querySelector('.widget-label') || {}).textContent || '',
      live: !!e.querySelector('.noUi-handle[role="slider"]'),
      value: (e.querySelector('.noUi-handle') || {getAttribute: () => null})
          .getAttribute('aria-valuenow')}));
  const count = sel => panel.querySelectorAll(sel).length;
  const controls = {
      slider: sliders.filter(s => s.live).length,
      dropdown: count('.widget-dropdown select'),
      button: count('.jupyter-widgets button'),
      checkbox: count('.widget-checkbox input'),
      text: count('.widget-text input, .widget-textarea textarea'),
      output: count('.widget-output'),
  };
  return {cells: cells.length, prompts, stderr, plain, widgetOutputs: widgetOutputs.length,
          images: images.length, widgetText, widgetErrors, sliders, controls};
}
"""

# A fingerprint of everything the outputs show, minus the sliders themselves (their readout moves
# whenever the slider does): text, image data, SVG.
_SIGNATURE_JS = r"""
() => {
  const hash = s => {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return s.length + ':' + h;
  };
  const panel = document.querySelector('.jp-NotebookPanel');
  const parts = [];
  for (const out of panel.querySelectorAll('.jp-OutputArea-output')) {
    if (out.querySelector('.jp-OutputArea-output')) continue;
    const clone = out.cloneNode(true);
    clone.querySelectorAll('.widget-slider, input, select').forEach(e => e.remove());
    parts.push(clone.textContent);
    clone.querySelectorAll('img').forEach(i => parts.push(hash(i.getAttribute('src') || '')));
    clone.querySelectorAll('svg').forEach(s => parts.push(hash(s.outerHTML)));
  }
  return hash(parts.join('\u0000'));
}
"""


@dataclasses.dataclass
class SliderMove:
    """What moving one slider by one step did."""

    label: str
    cell: int
    value_before: str | None
    value_after: str | None
    changed_output: bool
    errors: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class NotebookRun:
    """The outcome of running one notebook in the browser."""

    notebook: str
    screenshot: Path
    screenshot_cut: bool = False
    executed_cells: int = 0
    expected_cells: int = 0
    widget_outputs: int = 0
    figures: int = 0
    controls: dict = dataclasses.field(default_factory=dict)
    slider_moves: list[SliderMove] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    stderr: list[str] = dataclasses.field(default_factory=list)  # shown, not failing (warnings)
    seconds: float = 0.0
    phases: dict = dataclasses.field(default_factory=dict)


def _errors(scan: dict) -> list[str]:
    """Tracebacks and widget failures visible anywhere in the notebook."""
    found = []
    for item in scan["stderr"]:
        if _TRACEBACK.search(item["text"]):
            lines = [ln for ln in item["text"].strip().splitlines() if ln.strip()]
            found.append(f"cell {item['cell']}: {lines[-1] if lines else '?'}")
    for item in scan["widgetErrors"]:
        found.append(f"cell {item['cell']}: widget failed to render: {item['text']}")
    for item in scan["widgetText"]:
        if item["text"].startswith(_WIDGET_FAILURE_TEXT):
            found.append(f"cell {item['cell']}: widget not rendered: {item['text']}")
    for item in scan["plain"]:
        if _WIDGET_REPR.match(item["text"]):
            found.append(f"cell {item['cell']}: widget shown as text, no live control: "
                         f"{item['text'][:80]}")
    return found


def _stored_outputs(nb: dict, is_kind) -> int:
    """How many cell outputs of a stored notebook have a MIME type accepted by ``is_kind``."""
    return sum(any(is_kind(mime) for mime in out.get("data", {}))
               for cell in nb.get("cells", []) if cell.get("cell_type") == "code"
               for out in cell.get("outputs", []))


def _code_cells(nb: dict) -> int:
    return sum(cell.get("cell_type") == "code" and "".join(cell.get("source", "")).strip() != ""
               for cell in nb.get("cells", []))


class Lab:
    """Open notebooks of a running :class:`LabServer` in a Playwright browser context."""

    def __init__(self, server: LabServer, context, artifacts: Path):
        self.server = server
        self.context = context
        self.artifacts = artifacts
        self.runs: list[NotebookRun] = []  # every check, passed or not, for report.json

    def add_notebook(self, relpath: str, nb: dict) -> str:
        """Write a notebook (as a dict) into the served folder; return its served path."""
        dst = self.server.root / relpath
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        return relpath

    def check(self, notebook: str, *, stored: dict | None = None) -> NotebookRun:
        """Run ``notebook`` (path under the served root) and raise AssertionError on problems.

        ``stored`` is the notebook as kept in the repository (with outputs): its numbers of widget
        and figure outputs are the least the browser must render as live widgets and images.
        """
        nb = json.loads((self.server.root / notebook).read_text(encoding="utf-8"))
        stored = stored if stored is not None else nb
        name = re.sub(r"[^\w.-]+", "_", notebook.removesuffix(".ipynb"))
        run = NotebookRun(notebook=notebook, screenshot=self.artifacts / f"{name}.png",
                          expected_cells=_code_cells(nb))
        self.runs.append(run)
        start = time.monotonic()
        page = self.context.new_page()
        console_errors: list[str] = []
        page.on("console",
                lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
        phase_start = start

        def phase(name):
            nonlocal phase_start
            now = time.monotonic()
            run.phases[name] = round(now - phase_start, 1)
            phase_start = now

        try:
            self._open(page, notebook)
            phase("open")
            self._run_all(page, notebook, run)
            scan = self._wait_for_widgets(page)
            phase("run all")
            run.widget_outputs = scan["widgetOutputs"]
            run.controls = scan["controls"]
            run.stderr = [f"cell {item['cell']}: {item['text'].strip()[:200]}"
                          for item in scan["stderr"] if not _TRACEBACK.search(item["text"])]
            errors = _errors(scan)
            run.problems += [f"after Run All Cells: {e}" for e in errors]
            run.figures = scan["images"]
            wanted = _stored_outputs(stored, lambda mime: mime == WIDGET_MIME)
            if run.widget_outputs < wanted:
                run.problems.append(f"{run.widget_outputs} widget outputs rendered as live "
                                    f"widgets, the stored notebook has {wanted}")
            wanted = _stored_outputs(stored, lambda mime: mime.startswith("image/"))
            if run.figures < wanted:
                run.problems.append(f"{run.figures} figures rendered, the stored notebook has "
                                    f"{wanted}")
            dead = [s for s in scan["sliders"] if not s["live"]]
            if dead:
                run.problems.append(f"{len(dead)} slider(s) without a draggable handle, e.g. "
                                    f"{dead[0]['label']!r} in cell {dead[0]['cell']}")
            if not errors:
                self._move_sliders(page, notebook, scan, run)
                phase("sliders")
        except Exception as exc:  # a timeout or a driver error is a finding too, with context
            run.problems.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        finally:
            with contextlib.suppress(Exception):
                run.screenshot_cut = self._screenshot(page, run.screenshot)
            phase("screenshot")
            with contextlib.suppress(Exception):
                page.close()
            with contextlib.suppress(OSError, ValueError):
                self.server.shutdown_session(notebook)
            run.seconds = time.monotonic() - start
        if run.problems:
            detail = "\n  ".join(run.problems)
            hint = ("\n  browser console errors: " + " | ".join(console_errors[:5])
                    if console_errors else "")
            raise AssertionError(f"{notebook} in JupyterLab ({run.seconds:.0f} s, screenshot "
                                 f"{run.screenshot}):\n  {detail}{hint}")
        print(f"{notebook}: {run.executed_cells} cells, {run.figures} figures, "
              f"{run.widget_outputs} widget outputs, "
              f"controls {run.controls}, sliders moved {len(run.slider_moves)}, "
              f"phases {run.phases}")
        return run

    # -- steps ----------------------------------------------------------------------------

    def _open(self, page, notebook: str) -> None:
        page.goto(self.server.page_url(notebook), timeout=PAGE_LOAD_TIMEOUT * 1000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-cell",
                               timeout=PAGE_LOAD_TIMEOUT * 1000)
        # The status bar says "| Idle" once the front end holds a started kernel.
        page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle")).first.wait_for(
            timeout=PAGE_LOAD_TIMEOUT * 1000)
        open_sidebar = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if open_sidebar.count():  # an open file browser would only narrow the screenshot
            open_sidebar.first.click()

    def _run_all(self, page, notebook: str, run: NotebookRun) -> None:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
        # Outputs were stripped, so a numbered prompt can only come from this run. Run All stops
        # at the first error, leaving later cells unnumbered: an error also ends the wait.
        deadline = time.monotonic() + RUN_ALL_TIMEOUT
        settled = 0
        while time.monotonic() < deadline:
            scan = page.evaluate(_SCAN_JS)
            busy = any(p == "[*]:" for p in scan["prompts"])
            run.executed_cells = sum(bool(re.fullmatch(r"\[\d+\]:", p)) for p in scan["prompts"])
            finished = run.executed_cells >= run.expected_cells or _errors(scan)
            dialog = page.locator(".jp-Dialog")
            if dialog.count():  # e.g. "Kernel Restarting ... appears to have died"
                text = " ".join(dialog.first.inner_text().split())
                raise RuntimeError(f"a dialog interrupted Run All Cells: {text[:200]}")
            state = self.server.kernel_state(notebook)
            if state in (None, "dead", "restarting", "autorestarting"):
                raise RuntimeError(f"the kernel is {state or 'gone'} after "
                                   f"{run.executed_cells} of {run.expected_cells} code cells")
            idle = not busy and state == "idle"
            settled = settled + 1 if (finished and idle) else 0
            if settled >= 2:
                return
            time.sleep(POLL)
        raise TimeoutError(f"Run All Cells did not finish within {RUN_ALL_TIMEOUT:.0f} s "
                           f"({run.executed_cells} of {run.expected_cells} code cells ran)")

    def _wait_for_widgets(self, page) -> dict:
        """Scan once widget views have left their "Loading widget..." placeholder (bounded)."""
        deadline = time.monotonic() + SLIDER_TIMEOUT
        while True:
            scan = page.evaluate(_SCAN_JS)
            loading = any(w["text"].startswith("Loading widget") for w in scan["widgetText"])
            if not loading or time.monotonic() > deadline:
                return scan
            time.sleep(POLL)

    def _wait_quiet(self, page, notebook: str, before: str) -> bool:
        """Wait until the outputs changed and settled, or stayed put while the kernel idled.

        Settled means the kernel is idle and the fingerprint is the same on consecutive polls. A
        slow callback keeps the kernel busy, so only ``SLIDER_TIMEOUT`` bounds the wait; an
        unchanged notebook is accepted after ``NO_CHANGE_GRACE`` seconds of quiet.
        """
        start = time.monotonic()
        last, stable = None, 0
        while time.monotonic() - start < SLIDER_TIMEOUT:
            sig = page.evaluate(_SIGNATURE_JS)
            idle = self.server.kernel_state(notebook) == "idle"
            stable = stable + 1 if (sig == last and idle) else 0
            last = sig
            if sig != before and stable >= 2:
                return True
            if sig == before and stable >= 4 and time.monotonic() - start > NO_CHANGE_GRACE:
                return False
            time.sleep(POLL)
        return last != before

    def _slider_value(self, slider) -> str:
        """The readout the learner sees; aria-valuenow (1 decimal) when the readout is hidden."""
        return slider.evaluate(
            "e => { const r = e.querySelector('.widget-readout');"
            " const t = r && r.offsetParent !== null ? r.textContent.trim() : '';"
            " return t || e.querySelector('.noUi-handle').getAttribute('aria-valuenow'); }")

    def _press(self, slider, key: str, old: str) -> str:
        """Press ``key`` on the slider's handle; return its value once it moved (bounded)."""
        slider.locator(".noUi-handle").first.press(key)
        deadline = time.monotonic() + 3
        value = self._slider_value(slider)
        while value == old and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self._slider_value(slider)
        return value

    def _move_sliders(self, page, notebook: str, scan: dict, run: NotebookRun) -> None:
        """Move each live slider one step with the keyboard, as a learner can."""
        sliders = page.locator(".jp-NotebookPanel .widget-slider:has(.noUi-handle[role='slider'])")
        live = [s for s in scan["sliders"] if s["live"]]
        errors_before = set(_errors(scan))
        for i in range(min(sliders.count(), len(live), MAX_SLIDERS_PER_NOTEBOOK)):
            slider = sliders.nth(i)
            slider.scroll_into_view_if_needed()
            before_value = self._slider_value(slider)
            before = page.evaluate(_SIGNATURE_JS)
            slider.locator(".noUi-handle").first.focus()
            after_value = self._press(slider, "ArrowRight", before_value)
            if after_value == before_value:  # already at its maximum
                after_value = self._press(slider, "ArrowLeft", before_value)
            moved = after_value != before_value
            changed = self._wait_quiet(page, notebook, before) if moved else False
            new_errors = [e for e in _errors(page.evaluate(_SCAN_JS)) if e not in errors_before]
            move = SliderMove(label=live[i]["label"], cell=live[i]["cell"],
                              value_before=before_value, value_after=after_value,
                              changed_output=changed, errors=new_errors)
            run.slider_moves.append(move)
            errors_before.update(new_errors)
            if not moved:
                run.problems.append(f"slider {move.label!r} in cell {move.cell} did not move "
                                    "with the arrow keys")
            for err in new_errors:
                run.problems.append(f"after moving slider {move.label!r} "
                                    f"({before_value} -> {after_value}): {err}")
        if run.slider_moves and not any(m.changed_output for m in run.slider_moves):
            run.problems.append("moving the sliders changed no figure or text: "
                                + ", ".join(repr(m.label) for m in run.slider_moves))

    def _screenshot(self, page, path: Path) -> bool:
        """One image of the whole notebook: the viewport is stretched to the notebook's height.

        Past ``SCREENSHOT_MAX_HEIGHT`` pixels the image is cut; returns whether it was.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        height = page.evaluate(
            "() => { const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');"
            " if (!s) return 0; s.scrollTop = 0; return s.scrollHeight; }")
        chrome = 160  # menu, toolbar and status bar around the notebook
        width = (page.viewport_size or {"width": 1280})["width"]
        page.set_viewport_size({"width": width,
                                "height": int(min(max(900, height + chrome),
                                                  SCREENSHOT_MAX_HEIGHT))})
        page.wait_for_timeout(500)
        page.screenshot(path=str(path))
        return height + chrome > SCREENSHOT_MAX_HEIGHT

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def browser_stack() -> str:
    """Path of the Chromium executable; skips (or fails under CI) when the stack is missing."""
    problem = browser_stack_problem()
    if problem:
        skip_or_fail(problem)
    return CHROMIUM


@pytest.fixture(scope="session")
def lab_server(browser_stack, tmp_path_factory):
    """A JupyterLab server over a stripped temporary copy of ``notebooks/``."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    (root / "notebooks").mkdir(parents=True)
    if NOTEBOOKS_DIR.is_dir():
        shutil.copytree(NOTEBOOKS_DIR, root / "notebooks", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for nb_path in (root / "notebooks").rglob("*.ipynb"):
            _strip_outputs(nb_path, nb_path)
    if (REPO_ROOT / "data").is_dir():  # notebooks may reach ../data as in the repository
        (root / "data").symlink_to(REPO_ROOT / "data")
    server = LabServer(root, base / "state")
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser_context(browser_stack, tmp_path_factory):
    """A headless Chromium (fresh profile) driven by Playwright; closed at the end."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=browser_stack, headless=True,
            args=list(CHROMIUM_FLAGS), viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def lab(lab_server, browser_context):
    """Driver for notebooks served by :func:`lab_server`.

    Screenshots go to build/browser/, with report.json summarising every run (counts, slider
    moves, problems, seconds per phase) for CI artifacts.
    """
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in [*ARTIFACTS_DIR.glob("*.png"), ARTIFACTS_DIR / "report.json"]:
        stale.unlink(missing_ok=True)  # artifacts describe this run only
    driver = Lab(lab_server, browser_context, ARTIFACTS_DIR)
    yield driver
    report = [dataclasses.asdict(run) for run in driver.runs]
    (ARTIFACTS_DIR / "report.json").write_text(json.dumps(report, indent=1, default=str),
                                               encoding="utf-8")
