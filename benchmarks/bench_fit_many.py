"""Training many small classifiers: ``ca.fit_many`` in worker processes
against the same runs one after the other.

Chapter 9 trains 135 independent runs for its learning curves (and some 70
more for its grids and exercises). ``ca.fit_many`` shares such runs out
between worker processes; every run is seeded, so the results are the same
either way. This script measures, in one process, the wall-clock time of the
same runs (attention classifiers as in chapter 9, 500 steps each) trained

- one after the other (``processes=1``), and
- by ``fit_many`` with its default number of processes (one per available
  core, at most 2),

after a warm-up that starts the worker pool (starting it costs about a
second per worker: each imports numpy and convattn), and prints the ratio.
It also checks that both give the same accuracies.

Run: ``python benchmarks/bench_fit_many.py`` (about half a minute;
``--runs R`` to change the 12 runs). Not part of the test suite: timings
depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import convattn as ca


def make_runs(n_runs: int, images: np.ndarray, labels: np.ndarray) -> list[dict]:
    train, test = slice(0, 800), slice(1000, 1400)
    return [
        dict(
            model=ca.AttentionClassifier(
                (8, 8),
                10,
                rng=seed,
                d=16,
                num_heads=2,
                mlp_width=32,
                patch_size=2,
                dtype=np.float32,
            ),
            images=images[train],
            labels=labels[train],
            test_images=images[test],
            test_labels=labels[test],
            steps=500,
            lr=0.01,
            rng=seed,
        )
        for seed in range(n_runs)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args()
    images, labels = ca.load_digits()
    ca.fit_many(make_runs(2, images, labels))  # warm-up: starts the worker pool

    start = time.perf_counter()
    serial = ca.fit_many(make_runs(args.runs, images, labels), processes=1)
    one_by_one = time.perf_counter() - start
    start = time.perf_counter()
    parallel = ca.fit_many(make_runs(args.runs, images, labels))
    shared = time.perf_counter() - start

    same = [r[2] for r in serial] == [r[2] for r in parallel]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(f"{args.runs} runs of 500 steps, {cores} cores available")
    print(f"one after the other: {one_by_one:.1f} s")
    print(f"fit_many:            {shared:.1f} s")
    print(f"ratio:               {one_by_one / shared:.2f}")
    print(f"same test accuracies: {same}")


if __name__ == "__main__":
    main()
