"""Notebook 07's exercise checks."""

import numpy as np

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.exercises import NOT_ATTEMPTED, NOT_YET
from ufldl_helpers.exercises import features as ex


def W1():
    return np.random.default_rng(0).normal(size=(5, 16))


def test_max_input():
    assert ex.check_max_input(lambda W: W / np.linalg.norm(W, axis=1, keepdims=True), W1()).correct
    assert ex.check_max_input(
        lambda W: W / np.sqrt((W**2).sum(axis=1))[:, None], W1()).correct
    assert "norms" in ex.check_max_input(lambda W: W, W1()).message
    assert "one row per hidden unit" in ex.check_max_input(
        lambda W: (W / np.linalg.norm(W, axis=1, keepdims=True)).T, W1()).message
    assert "opposite sign" in ex.check_max_input(
        lambda W: -W / np.linalg.norm(W, axis=1, keepdims=True), W1()).message
    assert ex.check_max_input(..., W1()).status == NOT_ATTEMPTED


def test_sparsity_prediction():
    assert ex.check_sparsity_prediction("fewer", 20, 2, 25).correct
    assert ex.check_sparsity_prediction("more", 2, 20, 25).correct
    assert ex.check_sparsity_prediction("about the same", 20, 18, 25).correct
    assert ex.check_sparsity_prediction("more", 20, 2, 25).status == NOT_YET
    assert "must be one of" in ex.check_sparsity_prediction("less", 20, 2, 25).message
    assert ex.check_sparsity_prediction(..., 20, 2, 25).status == NOT_ATTEMPTED


def test_reconstruction_error():
    theta = sae.initialize_parameters(3, 6, rng=0)
    X = np.random.default_rng(1).uniform(0.1, 0.9, size=(6, 7))

    def error(theta, X):
        a3 = sae.reconstruct(theta, X)
        return 0.5 * np.sum((a3 - X) ** 2) / X.shape[1]

    assert ex.check_reconstruction_error(error, theta, X).correct
    assert "twice" in ex.check_reconstruction_error(
        lambda t, X: 2 * error(t, X), theta, X).message
    assert "m times" in ex.check_reconstruction_error(
        lambda t, X: X.shape[1] * error(t, X), theta, X).message
    assert "one number" in ex.check_reconstruction_error(
        lambda t, X: np.full(2, error(t, X)), theta, X).message
    assert ex.check_reconstruction_error(..., theta, X).status == NOT_ATTEMPTED


def test_reconstruction_error_averaged_over_pixels_too():
    theta = sae.initialize_parameters(3, 6, rng=0)
    X = np.random.default_rng(1).uniform(0.1, 0.9, size=(6, 7))

    def over_everything(theta, X):
        return 0.5 * np.mean((sae.reconstruct(theta, X) - X) ** 2)

    assert "6 times too small" in ex.check_reconstruction_error(over_everything, theta, X).message
    plain_mean = ex.check_reconstruction_error(
        lambda t, X: np.mean((sae.reconstruct(t, X) - X) ** 2), theta, X)
    assert "averages over the pixels too and has no 1/2" in plain_mean.message


def test_reconstruction_error_equivalent_forms_pass():
    theta = sae.initialize_parameters(3, 6, rng=0)
    X = np.random.default_rng(1).uniform(0.1, 0.9, size=(6, 7))
    forms = [
        lambda t, X: 0.5 * np.mean(np.sum((sae.reconstruct(t, X) - X) ** 2, axis=0)),
        lambda t, X: np.linalg.norm(sae.reconstruct(t, X) - X) ** 2 / (2 * X.shape[1]),
        lambda t, X: float(np.float32(0.5 * np.sum((sae.reconstruct(t, X) - X) ** 2)
                                      / X.shape[1])),  # rounded to float32: 7 digits
        lambda t, X: np.array(0.5 * np.einsum("ij,ij->", sae.reconstruct(t, X) - X,
                                              sae.reconstruct(t, X) - X) / X.shape[1]),
    ]
    for form in forms:
        assert ex.check_reconstruction_error(form, theta, X).correct


def test_max_input_accepts_a_divide_by_zero_guard_and_float32():
    guarded = ex.check_max_input(
        lambda W: W / (np.linalg.norm(W, axis=1, keepdims=True) + 1e-8), W1())
    assert guarded.correct, guarded.message
    single = ex.check_max_input(
        lambda W: (W / np.linalg.norm(W, axis=1, keepdims=True)).astype(np.float32), W1())
    assert single.correct, single.message


def test_max_input_near_miss_never_prints_two_equal_looking_norms():
    feedback = ex.check_max_input(
        lambda W: W / (np.linalg.norm(W, axis=1, keepdims=True) + 1e-3), W1())
    assert feedback.status == NOT_YET and "away from 1" in feedback.message
    assert "guard" in feedback.message
    assert "from 1 to 1" not in feedback.message


def test_sparsity_prediction_says_what_the_counts_count():
    message = ex.check_sparsity_prediction("fewer", 17, 0, 25).message
    assert "17 of 25 filters Gabor-like" in message and "0 at rho = 0.2" in message
    # a localized edge passes all of notebook 07's tests, Gabor-like only the first: the counts
    # are of Gabor-like filters, not of localized edges
    assert "localized edge" not in message
    by_name = ex.check_sparsity_prediction("fewer", n_gabor_like_at_target=17,
                                           n_gabor_like_at_02=0, n_filters=25)
    assert by_name.message == message
