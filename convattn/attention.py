"""Learned attention: scaled dot-product attention, a self-attention layer, positions.

Chapter 3 scores keys with a *fixed* similarity of the raw pixel records. Here
the records first pass through learned linear maps: the query of pixel ``i``
is ``q_i = x_i W_Q``, the key of pixel ``j`` is ``k_j = x_j W_K`` (one
``W_K`` shared by every key pixel) and its value is ``v_j = x_j W_V``. The
weights are ``softmax(q_i . k_j / sqrt(d) + b_ij)`` over the key pixels ``j``.

Without positions, self-attention treats the image as a *set* of pixels:
shuffle the pixels and the output shuffles the same way. Appending or adding
positional encodings (:func:`add_positions`), or adding a relative-position
bias to the scores (:func:`relative_position_bias`), lets it see where pixels
are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._validate import (
    as_float_array,
    as_positive_float,
    as_positive_int,
    check_choice,
    check_flag,
    check_heads,
    check_memory,
    check_pixel,
    check_qkv,
    check_rng,
    check_scores,
    check_shape,
    keeps_float16,
)
from .images import pixel_positions

__all__ = [
    "POSITION_KINDS",
    "SelfAttention",
    "add_positions",
    "attention_map",
    "multi_head_attention",
    "relative_position_bias",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
]

#: Kinds of positional features accepted by :func:`add_positions`.
POSITION_KINDS = ("sinusoidal", "coordinates")


def _as_bias(bias, ndim=None) -> np.ndarray:
    """``bias`` as a float array: finite entries, or -inf to mask a key out."""
    b = as_float_array(bias, "bias", ndim=ndim, finite=False)
    if np.isnan(b).any() or np.isposinf(b).any():
        bad = "NaN" if np.isnan(b).any() else "+inf"
        raise ValueError(f"bias must be finite (or -inf, a mask); it contains {bad}")
    return b


def _check_bias(bias, shape: tuple[int, ...], dtype) -> np.ndarray:
    """``bias`` as an array of ``dtype`` that broadcasts to ``shape``."""
    b = _as_bias(bias)
    try:
        np.broadcast_shapes(b.shape, shape)
    except ValueError:
        raise ValueError(
            f"bias must broadcast to the scores' shape {shape}; got shape {b.shape}"
        ) from None
    if b.ndim > len(shape):
        raise ValueError(
            f"bias must broadcast to the scores' shape {shape}; got shape {b.shape}"
        )
    with np.errstate(over="ignore"):  # below float32's range: a mask, -inf
        return b.astype(dtype, copy=False)


def _softmax_rows(scores: np.ndarray, bias: bool) -> np.ndarray:
    """The softmax of each row (last axis) of checked scores, in place.

    The largest score of each row is subtracted before ``exp``, so nothing
    overflows; a row whose largest score is not finite breaks the one
    overflow rule of the package (:func:`~convattn._validate.check_scores`).
    """
    top = scores.max(axis=-1, keepdims=True)
    check_scores(top, scores.dtype, bias)
    scores -= top
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores


@keeps_float16
def scaled_dot_product_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    bias: np.ndarray | None = None,
    return_weights: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Attention: ``softmax(q k^T / sqrt(d) + bias) v``.

    The same mathematics as PyTorch's function of this name. Dividing the
    scores by ``sqrt(d)`` keeps their variance near 1 when the entries of
    ``q`` and ``k`` have unit variance, whatever the width ``d``, so that the
    softmax does not saturate as ``d`` grows.

    Parameters
    ----------
    q : ndarray, shape (Nq, d)
        Queries, one row per query pixel.
    k : ndarray, shape (Nk, d)
        Keys, one row per key pixel.
    v : ndarray, shape (Nk, d_v)
        Values, one row per key pixel.
    bias : ndarray, optional
        Added to the scaled scores before the softmax; any finite array that
        broadcasts to ``(Nq, Nk)`` (a relative-position bias, or a large
        negative number to mask a key pixel out).
    return_weights : bool
        Also return the ``(Nq, Nk)`` attention weights.

    Returns
    -------
    ndarray, shape (Nq, d_v), or a tuple (output, weights)
        float32 when ``q``, ``k`` and ``v`` are all float32, else float64.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([[1.0, 1.0, 1.0, 1.0]])  # d = 4, so scores are halved
    >>> k = np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]]) * np.log(3.0)
    >>> v = np.array([[4.0], [0.0]])
    >>> out, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    >>> weights.round(6)
    array([[0.25, 0.75]])
    >>> out.round(6)
    array([[1.]])
    >>> q32 = np.ones((2, 4), dtype=np.float32)
    >>> scaled_dot_product_attention(q32, q32, q32).dtype
    dtype('float32')
    """
    q, k, v = check_qkv(q, k, v)
    return_weights = check_flag(return_weights, "return_weights")
    if bias is not None:
        bias = _check_bias(bias, (q.shape[0], k.shape[0]), q.dtype)
    if not return_weights:
        return _fast_attention(q, k, v, bias)  # the same numbers, faster
    n_q, n_k = q.shape[0], k.shape[0]
    check_memory(
        n_q * n_k * q.itemsize,
        f"the ({n_q}, {n_k}) attention weights",
        "pass return_weights=False, or use blockwise_attention",
    )
    with np.errstate(over="ignore", invalid="ignore"):  # the rule: _softmax_rows
        scores = q @ k.T
        scores /= q.dtype.type(np.sqrt(q.shape[1]))  # in place: one N x N array
        if bias is not None:
            scores += bias
    weights = _softmax_rows(scores, bias is not None)
    return weights @ v, weights


