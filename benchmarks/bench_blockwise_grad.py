"""Memory and time of the blockwise attention gradients against the forward pass.

At ``N = 32,768`` queries and keys (a 181 x 181 image), ``d = d_v = 64``,
float32, the ``N x N`` weights alone would take 4 GiB, and the textbook
backward pass reads them. ``ca.blockwise_attention_grad`` recomputes every
``block_size x block_size`` tile of weights from each query's stored
log-sum-exp instead (FlashAttention's backward pass). This script measures,
in one process:

- the peak of the memory numpy allocates during the call (``tracemalloc``;
  the inputs exist before the call and are not counted), for the forward
  ``ca.blockwise_attention`` and for the gradients;
- the wall-clock time of each, the median of a few alternating repeats after
  a warm-up, and the ratio gradients / forward.

The gradients do seven tile-sized matrix products where the forward pass does
two (the forward pass again, then ``P^T dO``, ``dO V^T``, ``dS K`` and
``dS^T Q``, plus the recomputed scores), so a ratio near 3.5 is what the
counting predicts.

Run: ``python benchmarks/bench_blockwise_grad.py`` (a few minutes on one core;
``--n 8192`` for a quick look, ``--repeats R`` to change the 3 repeats). Not
part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread, as in bench_attention.py: steadier on a shared machine,
# and both calls are timed alike. Set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import convattn as ca  # noqa: E402

MIB = 2**20


def traced_peak(fn) -> int:
    """Peak bytes allocated (numpy included) while ``fn()`` runs."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def median_times(fns, repeats: int) -> list[float]:
    """Median wall-clock seconds of each function over alternating repeats."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32_768)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n, d, block = args.n, args.d, args.block

    rng = np.random.default_rng(0)
    q, k, v, grad_output = (
        rng.standard_normal((n, d), dtype=np.float32) for _ in range(4)
    )

    def forward():
        return ca.blockwise_attention(q, k, v, block_size=block)

    def backward():
        return ca.blockwise_attention_grad(q, k, v, grad_output, block_size=block)

    # Warm-up on a small slice: BLAS, numpy's ufunc loops, first allocations.
    small = slice(0, min(n, 2 * block))
    ca.blockwise_attention_grad(
        q[small], k[small], v[small], grad_output[small], block_size=block
    )
    dtypes = {a.dtype for a in backward()}
    peaks = [traced_peak(forward), traced_peak(backward)]
    seconds = median_times([forward, backward], args.repeats)

    full = n * n * 4
    print(
        f"N = {n:,}, d = d_v = {d}, float32, block_size = {block}, one BLAS "
        f"thread, median of {args.repeats}"
    )
    print(f"the N x N weights in float32 would take {full / MIB:,.0f} MiB")
    header = f"{'call':>26} {'peak MiB':>9} {'x N x N':>8} {'time s':>8} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    names = ("blockwise_attention", "blockwise_attention_grad")
    for name, peak, sec in zip(names, peaks, seconds, strict=True):
        print(
            f"{name:>26} {peak / MIB:9.1f} {peak / full:8.4f} {sec:8.2f} "
            f"{sec / seconds[0]:6.2f}"
        )
    print(f"gradient dtypes: {sorted(str(t) for t in dtypes)}")
    ok = peaks[1] < 512 * MIB
    print(
        f"extra peak of the gradients {peaks[1] / MIB:.1f} MiB "
        f"(target < 512 MiB: {'met' if ok else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
