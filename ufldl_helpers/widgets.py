"""Interactive controls for the notebooks (ipywidgets).

This is the only module that touches ipywidgets, and it imports it lazily inside each function,
so the rest of the package works in a plain Python shell and in CI. Every widget is a thin
wrapper: the function it calls is a plain, tested function elsewhere in the package, and each
notebook cell that shows a widget also draws a static figure so the cell has output without a
front end.
"""

from __future__ import annotations

__all__: list[str] = []
