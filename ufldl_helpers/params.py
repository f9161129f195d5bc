"""Named parameter blocks unrolled into one flat ``theta`` and rolled back.

Optimizers and gradient checkers want one flat vector ``theta``; people think in weight matrices
``W1, W2`` and bias vectors ``b1, b2``. A :class:`ParamLayout` remembers the names, the shapes and
the order of the blocks, so that any index of ``theta`` can be named (``W1[3, 17]``) and every
report can speak per block.

``order="C"`` (default) unrolls each matrix row by row, as numpy does; ``order="F"`` unrolls
column by column, as MATLAB's ``W(:)`` does, for parity with the UFLDL starter code.

Examples
--------
>>> import numpy as np
>>> layout = ParamLayout.from_shapes({"W1": (2, 3), "b1": (2,)})
>>> theta = layout.unroll({"W1": np.arange(6.0).reshape(2, 3), "b1": np.array([6.0, 7.0])})
>>> theta
array([0., 1., 2., 3., 4., 5., 6., 7.])
>>> layout.block_of(4)
('W1', (1, 1))
>>> layout.roll(theta)["b1"]
array([6., 7.])
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice

__all__ = ["ParamLayout", "as_layout", "roll", "unroll"]

# What the signatures accept; every value is validated at run time with a clear error.
_Shape = int | Sequence[int]
_Shapes = Mapping[str, _Shape] | Sequence[tuple[str, _Shape]]
_Arrays = Mapping[str, ArrayLike] | Sequence[ArrayLike]


def _check_shape(shape: object, name: str) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Iterable):
        raise TypeError(f"shape of block {name!r} must be a tuple of ints, got {shape!r}")
    dims = tuple(shape)
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and int(d) >= 0
               for d in dims):
        raise ValueError(f"shape of block {name!r} must be non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


class ParamLayout:
    """Ordered named blocks of a flat parameter vector.

    Parameters
    ----------
    shapes : mapping or sequence of (name, shape) pairs
        Block names and shapes, in unrolling order, e.g.
        ``{"W1": (25, 64), "W2": (64, 25), "b1": (25,), "b2": (64,)}`` (UFLDL's order).
    order : {"C", "F"}
        How each block is unrolled: ``"C"`` row by row (numpy), ``"F"`` column by column
        (MATLAB's ``W(:)``).

    Attributes
    ----------
    names : tuple of str
    shapes : dict, name -> tuple of int
    slices : dict, name -> slice into theta
    size : int
        Total number of parameters.
    order : str
    """

    def __init__(self, shapes: _Shapes, order: str = "C") -> None:
        self.order = cast(Literal["C", "F"], check_choice(order, "order", ("C", "F")))
        items = list(shapes.items()) if isinstance(shapes, Mapping) else list(shapes)
        if not items:
            raise ValueError("shapes must name at least one block")
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.slices: dict[str, slice] = {}
        start = 0
        for item in items:
            if not (isinstance(item, Sequence) and len(item) == 2 and isinstance(item[0], str)):
                raise TypeError(f"shapes must be a mapping name -> shape or (name, shape) pairs, "
                                f"got the item {item!r}")
            name, shape = item
            if name in self.shapes:
                raise ValueError(f"block name {name!r} appears twice in shapes")
            shape = _check_shape(shape, name)
            self.shapes[name] = shape
            n = int(np.prod(shape, dtype=np.int64))
            self.slices[name] = slice(start, start + n)
            start += n
        self.names: tuple[str, ...] = tuple(self.shapes)
        self.size: int = start
        self._starts = np.array([self.slices[n].start for n in self.names])

    @classmethod
    def from_shapes(cls, shapes: _Shapes, order: str = "C") -> ParamLayout:
        """Build a layout from ``{name: shape}`` (or ``(name, shape)`` pairs) in unrolling order."""
        return cls(shapes, order=order)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, ArrayLike], order: str = "C") -> ParamLayout:
        """Build a layout from ``{name: array}``, taking each array's shape."""
        if not isinstance(arrays, Mapping):
            raise TypeError(f"arrays must be a mapping name -> array, got {type(arrays).__name__}")
        return cls({name: np.shape(a) for name, a in arrays.items()}, order=order)

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ParamLayout) and self.order == other.order
                and list(self.shapes.items()) == list(other.shapes.items()))

    def __hash__(self) -> int:
        return hash((self.order, tuple(self.shapes.items())))

    def __repr__(self) -> str:
        blocks = ", ".join(f"{n!r}: {self.shapes[n]}" for n in self.names)
        return f"ParamLayout({{{blocks}}}, order={self.order!r})"

    def unroll(self, arrays: _Arrays) -> np.ndarray:
        """Concatenate the blocks into one flat ``theta``.

        Parameters
        ----------
        arrays : mapping name -> array, or sequence of arrays in layout order
            Each block must have exactly the layout's shape.

        Returns
        -------
        theta : (size,) ndarray
            float64, or float32 if every block is float32 (complex if any block is complex).
        """
        if isinstance(arrays, Mapping):
            missing = [n for n in self.names if n not in arrays]
            extra = [n for n in arrays if n not in self.shapes]
            if missing or extra:
                raise ValueError(f"arrays must have exactly the blocks {list(self.names)}; "
                                 f"missing {missing}, unexpected {extra}")
            blocks = [arrays[n] for n in self.names]
        elif isinstance(arrays, Sequence):
            if len(arrays) != len(self.names):
                raise ValueError(f"arrays must hold {len(self.names)} blocks "
                                 f"({', '.join(self.names)}), got {len(arrays)}")
            blocks = list(arrays)
        else:
            raise TypeError(f"arrays must be a mapping or a list of arrays, "
                            f"got {type(arrays).__name__}")
        # Complex blocks pass through for complex-step gradient checks.
        checked = [check_array(b, n, shape=self.shapes[n], finite=False,
                               dtype="any" if np.iscomplexobj(b) else "float")
                   for n, b in zip(self.names, blocks, strict=True)]
        dtype = np.result_type(*checked) if checked else np.float64
        theta = np.empty(self.size, dtype=dtype)
        for name, block in zip(self.names, checked, strict=True):
            theta[self.slices[name]] = block.ravel(order=self.order)
        return theta

    def roll(self, theta: ArrayLike) -> dict[str, np.ndarray]:
        """Split ``theta`` into its named blocks.

        Parameters
        ----------
        theta : (size,) ndarray

        Returns
        -------
        dict name -> ndarray
            Views into ``theta`` (writing to a block writes to ``theta``), each with its shape.
        """
        theta = check_array(theta, "theta", shape=(self.size,), finite=False, dtype="any")
        return {n: theta[self.slices[n]].reshape(self.shapes[n], order=self.order)
                for n in self.names}

    def block_of(self, index: int) -> tuple[str, tuple[int, ...]]:
        """Name the parameter at flat ``index``: ``(block name, position within the block)``.

        Negative indices count from the end, as in numpy.
        """
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        index = int(index)
        if not -self.size <= index < self.size:
            raise IndexError(f"index {index} is out of range for {self.size} parameters")
        index %= self.size
        # Skip empty blocks: the block holding index is the last one starting at or before it
        # among non-empty blocks.
        k = int(np.searchsorted(self._starts, index, side="right")) - 1
        while self.slices[self.names[k]].stop <= index:
            k += 1
        name = self.names[k]
        pos = np.unravel_index(index - self.slices[name].start, self.shapes[name],
                               order=self.order)
        return name, tuple(int(p) for p in pos)

    def label(self, index: int) -> str:
        """``block_of`` as text, e.g. ``"W1[3, 17]"`` (``"b1[4]"`` for vectors)."""
        name, pos = self.block_of(index)
        return f"{name}[{', '.join(map(str, pos))}]"


