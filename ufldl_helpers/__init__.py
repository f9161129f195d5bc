"""Tested helpers for the ufldl-notebooks series.

Import the module you need; each holds one concept::

    from ufldl_helpers import data, gradcheck, sparse_autoencoder

Conventions used everywhere in the package:

* examples are columns: ``X : (n_features, m)``;
* ``theta`` is a flat float array of all parameters;
* costs are averaged over the ``m`` examples, weight decay never touches biases;
* ``rng`` arguments take a :class:`numpy.random.Generator` or an integer seed;
  ``None`` means the fixed seed :data:`DEFAULT_SEED`, so results repeat.
"""

from importlib.metadata import PackageNotFoundError, version

from ufldl_helpers._validation import DEFAULT_SEED

try:  # the one place the version is written is pyproject.toml
    __version__ = version("ufldl-helpers")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["DEFAULT_SEED", "__version__"]
