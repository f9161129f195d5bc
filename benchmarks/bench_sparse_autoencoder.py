"""Speed of ufldl_helpers.sparse_autoencoder against a PyTorch autograd twin, in one process.

Run from the repository root (needs the ``bench`` extra, torch)::

    PYTHONPATH=$PWD python benchmarks/bench_sparse_autoencoder.py [--threads 2] [--quick]
        [--load 2]

``--load N`` starts N CPU-bound processes beside the benchmark (a busy laptop) and stops them
at the end.

What it measures (interleaved repeats, medians; the spread is printed so noise is visible):

1. one cost+grad evaluation at UFLDL size (64-25, m=10000) and MNIST size (784-196,
   m=10000), float64 and float32, torch autograd (``--threads`` threads) vs ours with
   training's BLAS thread policy (:func:`ufldl_helpers.training.with_blas_threads`), and ours
   with 1 and with ``--threads`` threads fixed, after asserting both give the same cost and
   gradient;
2. at MNIST size, the fraction of this machine's GEMM throughput that one evaluation reaches:
   time of the evaluation's five GEMMs alone (same shapes, same run) / time of the evaluation;
3. training: UFLDL's default (400 L-BFGS-B iterations on 10000 natural-image patches) and
   100 iterations at MNIST size, ours vs the torch twin behind the same optimizer.

Thread pools: torch's OpenMP threads are told not to spin (``OMP_WAIT_POLICY=PASSIVE``, set
before torch is imported), numpy's BLAS and torch use ``--threads`` threads (default: all
cores) unless a column says otherwise, and scipy's own OpenBLAS gets one thread during
training (:func:`limit_blas_threads`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import scipy.optimize
import torch
from threadpoolctl import threadpool_limits

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.data import load_mnist, load_natural_images, sample_patches
from ufldl_helpers.training import (
    _blas_pools,
    limit_blas_threads,
    train_sparse_autoencoder,
    with_blas_threads,
)

HYPER = {"ufldl": (1e-4, 0.01, 3.0), "mnist": (3e-3, 0.1, 3.0)}  # lambda_, rho, beta
SIZES = {"ufldl": (64, 25), "mnist": (784, 196)}
FULL_MNIST = Path("/work/shared/data/mnist")


class TorchTwin:
    """The same cost written the natural way in PyTorch, gradient by autograd."""

    def __init__(self, data: np.ndarray, visible_size: int, hidden_size: int, lambda_: float,
                 rho: float, beta: float):
        self.x = torch.from_numpy(data)
        self.v, self.h = visible_size, hidden_size
        self.lambda_, self.rho, self.beta = lambda_, rho, beta

    def __call__(self, theta: np.ndarray):
        v, h, m = self.v, self.h, self.x.shape[1]
        t = torch.from_numpy(theta).requires_grad_(True)
        W1, W2 = t[:h * v].view(h, v), t[h * v:2 * h * v].view(v, h)
        b1, b2 = t[2 * h * v:2 * h * v + h], t[2 * h * v + h:]
        a2 = torch.sigmoid(torch.addmm(b1[:, None], W1, self.x))
        a3 = torch.sigmoid(torch.addmm(b2[:, None], W2, a2))
        rho, rho_hat = self.rho, a2.mean(dim=1)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        cost = (0.5 / m * (a3 - self.x).pow(2).sum()
                + 0.5 * self.lambda_ * (W1.pow(2).sum() + W2.pow(2).sum())
                + self.beta * kl.sum())
        (grad,) = torch.autograd.grad(cost, t)
        return cost.item(), grad.numpy()


def ours(data, visible_size, hidden_size, lambda_, rho, beta):
    def fun(theta):
        return sae.sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_, rho, beta,
                                           data)
    return fun


def dataset(name: str, m: int = 10000) -> np.ndarray:
    if name == "ufldl":
        return sample_patches(load_natural_images(), 8, m, rng=0)
    if FULL_MNIST.is_dir():
        return load_mnist(FULL_MNIST, n=m)[0]
    digits = load_mnist()[0]  # the bundled 5000, repeated: speed does not depend on values
    return np.tile(digits, (1, -(-m // digits.shape[1])))[:, :m]


def interleaved(functions: dict, repeats: int) -> dict:
    """Seconds per call of each function, calls interleaved so load changes hit all alike."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return times


def summary(ts) -> str:
    q1, med, q3 = np.percentile(ts, [25, 50, 75])
    return f"{med * 1e3:7.1f} ms (IQR {100 * (q3 - q1) / med:3.0f}%, min {min(ts) * 1e3:.1f})"


