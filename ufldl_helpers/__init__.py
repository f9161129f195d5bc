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

from ufldl_helpers._validation import DEFAULT_SEED

__version__ = "0.1.0"

__all__ = ["DEFAULT_SEED", "__version__"]