#: Queries per row block in :func:`_fast_attention`.
_QUERY_ROWS = 1024
_LOG2_E = 1.4426950408889634


def _bias_rows(bias, n_queries: int, rows: slice):
    """The rows of ``bias`` (already checked) that belong to a block of queries."""
    b = np.asarray(bias)
    if b.ndim == 2 and b.shape[0] == n_queries:
        return b[rows]
    return b  # broadcasts along the queries (shape (Nk,) or (1, Nk))


def _fast_attention(q, k, v, bias):
    """The output of :func:`scaled_dot_product_attention` for checked inputs,
    computed faster and in bounded memory (the weights are not returned).

    Two tricks, neither of which changes the result beyond rounding:
    queries are independent, so they are processed in row blocks whose scores
    stay small; and the scale, with the factor ``log2(e)``, is folded into
    the (small) queries, so that the exponential is ``exp2``:
    ``2 ** (x log2 e) = e ** x``. Base 2 is a convention, not a speed-up:
    ``benchmarks/bench_exp.py`` times ``exp2`` against ``exp``, and with
    numpy 2.4 on x86-64 ``exp`` was the faster. The score block is made
    once and then only changed in place. A block whose scores leave the range
    of the dtype in these base-2 units is done by the formula itself, which
    applies the overflow rule.
    """
    dtype = q.dtype
    scale = dtype.type(_LOG2_E / np.sqrt(q.shape[1]))
    out = np.empty((q.shape[0], v.shape[1]), dtype=dtype)
    for start in range(0, q.shape[0], _QUERY_ROWS):
        rows = slice(start, start + _QUERY_ROWS)
        row_bias = None if bias is None else _bias_rows(bias, q.shape[0], rows)
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            scores = (q[rows] * scale) @ k.T
            if row_bias is not None:
                scores += row_bias * dtype.type(_LOG2_E)
            top = scores.max(axis=1, keepdims=True)
        if not np.all(np.isfinite(top)):
            with np.errstate(over="ignore", invalid="ignore"):
                plain = q[rows] @ k.T / dtype.type(np.sqrt(q.shape[1]))
                if row_bias is not None:
                    plain += row_bias
            out[rows] = _softmax_rows(plain, bias is not None) @ v
            continue
        scores -= top  # the largest score of each row becomes 0: no overflow
        np.exp2(scores, out=scores)
        total = scores.sum(axis=1, keepdims=True)
        out[rows] = scores @ v
        out[rows] /= total
        del scores  # free this block's scores before the next block makes its own
    return out


# --- multi-head attention ----------------------------------------------------------