def check_same(a, b, dtype, what):
    tol = 1e-10 if dtype == np.float64 else 2e-5
    (ca, ga), (cb, gb) = a, b
    cost_err = abs(ca - cb) / abs(cb)
    grad_err = np.linalg.norm(ga - gb) / np.linalg.norm(gb)
    assert cost_err < tol and grad_err < tol, (what, cost_err, grad_err)
    return max(cost_err, grad_err)


def gemm_only(v, h, m, dtype):
    """The five GEMMs of one evaluation, on the same shapes, outputs preallocated."""
    rng = np.random.default_rng(0)
    x = rng.random((v, m)).astype(dtype)
    W1, W2 = rng.random((h, v)).astype(dtype), rng.random((v, h + 1)).astype(dtype)
    a2, a3 = rng.random((h + 1, m)).astype(dtype), np.empty((v, m), dtype)
    d3, d2 = rng.random((v, m)).astype(dtype), rng.random((h, m)).astype(dtype)
    out_h, out_v = np.empty((h, m), dtype), np.empty((h, v), dtype)
    out_w2 = np.empty((v, h + 1), dtype)

    def run():
        np.matmul(W1, x, out=out_h)
        np.matmul(W2, a2, out=a3)
        np.matmul(d3, a2.T, out=out_w2)
        np.matmul(W2[:, :h].T, d3, out=out_h)
        np.matmul(d2, x.T, out=out_v)
    flops = 2 * m * (h * v + v * (h + 1) + v * (h + 1) + v * h + h * v)
    return run, flops


def fixed_threads(fun, threads):
    _, pools = _blas_pools()

    def run():
        with pools.limit(limits=threads):
            return fun()
    return run


def bench_evaluations(repeats: dict, threads: int, sizes=tuple(SIZES)) -> dict:
    print("\n== one cost+grad evaluation, m = 10000 (median over interleaved repeats) ==")
    print(f"ours: training's thread policy (threads it settled on); torch: {threads} threads")
    print(f"{'size':<14}{'dtype':<9}{'ours (policy)':<36}{'ours, 1 thread':<22}"
          f"{f'ours, {threads} threads':<22}{'torch autograd':<36}{'torch/ours':>10}"
          f"{'max rel. diff':>15}")
    medians = {}
    for name in sizes:
        v, h = SIZES[name]
        data64 = dataset(name)
        for dtype in (np.float64, np.float32):
            data = data64.astype(dtype)
            theta = sae.initialize_parameters(h, v, rng=0, dtype=dtype)
            theta64 = theta.astype(np.float64)
            f_ours = ours(data, v, h, *HYPER[name])
            lambda_, rho, beta = HYPER[name]
            policy = with_blas_threads(sae.objective(data, h, lambda_=lambda_,
                                                     sparsity_param=rho, beta=beta))
            f_torch = TorchTwin(data, v, h, *HYPER[name])
            diff = check_same(f_ours(theta), f_torch(theta), dtype, (name, dtype))
            check_same(policy(theta64), f_torch(theta), dtype, (name, dtype, "policy"))
            fs = {"policy": lambda p=policy, t=theta64: p(t),
                  "1": fixed_threads(lambda f=f_ours, t=theta: f(t), 1),
                  "n": fixed_threads(lambda f=f_ours, t=theta: f(t), threads),
                  "torch": lambda f=f_torch, t=theta: f(t)}
            interleaved(fs, 1)  # warm-up
            ts = interleaved(fs, repeats[name])
            med = {k: statistics.median(t) for k, t in ts.items()}
            medians[(name, np.dtype(dtype).name)] = med
            print(f"{f'{name} {v}-{h}':<14}{np.dtype(dtype).name:<9}"
                  f"{summary(ts['policy']) + f' [{policy.best}]':<36}"
                  f"{med['1'] * 1e3:7.1f} ms{'':<12}{med['n'] * 1e3:7.1f} ms{'':<12}"
                  f"{summary(ts['torch']):<36}{med['torch'] / med['policy']:>9.2f}x"
                  f"{diff:>15.1e}")
    return medians


