"""Input checks shared by every module.

Each check raises a ``TypeError`` or ``ValueError`` whose message starts with the
argument's name, says what was expected and what arrived. The numerical code
can then assume clean, finite, floating-point arrays.
"""

from __future__ import annotations

import functools
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
    x = as_int(x, name)
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {x}")
    return int(x)


def as_positive_float(x: object, name: str) -> float:
    """Return ``x`` as a finite float ``> 0``."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
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
            isinstance(s, numbers.Integral)
            and not isinstance(s, bool | np.bool_)
            and s > 0
            for s in shape
        )
    ):
        raise ValueError(
            f"{name} must be (H, W) or (H, W, C) of positive integers; got {shape!r}"
        )
    return int(shape[0]), int(shape[1])


def as_int(x: object, name: str) -> int:
    """Return ``x`` as a Python int: any integer, numpy integers included, not a bool."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(x).__name__} {x!r}")
    return int(x)


def as_real(
    x: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``x`` as a finite Python float in ``[low, high]`` (an end is left
    out of the range when ``low_open`` or ``high_open``).

    Python and numpy numbers are accepted alike; bools and strings are not.
    """
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(x).__name__} {x!r}")
    value = float(x)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        want = f"{'(' if low_open or low is None else '['}{lo}, {hi}"
        want += ")" if high_open or high is None else "]"
        raise ValueError(f"{name} must be a finite number in {want}; got {x!r}")
    return value


def as_odd_int(x: object, name: str) -> int:
    """Return ``x`` as an odd int >= 1 (a kernel, patch or window side with a centre)."""
    k = as_positive_int(x, name)
    if k % 2 == 0:
        raise ValueError(f"{name} must be odd so that it has a centre; got {k}")
    return k


def check_flag(x: object, name: str) -> bool:
    """Return ``x`` as a bool; only ``True`` and ``False`` (or numpy's) are flags."""
    if not isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {type(x).__name__} {x!r}")
    return bool(x)


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator``: ``rng`` itself, or one seeded by it.

    The one policy of the package: a seed is an integer ``>= 0`` (numpy
    integers too, bools not), anything else must already be a Generator.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"{name} must be a seed >= 0; got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator or a seed (an int >= 0); "
        f"got {type(rng).__name__} {rng!r:.60}"
    )


def check_index(value: object, name: str, limit: int) -> int:
    """Return ``value`` as an int in ``[0, limit)`` (an integer, not a bool or a float)."""
    i = as_int(value, name)
    if not 0 <= i < limit:
        raise ValueError(f"{name} must be in [0, {limit - 1}]; got {i}")
    return i


def check_pixel(
    query: object, shape: Sequence[int], name: str = "query"
) -> tuple[int, int]:
    """Return ``(row, col)`` of a pixel inside an image of ``shape`` (H, W).

    Both must be integers (numpy integers too, not bools or floats such as 1.5)
    with ``0 <= row < H`` and ``0 <= col < W``.
    """
    if (
        isinstance(query, str)
        or not isinstance(query, Sequence | np.ndarray)
        or len(query) != 2
    ):
        raise TypeError(f"{name} must be a pair (row, col) of integers; got {query!r}")
    row = check_index(query[0], f"{name}[0] (the row)", int(shape[0]))
    col = check_index(query[1], f"{name}[1] (the column)", int(shape[1]))
    return row, col


def check_heads(num_heads: object, **widths: int) -> int:
    """Return ``num_heads`` (an int >= 1) after checking it divides every width."""
    h = as_positive_int(num_heads, "num_heads")
    for name, width in widths.items():
        if width % h:
            raise ValueError(
                f"num_heads must divide the width {name} = {width}; got {h}"
            )
    return h


def check_same_shape(a: object, b: object, name_a: str, name_b: str):
    """Two non-empty float arrays of one shape (``b`` is compared with ``a``)."""
    x = as_float_array(a, name_a)
    y = as_float_array(b, name_b)
    if x.shape != y.shape:
        raise ValueError(
            f"{name_b} must have the shape of {name_a} {x.shape}; got {y.shape}"
        )
    if x.size == 0:
        raise ValueError(f"{name_a} must not be empty; got shape {x.shape}")
    return x, y


def check_image(image: object, name: str = "image") -> np.ndarray:
    """An image ``(H, W)`` or ``(H, W, C)`` with at least one pixel and one channel."""
    img = as_float_array(image, name, ndim=(2, 3))
    if 0 in img.shape:
        raise ValueError(
            f"{name} must have at least one pixel (and one channel); got shape "
            f"{img.shape}"
        )
    return img


def check_qkv(q, k, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check queries ``(Nq, d)``, keys ``(Nk, d)`` and values ``(Nk, d_v)``.

    Shared by every attention function of the package. Returns the three as
    arrays of one common dtype (float32 only when all three are float32).
    """
    q = as_float_array(q, "q", ndim=2)
    k = as_float_array(k, "k", ndim=2)
    v = as_float_array(v, "v", ndim=2)
    if q.shape[1] != k.shape[1]:
        raise ValueError(
            f"q and k must have the same width d; got q {q.shape} and k {k.shape}"
        )
    if q.shape[1] == 0:
        raise ValueError("q must have a width d of at least 1; got 0")
    if k.shape[0] == 0:
        raise ValueError("k must hold at least one key; got 0 rows")
    if v.shape[0] != k.shape[0]:
        raise ValueError(f"v must have one row per key ({k.shape[0]}); got v {v.shape}")
    dtype = np.result_type(q, k, v)
    return (
        q.astype(dtype, copy=False),
        k.astype(dtype, copy=False),
        v.astype(dtype, copy=False),
    )


def check_scores(row_max: np.ndarray, dtype, bias: bool = False) -> None:
    """The one overflow rule of every attention function.

    ``row_max`` is the largest score ``q_i . k_j / sqrt(d) (+ b_ij)`` of each
    query row. When one is not finite, the scores left the range of ``dtype``
    (or a bias masked a whole row), and no softmax of them is defined.
    """
    bad = ~np.isfinite(row_max)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad.ravel())[0])
    top = np.finfo(dtype).max
    plus = " + bias" if bias else ""
    raise ValueError(
        f"q and k give attention scores q k^T / sqrt(d){plus} that are not finite "
        f"in {np.dtype(dtype).name} ({int(bad.sum())} query rows, the first is row "
        f"{first}): divide q and k by a constant so that |q . k| / sqrt(d) stays "
        f"well below {top:.1e}, pass float64 arrays"
        + (
            ", and keep at least one key of every row unmasked (bias > -inf)"
            if bias
            else ""
        )
    )


#: The most memory one call may ask numpy for at once, in bytes.
MEMORY_LIMIT = 4 * 2**30


def check_memory(nbytes: float, what: str, instead: str) -> None:
    """Refuse an allocation of ``nbytes`` above :data:`MEMORY_LIMIT`.

    The message says what would be allocated, how much memory it needs and
    what to pass ``instead``.
    """
    if nbytes > MEMORY_LIMIT:
        raise ValueError(
            f"{what} would need {nbytes / 2**30:,.1f} GiB of memory, more than the "
            f"{MEMORY_LIMIT / 2**30:.0f} GiB one call may allocate; {instead}"
        )


def keeps_float16(fn):
    """Return float16 results for a float16 first argument.

    The numerics run in float32 or float64 (:func:`as_float_array` widens
    float16, whose range ends at 65504); the results are cast back, so that
    the dtype a caller passes is the dtype it gets, as for float32.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        first = args[0] if args else None
        if getattr(first, "dtype", None) != np.float16:
            return result
        if isinstance(result, tuple):
            return tuple(_as_half(r) for r in result)
        return _as_half(result)

    return wrapper


def _as_half(x):
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return x.astype(np.float16)
    return x
