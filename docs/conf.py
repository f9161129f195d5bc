"""Sphinx configuration of the ufldl-notebooks book.

Build (offline, nothing is executed: the notebooks' stored outputs are rendered as they are)::

    python -m pip install -e ".[docs]"
    python -m sphinx -b html docs build/docs

The notebooks and the assignments' README are copied from the repository's ``notebooks/`` into
``docs/notebooks/`` (git-ignored) at every build, so the book always shows the notebooks nbval
tests. Math is typeset in the reader's browser by the MathJax copy in
``_static/mathjax`` (``docs/vendor_mathjax.sh`` refreshes it from the npm registry), so the site
needs no network either.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parent
NOTEBOOKS = DOCS.parent / "notebooks"


def _copy_notebooks() -> None:
    """Mirror the series and the assignments' README into docs/notebooks (mtimes kept, so an
    unchanged notebook is not rebuilt)."""
    dest = DOCS / "notebooks"
    shutil.rmtree(dest, ignore_errors=True)
    for src in [*NOTEBOOKS.glob("*.ipynb"), NOTEBOOKS / "assignments" / "README.md"]:
        target = dest / src.relative_to(NOTEBOOKS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


_copy_notebooks()

project = "ufldl-notebooks"
author = "ufldl-notebooks contributors"
copyright = "ufldl-notebooks contributors, MIT licence"
release = importlib.metadata.version("ufldl-helpers")
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

exclude_patterns = ["_build"]
templates_path = ["_templates"]

# --------------------------------------------------------------------------- notebooks (MyST-NB)
nb_execution_mode = "off"  # render the stored outputs; never run a notebook while building
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# Widgets need a live kernel; their saved views become a note (see _static/widget-note.js), and no
# widget JavaScript is fetched from a CDN.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
nb_merge_streams = True

# --------------------------------------------------------------------------- API reference
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc docstrings give types with shapes, e.g. "(n, m) ndarray"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # members are listed by autodoc's :members:
numpydoc_xref_param_type = False  # types are prose ("(n_features, m) ndarray"), not targets

# Every cross-reference must resolve ...
nitpicky = True
# ... except those into other projects: the book is built offline, so there are no intersphinx
# inventories of numpy, scipy or matplotlib to resolve them against. They render as code.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|matplotlib|ipywidgets|IPython|tqdm|threadpoolctl|nbgrader)"
               r"(\..*)?"),
]


# --------------------------------------------------------------------------- HTML
html_theme = "furo"
html_title = f"ufldl-notebooks {release}"
html_static_path = ["_static"]
html_js_files = ["widget-note.js"]
mathjax_path = "mathjax/tex-chtml-full.js"
html_show_sourcelink = False
html_last_updated_fmt = None
