"""The built book (docs/) in headless Chromium: ``python -m pytest -m docs tests/docs``.

Every page loads without a console error, an uncaught exception, a failed request or a request
leaving the machine; every figure is decoded and visible; every math element is typeset by
MathJax without a TeX error and no raw TeX is left in the text; every internal link and anchor
resolves. The checks are first shown to catch each kind of breakage on a small broken page, and
to pass a correct one.
"""

from __future__ import annotations

import html.parser
import shutil
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.docs

NOTEBOOKS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "notebooks")
                   .glob("*.ipynb"))

# One pass over a loaded page, after MathJax has finished.
_SCAN_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const images = [...document.images].map(i => {
    const r = i.getBoundingClientRect(), s = getComputedStyle(i);
    return {src: i.getAttribute('src'), width: i.naturalWidth, complete: i.complete,
            visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                     && s.display !== 'none'};
  });
  const math = [...document.querySelectorAll('.math')];
  const untypeset = math.filter(e => !e.querySelector('mjx-container'))
      .map(e => e.textContent.slice(0, 80));
  const texErrors = [...document.querySelectorAll('mjx-merror')]
      .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  const body = document.body.cloneNode(true);
  body.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  const rawTex = (body.textContent.match(/.{0,30}(\$\$|\\\(|\\\[).{0,30}/g) || []);
  const widgetViews = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const widgetNotes = document.querySelectorAll('.widget-note').length;
  return {images, math: math.length, untypeset, texErrors, rawTex, widgetViews, widgetNotes};
}
"""


def check_page(browser, url: str) -> tuple[list[str], dict]:
    """Load ``url``; return its problems and the scan (counts of images, math, widgets)."""
    context = browser.new_context()
    problems: list[str] = []
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))

    def route(r):
        if r.request.url.startswith(origin) or r.request.url.startswith("data:"):
            r.continue_()
        else:  # the book must work offline: nothing may leave the machine
            problems.append(f"external request: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "assert") else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}")
            if r.url.startswith(origin) else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    try:
        page.goto(url, wait_until="load", timeout=60_000)
        scan = page.evaluate(_SCAN_JS)
        page.wait_for_load_state("networkidle", timeout=30_000)  # fonts MathJax asked for
    finally:
        context.close()
    for img in scan["images"]:
        if not (img["complete"] and img["width"] > 0):
            problems.append(f"figure not decoded: {img['src']}")
        elif not img["visible"]:
            problems.append(f"figure hidden: {img['src']}")
    problems += [f"math not typeset: {t!r}" for t in scan["untypeset"]]
    problems += [f"TeX error: {t!r}" for t in scan["texErrors"]]
    problems += [f"raw TeX in the text: {t!r}" for t in scan["rawTex"]]
    if scan["widgetNotes"] != scan["widgetViews"]:
        problems.append(f"{scan['widgetViews']} stored widget views but "
                        f"{scan['widgetNotes']} notes saying where to use them")
    return problems, scan


class _Anchors(html.parser.HTMLParser):
    """Ids and link targets of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def broken_links(root: Path) -> list[str]:
    """Internal links (``href``) of every page under ``root`` whose file or anchor is missing."""
    pages = {}
    for path in root.rglob("*.html"):
        parser = _Anchors()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken = []
    for path, parser in pages.items():
        for href in parser.links:
            if urlsplit(href).scheme or href.startswith("//"):
                continue  # external (http, https, mailto, javascript): not checked offline
            target, fragment = urldefrag(href)
            target = target.split("?")[0]
            dest = (path.parent / target).resolve() if target else path
            if dest.is_dir():
                dest = dest / "index.html"
            where = f"{path.relative_to(root.resolve())}: {href}"
            if not dest.is_file():
                broken.append(f"{where} (no such file)")
            elif fragment and dest.suffix == ".html" and fragment not in pages[dest].ids:
                broken.append(f"{where} (no anchor #{fragment})")
    return broken


# --------------------------------------------------------------------------- the checks, checked

_BROKEN_PAGE = r"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script defer src="mathjax/tex-chtml-full.js"></script></head><body>
<p>Inline <span class="math">\(\frac{1}\)</span> (an argument short).</p>
<p class="mathjax_ignore">A display $$x^2$$ that MathJax was told to skip.</p>
<img src="missing.png" alt="gone">
<a href="nowhere.html">a page that is not there</a> <a href="#nope">an anchor that is not there</a>
<script>undefinedFunction();</script>
</body></html>"""

_GOOD_PAGE = r"""<!DOCTYPE html><html><head><meta charset="utf-8">
<script defer src="mathjax/tex-chtml-full.js"></script></head><body>
<h1 id="top">Fine</h1><p>Inline <span class="math">\(\rho_{\text{hat}} = \frac{1}{m}\)</span>.</p>
<div class="math">\[ J(W, b) = \frac{1}{m} \sum_i \tfrac12 \| h(x^{(i)}) - y^{(i)} \|^2 \]</div>
<img src="figure.png" alt="a figure"><a href="#top">up</a> <a href="broken.html">next</a>
</body></html>"""


@pytest.fixture(scope="module")
def specimen(site, serve_dir, tmp_path_factory):
    """A folder with a broken page and a correct one, MathJax and a real figure of the book."""
    root = tmp_path_factory.mktemp("specimen")
    shutil.copytree(site / "_static" / "mathjax", root / "mathjax")
    shutil.copy(next((site / "_images").glob("*.png")), root / "figure.png")
    (root / "broken.html").write_text(_BROKEN_PAGE, encoding="utf-8")
    (root / "good.html").write_text(_GOOD_PAGE, encoding="utf-8")
    return root, serve_dir(root)


def test_the_checks_catch_each_kind_of_breakage(chromium, specimen):
    root, base = specimen
    problems, _ = check_page(chromium, f"{base}/broken.html")
    text = "\n".join(problems)
    for expected in ("uncaught exception", "HTTP 404", "figure not decoded: missing.png",
                     "TeX error", "raw TeX in the text: 'A display $$x^2$$"):
        assert expected in text, f"{expected!r} not reported; got:\n{text}"
    assert sorted(broken_links(root)) == [
        "broken.html: #nope (no anchor #nope)", "broken.html: nowhere.html (no such file)"]


def test_the_checks_pass_a_correct_page(chromium, specimen):
    _, base = specimen
    problems, scan = check_page(chromium, f"{base}/good.html")
    assert problems == []
    assert scan["math"] == 2 and len(scan["images"]) == 1


# --------------------------------------------------------------------------- the book


def test_every_page_loads_clean_with_figures_and_math(chromium, served, site):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith("_"))
    assert {f"notebooks/{nb}.html" for nb in NOTEBOOKS} <= set(pages)
    failures, totals = {}, {"images": 0, "math": 0, "widgetViews": 0}
    for rel in pages:
        problems, scan = check_page(chromium, f"{served}/{rel}")
        if problems:
            failures[rel] = problems
        totals["images"] += len(scan["images"])
        totals["math"] += scan["math"]
        totals["widgetViews"] += scan["widgetViews"]
    assert not failures, "\n".join(f"{page}:\n  " + "\n  ".join(p[:10])
                                   for page, p in failures.items())
    # What was checked is the real book, not an empty shell.
    assert totals["images"] >= 20 and totals["math"] >= 100 and totals["widgetViews"] >= 3, totals


def test_internal_links_and_anchors_resolve(site):
    assert broken_links(site) == []