def _split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(..., N, Nh * w) -> (..., Nh, N, w)."""
    *lead, n, width = x.shape
    x = x.reshape(*lead, n, num_heads, width // num_heads)
    return np.swapaxes(x, -2, -3)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    """(..., Nh, N, w) -> (..., N, Nh * w)."""
    x = np.swapaxes(x, -2, -3)
    return x.reshape(*x.shape[:-2], x.shape[-2] * x.shape[-1])


def _forward(tokens, w_q, w_k, w_v, w_o, num_heads, bias):
    """Unchecked multi-head forward pass; returns the output and every
    intermediate that the backward pass (:mod:`convattn.train`) needs."""
    q = _split_heads(tokens @ w_q, num_heads)  # (..., Nh, N, d/Nh)
    k = _split_heads(tokens @ w_k, num_heads)
    v = _split_heads(tokens @ w_v, num_heads)  # (..., Nh, N, d_v/Nh)
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    with np.errstate(over="ignore", invalid="ignore"):  # the rule: _softmax_rows
        scores = (q @ np.swapaxes(k, -1, -2)) * scale
        if bias is not None:
            scores = scores + bias
    weights = _softmax_rows(scores, bias is not None)  # (..., Nh, N, N)
    heads = _merge_heads(weights @ v)  # (..., N, d_v)
    out = heads @ w_o
    cache = {"q": q, "k": k, "v": v, "weights": weights, "heads": heads}
    return out, cache


def _check_layer(tokens, w_q, w_k, w_v, w_o, num_heads, bias):
    x = as_float_array(tokens, "tokens", ndim=(2, 3))
    if 0 in x.shape:
        raise ValueError(f"tokens must hold at least one token; got shape {x.shape}")
    # The tokens decide the precision: float32 tokens stay float32.
    w_q, w_k, w_v, w_o = (
        as_float_array(w, name, ndim=2).astype(x.dtype, copy=False)
        for w, name in ((w_q, "w_q"), (w_k, "w_k"), (w_v, "w_v"), (w_o, "w_o"))
    )
    c = x.shape[-1]
    for name, w in (("w_q", w_q), ("w_k", w_k), ("w_v", w_v)):
        if w.shape[0] != c:
            raise ValueError(
                f"{name} must have one row per token channel (C = {c}); "
                f"got {name} {w.shape} for tokens {x.shape}"
            )
    if w_k.shape != w_q.shape:
        raise ValueError(
            f"w_k must have the shape of w_q {w_q.shape} (queries and keys share "
            f"the width d); got {w_k.shape}"
        )
    if w_o.shape[0] != w_v.shape[1]:
        raise ValueError(
            f"w_o must have one row per value channel (d_v = {w_v.shape[1]}); "
            f"got w_o {w_o.shape}"
        )
    h = check_heads(num_heads, d=w_q.shape[1], d_v=w_v.shape[1])
    n = x.shape[-2]
    batch = x.shape[0] if x.ndim == 3 else 1
    check_memory(
        2.0 * batch * h * n * n * x.itemsize,
        f"the attention scores and weights of {batch} x {h} heads over N = {n} tokens",
        "pass fewer tokens (or a smaller batch) at a time, or use blockwise_attention "
        "for one head",
    )
    b = None
    if bias is not None:
        b = _as_bias(bias, ndim=(2, 3))
        if b.shape[-2:] != (n, n) or (b.ndim == 3 and b.shape[0] != h):
            raise ValueError(
                f"bias must have shape ({n}, {n}) or (num_heads, {n}, {n}) = "
                f"({h}, {n}, {n}); got {b.shape}"
            )
        with np.errstate(over="ignore"):
            b = b.astype(x.dtype, copy=False)
    return x, w_q, w_k, w_v, w_o, h, b


@keeps_float16
def multi_head_attention(
    tokens: np.ndarray,
    w_q: np.ndarray,
    w_k: np.ndarray,
    w_v: np.ndarray,
    w_o: np.ndarray,
    num_heads: int = 1,
    bias: np.ndarray | None = None,
    return_weights: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Multi-head self-attention of a table of tokens onto itself.

    The columns of ``w_q``, ``w_k`` and ``w_v`` are split into ``num_heads``
    equal groups; head ``h`` attends with its own queries, keys and values
    (scaled by ``1 / sqrt(d / num_heads)``, the width of one head), the heads'
    outputs are put side by side and projected by ``w_o``:
    ``concat_h(A_h V_h) W_O``. With one head this is
    ``scaled_dot_product_attention(X W_Q, X W_K, X W_V) W_O``.

    Parameters
    ----------
    tokens : ndarray, shape (N, C) or (B, N, C)
        One image's pixel records, or a batch of ``B`` images.
    w_q, w_k : ndarray, shape (C, d)
    w_v : ndarray, shape (C, d_v)
    w_o : ndarray, shape (d_v, C_out)
    num_heads : int
        Must divide ``d`` and ``d_v``.
    bias : ndarray, optional
        Score bias, shape ``(N, N)`` (shared by every head) or
        ``(num_heads, N, N)``.
    return_weights : bool
        Also return the weights, shape ``(num_heads, N, N)`` (or
        ``(B, num_heads, N, N)``).

    Returns
    -------
    ndarray, shape (N, C_out) or (B, N, C_out), or a tuple (output, weights)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> eye = np.eye(2)
    >>> out, weights = multi_head_attention(x, eye, eye, eye, eye, return_weights=True)
    >>> weights.shape, bool(np.allclose(weights.sum(-1), 1.0))
    ((1, 3, 3), True)
    >>> bool(np.allclose(out, scaled_dot_product_attention(x, x, x)))
    True
    """
    x, w_q, w_k, w_v, w_o, h, b = _check_layer(
        tokens, w_q, w_k, w_v, w_o, num_heads, bias
    )
    return_weights = check_flag(return_weights, "return_weights")
    out, cache = _forward(x, w_q, w_k, w_v, w_o, h, b)
    return (out, cache["weights"]) if return_weights else out