def bench_roofline(repeats: int) -> None:
    v, h, m = *SIZES["mnist"], 10000
    print(f"\n== GEMM roofline at MNIST size ({v}-{h}, m={m}) ==")
    data64 = dataset("mnist")
    for dtype in (np.float64, np.float32):
        data = data64.astype(dtype)
        theta = sae.initialize_parameters(h, v, rng=0, dtype=dtype)
        f = ours(data, v, h, *HYPER["mnist"])
        gemms, flops = gemm_only(v, h, m, dtype)
        fs = {"eval": lambda f=f, t=theta: f(t), "gemm": gemms}
        interleaved(fs, 1)
        ts = interleaved(fs, repeats)
        t_eval, t_gemm = statistics.median(ts["eval"]), statistics.median(ts["gemm"])
        print(f"{np.dtype(dtype).name}: five GEMMs alone {t_gemm * 1e3:.1f} ms "
              f"({flops / t_gemm / 1e9:.1f} GFLOP/s), one evaluation {t_eval * 1e3:.1f} ms "
              f"({flops / t_eval / 1e9:.1f} GFLOP/s): {t_gemm / t_eval:.2f} of the GEMM "
              "roofline")


def train_with(fun, theta0, dtype, max_iter):
    def f64(theta):
        cost, grad = fun(theta.astype(dtype, copy=False))
        return float(cost), grad.astype(np.float64, copy=False)

    start = time.perf_counter()
    with limit_blas_threads():
        res = scipy.optimize.minimize(f64, theta0, jac=True, method="L-BFGS-B",
                                      options={"maxiter": max_iter})
    return time.perf_counter() - start, res


def bench_training(repeats: int, mnist_torch: bool) -> None:
    print("\n== training with L-BFGS-B (scipy), same optimizer for both ==")
    for name, max_iter in (("ufldl", 400), ("mnist", 100)):
        v, h = SIZES[name]
        data64 = dataset(name)
        for dtype in (np.float64, np.float32):
            data = data64.astype(dtype)
            theta0 = sae.initialize_parameters(h, v, rng=0)
            runs = {"ours": ours(data, v, h, *HYPER[name])}
            if name == "ufldl" or mnist_torch:
                runs["torch"] = TorchTwin(data, v, h, *HYPER[name])
            times = {k: [] for k in runs}
            results = {}
            for _ in range(repeats if name == "ufldl" else 1):
                for k, fun in runs.items():
                    t, results[k] = train_with(fun, theta0, dtype, max_iter)
                    times[k].append(t)
            print(f"{name} {v}-{h} {np.dtype(dtype).name}, {max_iter} iterations:")
            for k, t in times.items():
                res, med = results[k], statistics.median(t)
                print(f"  {k:<6} {med:6.2f} s, {res.nit} iterations, {res.nfev} evaluations "
                      f"({1e3 * med / res.nfev:.1f} ms each), cost {res.fun:.4f}"
                      + ("" if res.status in (0, 1) else f"  STOPPED EARLY: {res.message}"))
            if "torch" in times:
                per_eval = {k: statistics.median(t) / results[k].nfev for k, t in times.items()}
                print(f"  torch/ours per evaluation {per_eval['torch'] / per_eval['ours']:.2f}x"
                      + ("" if results["torch"].nit == results["ours"].nit else
                         " (wall times not comparable: different iteration counts)"))
        if name == "ufldl":  # the library entry point, with its own thread policy
            for dtype in (np.float64, np.float32):
                result = train_sparse_autoencoder(data64.astype(dtype), h, max_iter=max_iter,
                                                      rng=0, progress=False)
                print(f"  train_sparse_autoencoder ({np.dtype(dtype).name}): "
                      f"{result.wall_time:.2f} s, {result.n_iterations} iterations, "
                      f"cost {result.cost_history[-1]:.4f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for numpy's BLAS and torch (default: all cores, "
                             "%(default)s)")
    parser.add_argument("--size", choices=tuple(SIZES), action="append",
                        help="evaluate at this size only (repeatable; default: both)")
    parser.add_argument("--load", type=int, default=0,
                        help="CPU-bound processes to run beside the benchmark (default: none)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, evaluations only")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats at UFLDL size (MNIST size: a fifth; default 40, quick 10)")
    parser.add_argument("--mnist-torch", action="store_true",
                        help="also train the torch twin at MNIST size")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, torch {torch.__version__}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; threads "
          f"{args.threads}; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    repeats = {"ufldl": 10, "mnist": 3} if args.quick else {"ufldl": 40, "mnist": 7}
    if args.repeats is not None:
        repeats = {"ufldl": args.repeats, "mnist": max(3, args.repeats // 5)}
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.load)]
    try:
        if busy:
            time.sleep(2)  # let them take their cores
            print(f"{len(busy)} CPU-bound processes started beside the benchmark")
        with threadpool_limits(args.threads, user_api="blas"):
            bench_evaluations(repeats, args.threads, args.size or tuple(SIZES))
            if not args.quick:
                bench_roofline(repeats["mnist"])
                bench_training(3, args.mnist_torch)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    finally:
        for process in busy:
            process.terminate()
            process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
