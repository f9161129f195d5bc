"""Figures for the series (matplotlib).

Every function builds and returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``: notebooks end their plot cells with ``plt.show()`` themselves, scripts save the
figure. Nothing here computes results that are not also available from the module that owns
them; plots only draw.
"""

from __future__ import annotations

__all__: list[str] = []