class SelfAttention:
    """A self-attention layer with learned ``W_Q``, ``W_K``, ``W_V`` and ``W_O``.

    Calling the layer on tokens ``(N, C)`` returns tokens ``(N, C_out)``;
    calling it on an image ``(H, W, C)`` returns an image ``(H, W, C_out)``,
    and on a batch of images ``(B, H, W, C)`` a batch ``(B, H, W, C_out)``.
    A batch of token tables ``(B, N, C)``, as :func:`multi_head_attention`
    takes it, goes through :meth:`apply`. After each call, :attr:`last_weights` holds the attention weights,
    ``(num_heads, N, N)``: row ``i`` of head ``h`` is the map of how much
    the query pixel ``i`` reads each key pixel.

    Parameters
    ----------
    channels_in : int
        ``C``, channels per input pixel.
    d : int
        Width of the queries and keys (all heads together).
    d_v : int, optional
        Width of the values (all heads together); ``d`` by default.
    num_heads : int
        Number of heads ``N_h``; must divide ``d`` and ``d_v``.
    channels_out : int, optional
        ``C_out``, channels per output pixel; ``channels_in`` by default.
    bias : ndarray, optional
        A fixed score bias, ``(N, N)`` or ``(num_heads, N, N)``, for example
        from :func:`relative_position_bias`. The layer then only accepts
        inputs of ``N`` pixels.
    rng : numpy.random.Generator or int
        Source (or seed) of the random initial matrices: normal entries with
        variance ``1 / fan-in``, so outputs start at the scale of the inputs.

    Attributes
    ----------
    w_q, w_k : ndarray, shape (C, d)
    w_v : ndarray, shape (C, d_v)
    w_o : ndarray, shape (d_v, C_out)
    last_weights : ndarray or None
        The weights of the last call.

    Examples
    --------
    >>> import numpy as np
    >>> layer = SelfAttention(channels_in=3, d=4, num_heads=2, rng=0)
    >>> image = np.random.default_rng(1).uniform(size=(5, 6, 3))
    >>> layer(image).shape, layer.last_weights.shape
    ((5, 6, 3), (2, 30, 30))
    >>> sorted(layer.params)
    ['w_k', 'w_o', 'w_q', 'w_v']
    """

    def __init__(
        self,
        channels_in: int,
        d: int,
        d_v: int | None = None,
        num_heads: int = 1,
        channels_out: int | None = None,
        bias: np.ndarray | None = None,
        rng: np.random.Generator | int = 0,
    ) -> None:
        c = as_positive_int(channels_in, "channels_in")
        d = as_positive_int(d, "d")
        d_v = d if d_v is None else as_positive_int(d_v, "d_v")
        c_out = (
            c if channels_out is None else as_positive_int(channels_out, "channels_out")
        )
        h = check_heads(num_heads, d=d, d_v=d_v)
        rng = check_rng(rng)
        self.num_heads = h
        self.w_q = rng.normal(scale=1 / np.sqrt(c), size=(c, d))
        self.w_k = rng.normal(scale=1 / np.sqrt(c), size=(c, d))
        self.w_v = rng.normal(scale=1 / np.sqrt(c), size=(c, d_v))
        self.w_o = rng.normal(scale=1 / np.sqrt(d_v), size=(d_v, c_out))
        self.bias = None if bias is None else _as_bias(bias, ndim=(2, 3))
        self.last_weights: np.ndarray | None = None

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The four learned matrices by name (the arrays themselves, not copies)."""
        return {"w_q": self.w_q, "w_k": self.w_k, "w_v": self.w_v, "w_o": self.w_o}

    def __repr__(self) -> str:
        c, d = self.w_q.shape
        return (
            f"SelfAttention(channels_in={c}, d={d}, d_v={self.w_v.shape[1]}, "
            f"num_heads={self.num_heads}, channels_out={self.w_o.shape[1]})"
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply the layer to tokens ``(N, C)``, an image ``(H, W, C)`` or a
        batch of images ``(B, H, W, C)``.

        A 3-D array is always one image; for a batch of token tables
        ``(B, N, C)`` (as :func:`multi_head_attention` and :func:`~convattn.train.fit` take
        them) call :meth:`apply`.
        """
        arr = as_float_array(x, "x", ndim=(2, 3, 4))
        if arr.ndim == 2:
            return self.apply(arr)
        if 0 in arr.shape:
            raise ValueError(f"x must hold at least one pixel; got shape {arr.shape}")
        *lead, h, w, c = arr.shape
        if arr.ndim == 3:
            check_memory(
                2.0 * self.num_heads * (h * w) ** 2 * arr.itemsize,
                f"x of shape {arr.shape} is read as one {h} x {w} image (N = "
                f"{h * w} pixels), whose attention weights",
                "for a batch of token tables (B, N, C) call layer.apply(x)",
            )
        out = self.apply(arr.reshape(*lead, h * w, c))
        return out.reshape(*lead, h, w, out.shape[-1])

    def apply(self, tokens: np.ndarray) -> np.ndarray:
        """Apply the layer to tokens ``(N, C)`` or a batch of them ``(B, N, C)``.

        The same as :func:`multi_head_attention` with the layer's matrices,
        heads and bias; ``last_weights`` is set as by a call.
        """
        out, weights = multi_head_attention(
            tokens,
            self.w_q,
            self.w_k,
            self.w_v,
            self.w_o,
            num_heads=self.num_heads,
            bias=self.bias,
            return_weights=True,
        )
        self.last_weights = weights
        return out