def as_layout(blocks: ParamLayout | _Shapes | None, size: int, order: str = "C") -> ParamLayout:
    """Return a :class:`ParamLayout` for ``blocks`` and check that it covers ``size`` entries.

    ``blocks`` may be a layout, a mapping name -> shape, or ``None`` (one block named
    ``"theta"``).
    """
    if blocks is None:
        return ParamLayout({"theta": (size,)}, order=order)
    layout = blocks if isinstance(blocks, ParamLayout) else ParamLayout(blocks, order=order)
    if layout.size != size:
        raise ValueError(f"blocks describe {layout.size} parameters "
                         f"({', '.join(f'{n}{layout.shapes[n]}' for n in layout.names)}) "
                         f"but theta has {size}")
    return layout


def unroll(arrays: _Arrays, order: str = "C") -> np.ndarray:
    """Concatenate arrays into one flat ``theta``, each unrolled in ``order``.

    Parameters
    ----------
    arrays : mapping name -> array, or sequence of arrays
    order : {"C", "F"}

    Returns
    -------
    theta : (total size,) ndarray
    """
    if isinstance(arrays, Mapping):
        layout = ParamLayout.from_arrays(arrays, order=order)
    elif isinstance(arrays, Sequence):
        layout = ParamLayout([(str(i), np.shape(a)) for i, a in enumerate(arrays)], order=order)
        arrays = list(arrays)
    else:
        raise TypeError(f"arrays must be a mapping or a list of arrays, "
                        f"got {type(arrays).__name__}")
    return layout.unroll(arrays)


def roll(theta: ArrayLike, shapes: Mapping[str, _Shape] | Sequence[_Shape], order: str = "C"
         ) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Split a flat ``theta`` into blocks of the given shapes (inverse of :func:`unroll`).

    Parameters
    ----------
    theta : (total size,) ndarray
    shapes : mapping name -> shape, or sequence of shapes
    order : {"C", "F"}

    Returns
    -------
    dict name -> ndarray if ``shapes`` is a mapping, else a list of arrays (views of ``theta``).
    """
    if isinstance(shapes, Mapping):
        return as_layout(shapes, np.size(theta), order).roll(theta)
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Sequence):
        raise TypeError(f"shapes must be a mapping or a list of shapes, got {shapes!r}")
    layout = as_layout([(str(i), s) for i, s in enumerate(shapes)], np.size(theta), order)
    return list(layout.roll(theta).values())
