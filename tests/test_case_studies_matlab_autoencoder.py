"""The MATLAB autoencoder post (transposed gradients, wrong matrix, row-vector cost)."""

import numpy as np
import pytest

from ufldl_helpers.case_studies import matlab_autoencoder as ma
from ufldl_helpers.data import load_mnist
from ufldl_helpers.gradcheck import check_gradient, epsilon_sweep
from ufldl_helpers.training import limit_blas_threads

# gcd(8 - 1, 5 - 1) = 1: as in 784 x 200, only the first and last entries are fixed points.
V, H = 8, 5
LAYOUT = ma.layout(V, H)


@pytest.fixture(autouse=True)
def one_blas_thread():
    # Tiny GEMMs: threads only wait on each other on the shared machine.
    with limit_blas_threads(1):
        yield


@pytest.fixture(scope="module")
def reduced():
    rng = np.random.default_rng(1)
    x = rng.random((1, V))
    encoder, decoder = ma.initialize_weights(V, H, rng=2)
    return x, encoder, decoder, LAYOUT.unroll({"encoder": encoder, "decoder": decoder})


@pytest.fixture(scope="module")
def full():
    images, _ = load_mnist(n=5)
    encoder, decoder = ma.initialize_weights(rng=0)
    theta = ma.layout().unroll({"encoder": encoder, "decoder": decoder})
    return images.T, encoder, decoder, theta


def reduced_check(reduced, fixes):
    x, _, _, theta = reduced
    return check_gradient(lambda t: ma.cost_and_grad(t, x, V, H, fixes), theta, blocks=LAYOUT)


def test_transpose_fixed_points_are_first_and_last():
    np.testing.assert_array_equal(ma.transpose_fixed_points((200, 784)), [0, 156799])
    np.testing.assert_array_equal(ma.transpose_fixed_points((784, 200)), [0, 156799])
    for shape in [(5, 8), (3, 3), (4, 7), (6, 11)]:
        G = np.arange(np.prod(shape)).reshape(shape)
        same = np.flatnonzero(G.ravel(order="F") == G.T.ravel(order="F"))
        np.testing.assert_array_equal(ma.transpose_fixed_points(shape), same)
    assert ma.transpose_fixed_points((4, 7)).size > 2  # gcd(3, 6) = 3: more coincidences


def test_posted_epsilon_is_1e_4():
    assert ma.POSTED_EPSILON == pytest.approx(1e-4, rel=1e-12)


