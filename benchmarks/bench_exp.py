"""``np.exp`` against ``np.exp2`` on the score blocks of the attention functions.

``scaled_dot_product_attention`` (without the weights) and
``blockwise_attention`` compute their weights as ``exp2`` of scores in base-2
units, ``2^(s log2 e) = e^s``, instead of ``exp`` of the scores. This script
times the two exponentials alone, in place on float32 arrays of the shapes
those functions exponentiate at ``d = 64``:

- ``1024 x 1024``: one tile of ``blockwise_attention`` with ``block_size=1024``;
- ``1024 x 4096``: one block of query rows of ``scaled_dot_product_attention``
  at ``N = 4,096`` (a 64 x 64 image).

The inputs are scores minus their row maximum (all ``<= 0``), as in the
functions. Each round times ``exp`` and ``exp2`` once each, alternating, so
that other load on the machine hits both alike; it prints the median and the
fastest of the rounds and the ratio ``exp2 / exp`` of the medians (below 1:
``exp2`` is faster). One BLAS thread, as in ``bench_attention.py`` (the
exponentials themselves do not use BLAS). The result depends on the machine,
the CPU's vector instructions and the numpy build.

Run: ``python benchmarks/bench_exp.py`` (a few seconds; ``--rounds R`` for
more rounds than 21). Not part of the test suite: timings depend on the
machine.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

SHAPES = ((1024, 1024), (1024, 4096))
D = 64


def _scores(shape: tuple[int, int]) -> np.ndarray:
    """Scaled scores of random float32 queries and keys, minus each row's maximum."""
    rng = np.random.default_rng(0)
    q = rng.standard_normal((shape[0], D), dtype=np.float32)
    k = rng.standard_normal((shape[1], D), dtype=np.float32)
    s = (q @ k.T) * np.float32(1 / np.sqrt(D))
    return s - s.max(axis=1, keepdims=True)


def measure(shape: tuple[int, int], rounds: int) -> dict:
    """Median and fastest seconds of in-place ``exp`` and ``exp2`` on one array."""
    s = _scores(shape)
    s2 = s * np.float32(np.log2(np.e))  # the same scores in base-2 units
    work = np.empty_like(s)
    times: dict[str, list[float]] = {"exp": [], "exp2": []}
    for _ in range(rounds + 1):  # the first round is a warm-up
        for name, fn, src in (("exp", np.exp, s), ("exp2", np.exp2, s2)):
            np.copyto(work, src)
            start = time.perf_counter()
            fn(work, out=work)
            times[name].append(time.perf_counter() - start)
    result = {}
    for name, t in times.items():
        result[name] = (statistics.median(t[1:]), min(t[1:]))
    # The two give the same weights up to float32 rounding.
    np.testing.assert_allclose(np.exp2(s2), np.exp(s), rtol=1e-5, atol=1e-30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    print(
        f"numpy {np.__version__}, {platform.machine()}, {platform.python_version()}; "
        f"float32, in place, {args.rounds} rounds"
    )
    for shape in SHAPES:
        r = measure(shape, args.rounds)
        cells = "  ".join(
            f"{name} median {1e3 * med:6.2f} ms (fastest {1e3 * best:6.2f})"
            for name, (med, best) in r.items()
        )
        ratio = r["exp2"][0] / r["exp"][0]
        print(f"{shape[0]:5d} x {shape[1]:<5d} {cells}  exp2 / exp {ratio:.2f}")


if __name__ == "__main__":
    main()