def attention_map(weights: np.ndarray, query: tuple[int, int], shape: Sequence[int]):
    """One query pixel's attention weights over the key pixels, as an image.

    A thin reshape: row ``i`` of the ``(N, N)`` weights (as returned by
    ``scaled_dot_product_attention(..., return_weights=True)`` or held in
    ``SelfAttention.last_weights``) for the query pixel
    ``i = pixel_index(row, col, shape)``, folded to ``(H, W)``. It is the
    attention layer's receptive field for that query pixel, to set next to
    :func:`convattn.conv.effective_receptive_field`.

    Parameters
    ----------
    weights : ndarray, shape (N, N) or (N_h, N, N)
        Attention weights; with heads, one map per head is returned.
    query : (row, col)
    shape : (H, W) or (H, W, C)
        With ``H * W = N``.

    Returns
    -------
    ndarray, shape (H, W) or (N_h, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> attention_map(np.eye(4), (1, 0), (2, 2))
    array([[0., 0.],
           [1., 0.]])
    """
    a = as_float_array(weights, "weights", ndim=(2, 3))
    h, w = check_shape(shape)
    n = h * w
    if a.shape[-2:] != (n, n):
        raise ValueError(
            f"weights must be (N, N) with N = H * W = {n} for shape {tuple(shape)}; "
            f"got {a.shape}"
        )
    r, c = check_pixel(query, (h, w))
    return a[..., r * w + c, :].reshape(*a.shape[:-2], h, w)


