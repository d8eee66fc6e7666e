"""One stopwatch for the book and the benchmarks: warm-up, repeats, median.

A single run of a fast function is mostly noise: the first call pays for
allocations, caches and BLAS threads, and other work on the machine slows
some runs down. :func:`measure_time` therefore calls the function ``warmup``
times without timing it, then ``repeat`` times with
``time.perf_counter``, and reports the median with the fastest and the
slowest run as its spread. :func:`numpy_blas` names what numpy's matrix
products run on, which both the times and the last bits depend on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import as_positive_int

__all__ = ["Timing", "measure_time", "numpy_blas"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated calls, in seconds, from :func:`measure_time`.

    ``median`` is the median run, ``low`` and ``high`` the fastest and the
    slowest, ``times`` every timed run in order. Printed, it gives the
    median and the range rounded to two significant digits.
    """

    median: float
    low: float
    high: float
    times: tuple[float, ...]

    def __str__(self) -> str:
        return (
            f"{_human(self.median)} (median of {len(self.times)}; "
            f"{_human(self.low)} to {_human(self.high)})"
        )


def _human(seconds: float) -> str:
    """Two significant digits in s, ms or µs: ``0.0123`` -> ``"12 ms"``."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor or unit == "µs":
            return f"{float(f'{seconds / factor:.2g}'):g} {unit}"
    raise AssertionError("unreachable")


def measure_time(
    fn: Callable[..., object], *args: object, repeat: int = 7, warmup: int = 1, **kwargs
) -> Timing:
    """Time ``fn(*args, **kwargs)``: ``warmup`` untimed calls, then ``repeat`` timed.

    Parameters
    ----------
    fn : callable
        The function to time; its result is discarded.
    *args, **kwargs
        Passed to ``fn`` on every call.
    repeat : int
        Timed calls, ``>= 1``.
    warmup : int
        Untimed calls first, ``>= 0``.

    Returns
    -------
    Timing
        ``median``, ``low``, ``high`` (seconds) and every run in ``times``.

    Examples
    --------
    >>> timing = measure_time(sum, range(1000), repeat=5)
    >>> len(timing.times), timing.low <= timing.median <= timing.high
    (5, True)
    >>> str(Timing(median=0.0123, low=0.0118, high=0.0151, times=(0.0123,)))
    '12 ms (median of 1; 12 ms to 15 ms)'
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__} {fn!r:.40}")
    repeat = as_positive_int(repeat, "repeat")
    warmup = as_positive_int(warmup, "warmup", minimum=0)
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return Timing(
        median=float(np.median(times)),
        low=min(times),
        high=max(times),
        times=tuple(times),
    )


def numpy_blas() -> str:
    """The BLAS library under numpy's matrix products, its version and the
    kernel it picked for this processor, e.g. ``"openblas 0.3.31.188.0,
    kernel Haswell"``.

    Kernels do the arithmetic in different orders, so the last bits of a
    product, and so a long training run, can differ between processors
    (chapter 9). Only numpy's own library is named: scipy, which
    scikit-learn imports, loads another.

    >>> numpy_blas().count("kernel")
    1
    """
    from threadpoolctl import threadpool_info

    found = [
        f"{i['internal_api']} {i['version']}, kernel {i.get('architecture', 'not named')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas" and "numpy" in str(i.get("filepath"))
    ]
    return "; ".join(found) or "a BLAS that threadpoolctl does not name"
