"""Input checks shared by every module.

Each check raises a ``TypeError`` or ``ValueError`` whose message starts with the
argument's name, says what was expected and what arrived. The numerical code
can then assume clean, finite, floating-point arrays.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np


def _describe(x: np.ndarray) -> str:
    return f"an array of shape {x.shape} and dtype {x.dtype}"


def as_float_array(
    x: object,
    name: str,
    ndim: int | Sequence[int] | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as a float64 (or float32) array after checking it.

    Integers and booleans are converted to float64; float32 stays float32 so
    that memory-bound code can keep it. Complex numbers, strings and objects
    are rejected with a ``TypeError``.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise TypeError(
                f"{name} must be an array of numbers; got {x!r:.80}"
            ) from exc
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float64)
    elif not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{name} must hold real numbers (float or int); got dtype {arr.dtype}"
        )
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}; got {_describe(arr)}")
    if finite and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name} must be finite; it contains {bad}")
    return arr


def as_positive_int(x: object, name: str, minimum: int = 1) -> int:
    """Return ``x`` as a Python int ``>= minimum`` (bools are rejected)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(x).__name__} {x!r}")
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {x}")
    return int(x)


def as_positive_float(x: object, name: str) -> float:
    """Return ``x`` as a finite float ``> 0``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(x).__name__} {x!r}")
    value = float(x)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {x}")
    return value


def check_choice(x: object, name: str, choices: Sequence[str]) -> str:
    """Return ``x`` if it is one of ``choices``."""
    if not isinstance(x, str):
        raise TypeError(f"{name} must be a string, one of {list(choices)}; got {x!r}")
    if x not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {x!r}")
    return x


def check_shape(shape: object, name: str = "shape") -> tuple[int, int]:
    """Return ``(H, W)`` from an image shape ``(H, W)`` or ``(H, W, C)``."""
    if (
        not isinstance(shape, Sequence)
        or isinstance(shape, str)
        or len(shape) not in (2, 3)
        or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
            for s in shape
        )
    ):
        raise ValueError(
            f"{name} must be (H, W) or (H, W, C) of positive integers; got {shape!r}"
        )
    return int(shape[0]), int(shape[1])