# --- positions ---------------------------------------------------------------------


def sinusoidal_encoding(
    shape: Sequence[int], dims: int, base: float = 10000.0
) -> np.ndarray:
    """Two-dimensional sinusoidal position encodings, one row per pixel.

    The first ``dims / 2`` columns encode the row ``r`` and the last
    ``dims / 2`` the column ``c``, each as in Vaswani et al. (2017): pairs
    ``sin(r * f_m), cos(r * f_m)`` at frequencies
    ``f_m = base ** (-m / (dims / 4))``, ``m = 0 ... dims/4 - 1``. Nearby
    pixels get similar encodings, and the dot product of two encodings
    depends only on their offset.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
    dims : int
        Width of the encoding, a multiple of 4.
    base : float
        Longest wavelength is about ``2 pi base``; a small base suits small
        images.

    Returns
    -------
    ndarray, shape (H * W, dims)
        Row ``n`` encodes pixel ``n`` (row-major).

    Examples
    --------
    >>> enc = sinusoidal_encoding((2, 3), dims=4)
    >>> enc.shape
    (6, 4)
    >>> enc[4].round(4)  # row 1, column 1: sin(1), cos(1), sin(1), cos(1)
    array([0.8415, 0.5403, 0.8415, 0.5403])
    """
    h, w = check_shape(shape)
    dims = as_positive_int(dims, "dims")
    if dims % 4:
        raise ValueError(
            f"dims must be a multiple of 4 (sin and cos of rows and columns); got {dims}"
        )
    base = as_positive_float(base, "base")
    freqs = base ** (-np.arange(dims // 4) / (dims // 4))
    pos = pixel_positions((h, w))  # (N, 2)
    parts = []
    for axis in (0, 1):
        angles = pos[:, axis : axis + 1] * freqs[None, :]  # (N, dims/4)
        pair = np.stack([np.sin(angles), np.cos(angles)], axis=-1)
        parts.append(pair.reshape(len(pos), -1))
    return np.concatenate(parts, axis=1)


@keeps_float16
def add_positions(
    tokens: np.ndarray,
    shape: Sequence[int],
    mode: str = "append",
    kind: str = "sinusoidal",
    dims: int | None = None,
    scale: float = 1.0,
    base: float = 10000.0,
) -> np.ndarray:
    """Give every token its position: appended as extra columns, or added.

    Parameters
    ----------
    tokens : ndarray, shape (N, C)
        Pixel records, ``N = H * W`` in row-major order.
    shape : (H, W) or (H, W, C)
    mode : {"append", "add"}
        ``"append"`` returns ``[tokens, scale * P]``, ``(N, C + dims)``;
        ``"add"`` returns ``tokens + scale * P``, ``(N, C)``, which needs
        ``dims == C``.
    kind : {"sinusoidal", "coordinates"}
        ``"sinusoidal"``: :func:`sinusoidal_encoding`; ``"coordinates"``: the
        (row, column) of each pixel normalised to [0, 1] (two columns).
    dims : int, optional
        Width of the sinusoidal encoding: 4 by default when appending, ``C``
        when adding. Ignored for coordinates.
    scale : float
        Multiplies the encoding, to balance it against the pixel records.
    base : float
        See :func:`sinusoidal_encoding`.

    Returns
    -------
    ndarray, shape (N, C + dims) or (N, C)

    Examples
    --------
    >>> import numpy as np
    >>> add_positions(np.ones((4, 1)), (2, 2), kind="coordinates")
    array([[1., 0., 0.],
           [1., 0., 1.],
           [1., 1., 0.],
           [1., 1., 1.]])
    >>> add_positions(np.zeros((4, 4)), (2, 2), mode="add").shape
    (4, 4)
    """
    x = as_float_array(tokens, "tokens", ndim=2)
    h, w = check_shape(shape)
    if x.shape[0] != h * w:
        raise ValueError(
            f"tokens must have H * W = {h * w} rows for shape {tuple(shape)}; "
            f"got {x.shape[0]}"
        )
    check_choice(mode, "mode", ("append", "add"))
    check_choice(kind, "kind", POSITION_KINDS)
    scale = as_positive_float(scale, "scale")
    if kind == "coordinates":
        enc = pixel_positions((h, w), normalize=True)
    else:
        width = (4 if mode == "append" else x.shape[1]) if dims is None else dims
        if mode == "add" and dims is None and width % 4:
            raise ValueError(
                f"mode 'add' needs a sinusoidal encoding as wide as tokens "
                f"(C = {width}), and its width must be a multiple of 4"
            )
        enc = sinusoidal_encoding((h, w), width, base=base)
    enc = (scale * enc).astype(x.dtype)  # float32 tokens stay float32
    if mode == "append":
        return np.concatenate([x, enc], axis=1)
    if enc.shape[1] != x.shape[1]:
        raise ValueError(
            f"mode 'add' needs an encoding as wide as tokens (C = {x.shape[1]}); "
            f"got {enc.shape[1]} columns"
        )
    return x + enc


def relative_position_bias(
    shape: Sequence[int],
    table: np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """A score bias that depends only on the offset between two pixels.

    ``b_ij = f(delta)`` with ``delta = p_j - p_i`` the offset (rows, columns)
    of key pixel ``j`` from query pixel ``i``. Added to the scores, it lets
    attention prefer key pixels at certain offsets (the pixel to the right,
    the neighbourhood), the same way for every query pixel.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
    table : ndarray of shape (2H - 1, 2W - 1), or callable
        Either one bias per offset, ``table[dr + H - 1, dc + W - 1]`` for the
        offset ``(dr, dc)``, or a vectorised function ``f(dr, dc)`` of two
        integer-valued arrays of offsets returning the biases.

    Returns
    -------
    ndarray, shape (N, N)
        ``bias[i, j]``, with ``N = H * W``.

    Examples
    --------
    >>> import numpy as np
    >>> bias = relative_position_bias((1, 3), lambda dr, dc: -np.abs(dc))
    >>> bias
    array([[ 0., -1., -2.],
           [-1.,  0., -1.],
           [-2., -1.,  0.]])
    >>> table = np.zeros((1, 5))
    >>> table[0, 3] = 1.0  # offset (0, +1): the pixel to the right
    >>> relative_position_bias((1, 3), table)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    h, w = check_shape(shape)
    n = h * w
    check_memory(
        3.0 * n * n * 8,
        f"the ({n}, {n}) bias of a {h} x {w} image",
        "use local_attention (a bias per offset in a window) for large images",
    )
    pos = pixel_positions((h, w)).astype(np.intp)
    dr = pos[None, :, 0] - pos[:, None, 0]  # key row minus query row
    dc = pos[None, :, 1] - pos[:, None, 1]
    if callable(table):
        values = as_float_array(table(dr, dc), "table")
        try:
            bias = np.broadcast_to(values, (n, n))
        except ValueError:
            raise ValueError(
                f"table must return one bias per pair of pixels, shape ({n}, {n}); "
                f"got shape {values.shape}"
            ) from None
        return np.array(bias, dtype=np.float64)
    t = as_float_array(table, "table", ndim=2)
    if t.shape != (2 * h - 1, 2 * w - 1):
        raise ValueError(
            f"table must have shape (2H - 1, 2W - 1) = {(2 * h - 1, 2 * w - 1)} for "
            f"shape {(h, w)}; got {t.shape}"
        )
    return t[dr + h - 1, dc + w - 1]
