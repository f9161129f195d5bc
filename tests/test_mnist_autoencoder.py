"""The shipped MNIST autoencoder: what it holds, that it is the trained model, and a rerun."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ufldl_helpers import data
from ufldl_helpers import sparse_autoencoder as sae

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "train_mnist_autoencoder.py"


@pytest.fixture(scope="module")
def params():
    return data.load_mnist_autoencoder()


def test_shapes_dtypes_and_setting(params):
    assert params["W1"].shape == (196, 784) and params["W2"].shape == (784, 196)
    assert params["b1"].shape == (196,) and params["b2"].shape == (784,)
    assert all(params[k].dtype == np.float64 for k in ("W1", "b1", "W2", "b2", "theta"))
    d = sae.MNIST_DEFAULTS
    assert (params["lambda_"], params["sparsity_param"], params["beta"]) == (
        d["lambda_"], d["sparsity_param"], d["beta"])
    assert params["max_iter"] == d["max_iter"] == len(params["cost_history"]) - 1
    assert params["seed"] == 0


def test_theta_is_the_packages_layout(params):
    W1, W2, b1, b2 = sae.unpack(params["theta"], 784, 196)
    for name, block in zip(("W1", "W2", "b1", "b2"), (W1, W2, b1, b2), strict=True):
        np.testing.assert_array_equal(block, params[name])


def test_stored_parameters_are_the_trained_model(params):
    # the cost of the stored float32 parameters on the bundled digits is the last cost of the
    # run: rounding theta to float32 changes it by far less than the training gained
    digits, _ = data.load_mnist()
    cost, _ = sae.sparse_autoencoder_cost(params["theta"], 784, 196, params["lambda_"],
                                          params["sparsity_param"], params["beta"], digits)
    history = params["cost_history"]
    assert cost == pytest.approx(history[-1], rel=1e-4)
    assert history[0] > 300 and history[-1] < 13
    # and it is not a fresh initialization: the units are sparse, mean rho_hat near 0.1
    rho_hat = sae.encode(params["theta"], digits).mean(axis=1)
    assert abs(rho_hat.mean() - 0.1) < 0.02


def _train_module():
    spec = importlib.util.spec_from_file_location("train_mnist_autoencoder", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.regenerate
def test_regenerate(params, tmp_path):
    """scripts/train_mnist_autoencoder.py reproduces the shipped parameters (1.5-3 minutes).

    On the machine that made them the rerun is bit-identical. Another BLAS kernel changes the
    last bits of each evaluation, and 400 L-BFGS-B iterations amplify them: measured with
    OpenBLAS's Prescott kernel, the cost differs by 2e-12 (relative) after 100 iterations, 1e-6
    after 200 and 5e-5 at the end (12.07490 against 12.07434), parameters by up to 1.1% of the
    largest, and each unit's W1 row correlates at least 0.9989 with the shipped one. The
    tolerances below are 20x (cost) and 5-10x (parameters, correlation) those differences.
    """
    script = _train_module()
    result = script.train(progress=False)
    script.save(result, tmp_path / "mnist_autoencoder.npz")
    with np.load(tmp_path / "mnist_autoencoder.npz") as fresh:
        regenerated = {k: fresh[k].astype(np.float64) for k in fresh.files}
    np.testing.assert_allclose(regenerated["cost_history"], params["cost_history"], rtol=1e-3)
    for name in ("W1", "b1", "W2", "b2"):
        stored = params[name]
        np.testing.assert_allclose(regenerated[name], stored, rtol=0,
                                   atol=0.1 * np.abs(stored).max(), err_msg=name)
    centred = [w - w.mean(axis=1, keepdims=True) for w in (regenerated["W1"], params["W1"])]
    unit = [c / np.linalg.norm(c, axis=1, keepdims=True) for c in centred]
    correlation = (unit[0] * unit[1]).sum(axis=1)
    assert correlation.min() > 0.99, np.sort(correlation)[:5]