def test_posted_decoder_check_agrees_only_at_the_first_entry(full):
    x, encoder, decoder, _ = full
    idx = np.arange(8)
    numerical, analytic = ma.decoder_check(x[:1], encoder, decoder, idx)
    diff = np.abs(numerical - analytic)
    assert diff[0] < 1e-8
    assert np.all(diff[1:] > 1e-3)
    # Same order of magnitude as the post's 0.03 .. 0.1 on both sides.
    assert np.all((numerical > 1e-3) & (numerical < 0.5))
    posted = np.array([line[1:3] for line in ma.POSTED_LINES])
    assert 0.1 < np.median(numerical) / np.median(posted) < 10
    text = ma.format_check_lines(idx, numerical, analytic).splitlines()
    assert text[0].startswith("1: ") and text[0].endswith(": 0.000000")
    # The analytic numbers are right but in the wrong places: check(i) is the true gradient of
    # the entry the transpose maps i to.
    p, q = decoder.shape
    partners = (idx // q) + p * (idx % q)
    numerical_partner, _ = ma.decoder_check(x[:1], encoder, decoder, partners)
    np.testing.assert_allclose(analytic, numerical_partner, rtol=1e-7)


def test_posted_decoder_check_agrees_at_the_last_entry_too(full):
    x, encoder, decoder, _ = full
    numerical, analytic = ma.decoder_check(x[:1], encoder, decoder, [decoder.size - 1])
    assert abs(numerical[0] - analytic[0]) < 1e-8 * max(1.0, abs(numerical[0]))


def test_fix_a_makes_the_posted_decoder_check_agree(full):
    x, encoder, decoder, _ = full
    idx = np.arange(8)
    numerical, analytic = ma.decoder_check(x[:1], encoder, decoder, idx, fixes="A")
    np.testing.assert_allclose(analytic, numerical, rtol=1e-8)


def test_as_posted_the_doctor_names_the_transposed_decoder(reduced):
    report = reduced_check(reduced, "")
    assert not report.passed and report.relative_error > 0.5
    assert "transposed" in report.finding_names
    finding = next(f for f in report.findings if f.name == "transposed")
    assert finding.blocks == ("decoder",)
    # The encoder is wrong in a way that is not a pure transposition (bug B on top of C).
    assert report.block_errors["encoder"] > 0.5


def test_fix_a_alone_leaves_the_encoder_wrong(reduced):
    report = reduced_check(reduced, "A")
    assert report.block_errors["decoder"] < 1e-9
    assert report.block_errors["encoder"] > 0.5
    assert "localized" in report.finding_names
    assert "transposed" not in report.finding_names


def test_fix_b_reveals_that_the_encoder_gradient_is_transposed(reduced):
    report = reduced_check(reduced, "AB")
    assert report.block_errors["decoder"] < 1e-9
    assert report.finding_names == {"transposed"}
    assert report.findings[0].blocks == ("encoder",)


def test_fix_c_without_b_is_still_wrong(reduced):
    report = reduced_check(reduced, "AC")
    assert report.block_errors["encoder"] > 0.5
    assert "transposed" not in report.finding_names


def test_without_fix_a_the_decoder_is_still_transposed(reduced):
    report = reduced_check(reduced, "BC")
    assert report.block_errors["encoder"] < 1e-9
    assert report.finding_names == {"transposed"}
    assert report.findings[0].blocks == ("decoder",)


def test_all_fixes_pass_exhaustively_on_the_reduced_net(reduced):
    report = reduced_check(reduced, "ABC")
    assert report.relative_error < 1e-9
    assert report.findings == []


def test_epsilon_sweep_shows_an_order_one_mismatch_at_every_epsilon(reduced):
    x, _, _, theta = reduced
    epsilons = np.logspace(-8, -1, 8)
    posted = epsilon_sweep(lambda t: ma.cost_and_grad(t, x, V, H), theta, epsilons)
    assert np.all(posted.errors > 0.5)
    assert np.ptp(posted.errors) < 1e-3  # flat: the bug, not the step size
    fixed = epsilon_sweep(lambda t: ma.cost_and_grad(t, x, V, H, "ABC"), theta, epsilons)
    assert fixed.best_error < 1e-9
    # isclose: logspace's 1e-4 may differ from the literal in the last bit (numpy's pow)
    assert fixed.errors[np.flatnonzero(np.isclose(epsilons, 1e-4, rtol=1e-12))[0]] < 1e-8


def test_bug_d_a_batch_makes_the_cost_a_row_vector(reduced):
    x, encoder, decoder, theta = reduced
    batch = np.random.default_rng(5).random((3, V))
    J = ma.cost(batch, encoder, decoder)
    assert isinstance(J, np.ndarray) and J.shape == (1, V)
    assert isinstance(ma.cost(x, encoder, decoder), float)  # one image: a scalar
    assert ma.matlab_sum(np.ones((1, 4))) == 4.0
    np.testing.assert_array_equal(ma.matlab_sum(np.ones((2, 4))), np.full((1, 4), 2.0))
    with pytest.raises(ValueError, match="scalar"):
        check_gradient(lambda t: ma.cost_and_grad(t, batch, V, H, "ABC"), theta, blocks=LAYOUT)
    with pytest.raises(ValueError, match="bug D"):
        ma.decoder_check(batch, encoder, decoder, [0], fixes="ABC")
    assert ma.cost(batch, encoder, decoder, "D") == pytest.approx(float(np.sum(J)), rel=1e-12)
    report = check_gradient(lambda t: ma.cost_and_grad(t, batch, V, H, "ABCD"), theta,
                            blocks=LAYOUT)
    assert report.relative_error < 1e-9


def test_full_net_as_posted_fails_on_sampled_coordinates(full):
    x, _, _, theta = full
    report = check_gradient(lambda t: ma.cost_and_grad(t, x[:1]), theta, blocks=ma.layout(),
                            indices=100, rng=0)
    assert report.relative_error > 0.5
    assert min(report.block_errors.values()) > 0.5


@pytest.mark.parametrize("m, fixes", [(1, "ABC"), (5, "ABCD")])
def test_full_net_fixed_agrees_on_sampled_coordinates(full, m, fixes):
    x, _, _, theta = full
    report = check_gradient(lambda t: ma.cost_and_grad(t, x[:m], fixes=fixes), theta,
                            blocks=ma.layout(), indices=100, rng=0)
    assert report.relative_error < 1e-8
    assert set(report.block_errors) == {"encoder", "decoder"}


def test_gradient_shapes_follow_the_fixes(reduced):
    x, encoder, decoder, _ = reduced
    gE, gD = ma.gradients(x, encoder, decoder)
    assert gE.shape == (H, V) and gD.shape == (V, H)  # both transposed as posted
    gE, gD = ma.gradients(x, encoder, decoder, "ABC")
    assert gE.shape == encoder.shape and gD.shape == decoder.shape


def test_initialization_range():
    encoder, decoder = ma.initialize_weights(rng=0)
    high = 4 * np.sqrt(6 / 984)
    assert encoder.shape == (784, 200) and decoder.shape == (200, 784)
    assert -high <= encoder.min() and encoder.max() <= high
    assert encoder.max() > 0.99 * high


def test_bad_input_is_refused(reduced):
    x, encoder, decoder, _ = reduced
    with pytest.raises(ValueError, match="fixes"):
        ma.gradients(x, encoder, decoder, "E")
    with pytest.raises(ValueError, match="decoder"):
        ma.gradients(x, encoder, decoder.T)
    with pytest.raises(ValueError, match="indices"):
        ma.decoder_check(x, encoder, decoder, [decoder.size])


def test_matlab_fprintf_cycles_the_format_and_stops_at_a_conversion_without_data():
    assert ma.matlab_fprintf("%d: %f\n", 1, 0.5) == "1: 0.500000\n"
    # Five numbers for a two-conversion format: three lines, the last cut after its literal.
    assert ma.matlab_fprintf("%d: %f\n", [1, 2, 3, 4, 5]) == (
        "1: 2.000000\n3: 4.000000\n5: ")
    # %d of a non-integer becomes %e; arrays are flattened column by column.
    assert ma.matlab_fprintf("%d %f|", np.array([[0.25, 1.0]])) == "2.500000e-01 1.000000|"
    assert ma.matlab_fprintf("%d|", np.array([[1, 2], [3, 4]])) == "1|3|2|4|"
    with pytest.raises(ValueError, match="%d and %f"):
        ma.matlab_fprintf("%s", 1)
    with pytest.raises(TypeError, match="fmt"):
        ma.matlab_fprintf(3, 1)


def test_one_image_prints_the_posts_single_line(reduced):
    x, encoder, decoder, _ = reduced
    grad_i, text = ma.posted_check_output(x, encoder, decoder, 3)
    numerical, analytic = ma.decoder_check(x, encoder, decoder, [3])
    assert np.isscalar(grad_i)
    assert text == ma.format_check_lines([3], numerical, analytic) + "\n"


def test_a_batch_raises_nothing_and_spreads_a_row_over_many_lines(reduced):
    # Bug D's real symptom: grad_i is a 1 x V row with one non-zero entry (the perturbed
    # weight's output column), and fprintf prints 1 + V + 1 + V numbers, 4 per line.
    _, encoder, decoder, _ = reduced
    batch = np.random.default_rng(3).random((4, V))
    for i in (0, 7, decoder.size - 1):
        grad_i, text = ma.posted_check_output(batch, encoder, decoder, i)
        assert grad_i.shape == (1, V)
        assert np.flatnonzero(grad_i).tolist() == [i // H]  # column of decoder(:)'s entry i
        assert len(text.splitlines()) == int(np.ceil((2 * V + 2) / 4))
        assert text.startswith(f"{i + 1}: ")
    fixed, text = ma.posted_check_output(batch, encoder, decoder, 0, fixes="D")
    assert np.isscalar(fixed) and text.count("\n") == 1


def test_bug_b_gives_a_ratio_constant_across_pixels_for_each_hidden_unit(reduced):
    x, encoder, decoder, _ = reduced
    ratio = ma.encoder_ratio(x, encoder, decoder, "AC")
    assert ratio.shape == (V, H)
    spread = np.ptp(ratio, axis=0) / np.abs(ratio).mean(axis=0)
    assert np.all(spread < 1e-6)
    assert np.ptp(ratio[0]) > 0.1  # a different constant per hidden unit
    np.testing.assert_allclose(ma.encoder_ratio(x, encoder, decoder, "ABC"), 1, rtol=1e-6)


def test_a_transposed_encoder_gradient_gives_ratios_without_the_column_pattern(reduced):
    # Without fix C the post's check compares encoder(:) with gEncoder(:) entry by entry:
    # only 1 + gcd(V - 1, H - 1) = 2 entries name the same weight, the rest scatter.
    x, encoder, decoder, _ = reduced
    ratio = ma.encoder_ratio(x, encoder, decoder, "AB")
    assert ratio.shape == (V, H)
    flat = ratio.ravel(order="F")
    np.testing.assert_allclose(flat[[0, -1]], 1, rtol=1e-6)
    assert np.sum(np.isclose(flat, 1, rtol=1e-3)) == 2
    spread = np.ptp(ratio, axis=0) / np.abs(ratio).mean(axis=0)
    assert np.all(spread > 0.1)  # no column is constant
