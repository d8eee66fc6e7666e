"""Speed of ``ca.conv2d`` as a ratio to one matrix product of the same size.

A multi-channel convolution unrolled (im2col) is one matrix product: the
``(H*W) x (K*K*C_in)`` matrix of all windows times the ``(K*K*C_in) x C_out``
kernel matrix. This script times ``conv2d`` on a 256 x 256 x 3 image with 16
output channels (K = 3 and 7, zero padding) and, in the same run, one numpy
matmul of exactly that shape on ready-made arrays, and prints

    ratio = matmul time / conv2d time

(1.0 = as fast as the bare product; the unrolling and padding cost the
rest). Best of several alternating repeats, so other load on the machine
matters less. numpy's BLAS may use several threads; on a busy machine that
makes the bare product erratic, and ``OPENBLAS_NUM_THREADS=1`` (or
``OMP_NUM_THREADS=1``) gives a steadier one-core comparison.

Run: ``python benchmarks/bench_conv.py``
"""

from __future__ import annotations

import numpy as np

import convattn as ca


def best_times(fns, repeats: int = 15) -> list[float]:
    """Fastest of ``repeats`` wall-clock runs of each function, in seconds.

    Timed with :func:`convattn.measure_time`, the functions taking turns (one
    warm-up each, then rounds of three runs), so that a change in the
    machine's load during the run hits all of them alike.
    """
    best = [float("inf")] * len(fns)
    for n in range(max(1, repeats // 3)):
        for i, fn in enumerate(fns):
            timing = ca.measure_time(fn, repeat=3, warmup=1 if n == 0 else 0)
            best[i] = min(best[i], timing.low)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    h = w = 256
    c_in, c_out = 3, 16
    print(f"conv2d on a {h}x{w}x{c_in} image -> {c_out} channels, zero padding")
    print(f"{'dtype':>8} {'K':>3} {'matmul ms':>10} {'conv2d ms':>10} {'ratio':>6}")
    for dtype in (np.float64, np.float32):
        image = rng.random((h, w, c_in)).astype(dtype)
        for k in (3, 7):
            kernel = rng.normal(size=(k, k, c_in, c_out)).astype(dtype)
            cols = rng.random((h * w, k * k * c_in)).astype(dtype)
            weights = kernel.reshape(k * k * c_in, c_out)
            t_mm, t_conv = best_times(
                [
                    lambda cols=cols, weights=weights: cols @ weights,
                    lambda image=image, kernel=kernel: ca.conv2d(image, kernel),
                ]
            )
            name = np.dtype(dtype).name
            print(
                f"{name:>8} {k:>3} {t_mm * 1e3:>10.2f} {t_conv * 1e3:>10.2f} "
                f"{t_mm / t_conv:>6.2f}"
            )


if __name__ == "__main__":
    main()
