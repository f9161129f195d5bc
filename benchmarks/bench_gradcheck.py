"""Benchmark: gradient checks at UFLDL size (3289 parameters) against scipy.optimize.check_grad.

Run from the repository root::

    PYTHONPATH=$PWD /work/venv/bin/python benchmarks/bench_gradcheck.py            # everything
    PYTHONPATH=$PWD /work/venv/bin/python benchmarks/bench_gradcheck.py --examples 10

For each cost function and number of examples m, in one process, it times

* ``check_gradient`` (full central differences, every coordinate, cost alone in the loop),
* ``check_gradient(indices=100)`` (a seeded sample of coordinates),
* ``directional_check`` (5 random directions),
* ``check_gradient(method="complex")`` when the cost accepts complex input,
* ``scipy.optimize.check_grad`` (the named peer: forward differences, eps = 1.49e-8),
* the old default's work: two probe calls and UFLDL's plain central-difference loop
  (``numerical_gradient``), against which the default ``check_gradient`` (which re-estimates
  by Richardson extrapolation only the coordinates that decide a failing check) must stay
  within 1.3x on a correct gradient (issue 11),
* a small tanh network whose plain central difference misses 1e-9: the cost when the
  refinement runs, against the old default with and without its doctor's rerun,

and prints wall time, the achieved relative error ``norm(n - g) / norm(n + g)`` and the time
ratio against scipy. Costs: the UFLDL sparse autoencoder (``ufldl_helpers.sparse_autoencoder``,
if present) and ``mlp_cost_and_grad`` as a 64-25-64 sigmoid autoencoder (3289 parameters).

Thread pools: BLAS is limited to one thread (threadpoolctl) and OMP_WAIT_POLICY=PASSIVE, so
spinning idle threads on the shared 2-core machine do not distort the figures (see
notes/performance.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import argparse
import importlib.util
import time

import numpy as np
import scipy.optimize
from threadpoolctl import threadpool_limits

from ufldl_helpers.gradcheck import check_gradient, directional_check, numerical_gradient
from ufldl_helpers.network import initialize_mlp, mlp_cost, mlp_cost_and_grad

VISIBLE, HIDDEN = 64, 25


def patches(m: int) -> np.ndarray:
    """UFLDL training patches (64, m) in [0.1, 0.9]; random ones if the data module is absent."""
    if importlib.util.find_spec("ufldl_helpers.data") is not None:
        from ufldl_helpers.data import load_natural_images, sample_patches

        return sample_patches(load_natural_images(), 8, m, rng=0)
    return np.random.default_rng(0).uniform(0.1, 0.9, size=(VISIBLE, m))


def problems(m: int):
    """(name, fun, cost_only or None, theta, complex_ok) for each cost at m examples."""
    data = patches(m)
    out = []
    if importlib.util.find_spec("ufldl_helpers.sparse_autoencoder") is not None:
        from ufldl_helpers.sparse_autoencoder import initialize_parameters, sparse_autoencoder_cost

        def sae(t):
            return sparse_autoencoder_cost(t, VISIBLE, HIDDEN, 1e-4, 0.01, 3.0, data)

        out.append(("sparse autoencoder", sae, None, initialize_parameters(HIDDEN, VISIBLE, rng=0),
                    False))
    sizes = (VISIBLE, HIDDEN, VISIBLE)
    kw = {"hidden_activation": "sigmoid", "output": "sigmoid", "loss": "squared_error",
          "lambda_": 1e-4}

    def mlp(t):
        return mlp_cost_and_grad(t, sizes, data, data, **kw)

    def mlp_c(t):
        return mlp_cost(t, sizes, data, data, **kw)

    out.append(("mlp 64-25-64", mlp, mlp_c, initialize_mlp(sizes, rng=0), True))
    return out


def old_default(fun, cost_only, theta):
    """The work of the old default check: two probe calls and the plain central loop."""
    fun(theta.copy())
    fun(theta.copy())
    n = numerical_gradient(fun, theta, cost_only=cost_only)
    return n


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_one(name, fun, cost_only, theta, complex_ok, m, full_large) -> None:
    cost = cost_only if cost_only is not None else (lambda t: fun(t)[0])
    grad = fun(theta)[1]
    print(f"\n{name}, m = {m}, {theta.size} parameters"
          f"{'' if cost_only else ' (no cost-only function: cost+grad in the loop)'}")
    rows = []
    t_sp = None
    if m <= 1000 or full_large:
        t_sp, gap = timed(scipy.optimize.check_grad, cost, lambda t: fun(t)[1], theta)
        # check_grad returns norm(n - g); n ~ g, so norm(n + g) ~ 2 norm(g).
        rows.append(("scipy.optimize.check_grad", t_sp, gap / (2 * np.linalg.norm(grad))))
        t_old, n = timed(old_default, fun, cost_only, theta)
        rows.append(("old default (plain central loop)", t_old,
                     np.linalg.norm(n - grad) / np.linalg.norm(n + grad)))
        t, r = timed(check_gradient, fun, theta, cost_only=cost_only)
        rows.append(("check_gradient, full central", t, r.relative_error))
        print(f"  check_gradient / old default: {t / t_old:.2f}x (plain error "
              f"{r.plain_relative_error:.1e}, {r.n_refined} coordinates refined, "
              f"passed={r.passed})")
        if complex_ok:
            t, r = timed(check_gradient, fun, theta, method="complex", cost_only=cost_only)
            rows.append(("check_gradient, full complex step", t, r.relative_error))
    t, r = timed(check_gradient, fun, theta, cost_only=cost_only, indices=100, rng=0)
    rows.append(("check_gradient, 100 sampled", t, r.relative_error))
    t, r = timed(directional_check, fun, theta, 5, cost_only=cost_only, rng=0)
    rows.append(("directional_check, 5 directions", t, r.relative_error))
    print(f"  {'method':<36}{'wall time':>11}{'rel. error':>12}{'time / scipy':>14}")
    for label, t, err in rows:
        ratio = f"{t / t_sp:13.3f}x" if t_sp else "      (no peer)"
        print(f"  {label:<36}{t:10.3f}s{err:12.1e}{ratio}")


def bench_refinement(repeats: int = 200) -> None:
    """A small correct tanh network whose plain central difference misses 1e-9 (issue 11).

    The old default failed it; its doctor then re-ran the failing blocks at epsilon / 2 to say
    "truncation", i.e. about twice the plain loop. The new default refines only the deciding
    coordinates and passes.
    """
    rng = np.random.default_rng(3)
    sizes = (3, 4, 2)
    X, Y = rng.normal(size=(3, 5)), rng.integers(0, 2, size=5)
    theta = initialize_mlp(sizes, rng=rng) * 8

    def fun(t):
        return mlp_cost_and_grad(t, sizes, X, Y, hidden_activation="tanh")

    def cost(t):
        return mlp_cost(t, sizes, X, Y, hidden_activation="tanh")

    def old_with_doctor():
        old_default(fun, cost, theta)
        numerical_gradient(fun, theta, 0.5e-4, cost_only=cost)

    t_old = min(timed(lambda: [old_default(fun, cost, theta) for _ in range(repeats)])[0]
                for _ in range(3))
    t_doc = min(timed(lambda: [old_with_doctor() for _ in range(repeats)])[0] for _ in range(3))
    t_new, r = min((timed(lambda: [check_gradient(fun, theta, cost_only=cost)
                                   for _ in range(repeats)]) for _ in range(3)),
                   key=lambda x: x[0])
    r = r[-1]
    print(f"\ntanh 3-4-2, weights x8, {theta.size} parameters ({repeats} checks each)")
    print(f"  plain central difference {r.plain_relative_error:.1e} (misses 1e-9); "
          f"check_gradient: {r.relative_error:.1e}, passed={r.passed}, "
          f"{r.n_refined} of {theta.size} coordinates refined")
    print(f"  check_gradient / old default's plain loop:          {t_new / t_old:.2f}x")
    print(f"  check_gradient / old default with its doctor's rerun: {t_new / t_doc:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, nargs="+", default=[10, 10000])
    parser.add_argument("--skip-full-large", action="store_true",
                        help="skip the full checks (minutes) when m > 1000")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        for m in args.examples:
            for problem in problems(m):
                bench_one(*problem, m=m, full_large=not args.skip_full_large)
        bench_refinement()


if __name__ == "__main__":
    main()
