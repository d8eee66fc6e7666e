"""The bridge: attention that convolves, and attention in a local window.

:func:`attention_as_conv` builds the multi-head self-attention layer of
Cordonnier, Loukas and Jaggi (2020) that reproduces a ``K x K`` convolution:
``K*K`` heads, one per kernel offset ``Delta_h``; a quadratic relative
positional encoding ``r_delta = (|delta|^2, delta_1, delta_2)`` of the offset
``delta = p_j - p_i`` of a key pixel from the query pixel; head ``h``'s
positional query ``-alpha (1, -2 Delta_h1, -2 Delta_h2)``, so that its score
``-alpha (|delta - Delta_h|^2 - |Delta_h|^2)`` peaks at ``delta = Delta_h``;
no content terms; and an output projection that applies the kernel's slice
``w_Delta_h`` to what head ``h`` reads. As ``alpha`` grows, each head's
softmax concentrates on the single key pixel at ``p_i + Delta_h`` and the
layer's output tends to ``conv2d(image, kernel, padding="zeros")``.

:func:`local_attention` lets each query pixel attend only to the key pixels in
a square window around it, with a learned bias per relative offset: the
middle ground between a convolution (fixed weights in a window) and global
attention (content weights over the whole image).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import (
    as_float_array,
    as_positive_float,
    as_positive_int,
    as_real,
    check_flag,
    check_image,
    check_memory,
    check_pixel,
    check_qkv,
    check_scores,
    check_shape,
    keeps_float16,
)
from .attention import scaled_dot_product_attention
from .retrieval import softmax

__all__ = [
    "AttentionAsConv",
    "attention_as_conv",
    "local_attention",
    "quadratic_encoding",
    "theta3",
]

# Largest number of (query, key) pairs whose scores are held at once.
_CHUNK_PAIRS = 1 << 20


def theta3(x: float) -> float:
    """Jacobi's theta function ``theta_3(x) = 1 + 2 sum_{n>=1} x^(n^2)``.

    ``theta_3(e^(-alpha))`` is the sum of ``exp(-alpha n^2)`` over all
    integers ``n``: the normaliser of a head's softmax along one axis of an
    unbounded pixel grid. The series is summed to convergence for every
    ``0 <= x < 1``, also close to 1, where it needs hundreds of terms (there
    Jacobi's identity turns it into a fast series).

    Parameters
    ----------
    x : float
        ``0 <= x < 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(theta3(0.0), 12), round(theta3(0.5), 6)
    (1.0, 2.128937)
    >>> round(theta3(0.9999), 4)  # hundreds of terms; about sqrt(pi / 1e-4)
    177.241
    """
    value = as_real(x, "x", 0.0, 1.0, high_open=True)
    if value == 0.0:
        return 1.0
    return 1.0 + 2.0 * _theta_tail(-float(np.log(value)))


def _theta_tail(alpha: float) -> float:
    """``sum_{n>=1} exp(-alpha n^2)`` for ``alpha > 0``, to full precision.

    For ``alpha >= pi`` the terms fall at least as fast as ``e^(-pi n^2)``,
    so eight of them reach float64's precision. For smaller ``alpha`` the
    series converges slowly (``theta_3(0.9999)`` needs hundreds of terms), so
    Jacobi's identity ``theta_3(e^-alpha) = sqrt(pi / alpha)
    theta_3(e^(-pi^2 / alpha))`` turns it into a fast one.
    """
    n = np.arange(1, 9, dtype=np.float64)
    if alpha >= np.pi:
        return float(np.sum(np.exp(-alpha * n * n)))
    dual = np.pi**2 / alpha
    theta = np.sqrt(np.pi / alpha) * (1.0 + 2.0 * float(np.sum(np.exp(-dual * n * n))))
    return float((theta - 1.0) / 2.0)


def quadratic_encoding(deltas: np.ndarray) -> np.ndarray:
    """The quadratic relative positional encoding ``r_delta = (|delta|^2, delta_1, delta_2)``.

    Parameters
    ----------
    deltas : array_like, shape (..., 2)
        Offsets ``delta = p_j - p_i`` (row, column) of key pixels from query
        pixels.

    Returns
    -------
    ndarray, shape (..., 3)

    Examples
    --------
    >>> quadratic_encoding([[0, 0], [1, -2]])
    array([[ 0.,  0.,  0.],
           [ 5.,  1., -2.]])
    """
    d = as_float_array(deltas, "deltas")
    if d.ndim == 0 or d.shape[-1] != 2:
        raise ValueError(
            f"deltas must have a last axis of length 2; got shape {d.shape}"
        )
    r = np.empty((*d.shape[:-1], 3), dtype=d.dtype)
    r[..., 1:] = d
    # |delta|^2 = delta_1^2 + delta_2^2, written out: the same numbers as a sum
    # over the last axis, several times faster for millions of offsets
    np.multiply(d[..., 0], d[..., 0], out=r[..., 0])
    r[..., 0] += d[..., 1] * d[..., 1]
    return r


class AttentionAsConv:
    """A multi-head self-attention layer that approximates a convolution.

    Build it with :func:`attention_as_conv`; call it on an image to get the
    output image.

    Attributes
    ----------
    kernel : ndarray, shape (K, K) or (K, K, C_in, C_out)
        The convolution kernel the layer reproduces.
    alpha : float
        Sharpness of the positional attention.
    pad_keys : bool
        Whether the zeros that the convolution reads outside the image are
        present as extra key pixels (see :func:`attention_as_conv`).
    offsets : ndarray, shape (K*K, 2)
        ``Delta_h``, the kernel offset (row, column) of head ``h``.
    head_queries : ndarray, shape (K*K, 3)
        Head ``h``'s positional query ``-alpha (1, -2 Delta_h1, -2 Delta_h2)``.
    """

    def __init__(self, kernel: np.ndarray, alpha: float, pad_keys: bool = True):
        w = as_float_array(kernel, "kernel", ndim=(2, 4))
        if w.shape[0] != w.shape[1] or w.shape[0] % 2 == 0:
            raise ValueError(
                f"kernel must be square with an odd side (K x K); got shape {w.shape}"
            )
        if min(w.shape) == 0:
            raise ValueError(f"kernel must not be empty; got shape {w.shape}")
        pad_keys = check_flag(pad_keys, "pad_keys")
        self.kernel = w.astype(np.float64)
        self.alpha = as_positive_float(alpha, "alpha")
        self.pad_keys = bool(pad_keys)
        size = w.shape[0]
        r = size // 2
        rows, cols = np.meshgrid(
            np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij"
        )
        self.offsets = np.stack([rows.ravel(), cols.ravel()], axis=1)
        self.head_queries = -self.alpha * np.concatenate(
            [np.ones((size * size, 1)), -2.0 * self.offsets], axis=1
        )

    @property
    def kernel_size(self) -> int:
        """``K``, the side of the kernel."""
        return self.kernel.shape[0]

    @property
    def num_heads(self) -> int:
        """``N_h = K*K``, one head per kernel offset."""
        return self.kernel_size**2

    def __repr__(self) -> str:
        return (
            f"AttentionAsConv(kernel_size={self.kernel_size}, alpha={self.alpha:g}, "
            f"num_heads={self.num_heads}, pad_keys={self.pad_keys})"
        )

    def _check_image(self, image) -> tuple[np.ndarray, bool]:
        x = check_image(image)
        squeeze = x.ndim == 2
        if squeeze:
            x = x[:, :, None]
        if self.kernel.ndim == 4 and x.shape[2] != self.kernel.shape[2]:
            raise ValueError(
                f"image must have {self.kernel.shape[2]} channels (the kernel's C_in); "
                f"got shape {np.shape(image)}"
            )
        # Like conv2d: a 4-D kernel always returns (H, W, C_out).
        squeeze = squeeze and self.kernel.ndim == 2
        return x.astype(np.float64), squeeze

    def head_projections(self, channels: int = 1) -> np.ndarray:
        """Head ``h``'s value-and-output matrix ``W_h = w_Delta_h``.

        Returns
        -------
        ndarray, shape (K*K, C_in, C_out)
            For a ``(K, K)`` kernel, ``w_Delta_h`` times the identity on
            ``channels`` channels (every channel is filtered alike).
        """
        r = self.kernel_size // 2
        rows, cols = self.offsets[:, 0] + r, self.offsets[:, 1] + r
        if self.kernel.ndim == 4:
            return self.kernel[rows, cols]
        return self.kernel[rows, cols][:, None, None] * np.eye(channels)

    def _key_grid(self, shape: tuple[int, int]) -> tuple[np.ndarray, int]:
        pad = self.kernel_size // 2 if self.pad_keys else 0
        h, w = shape[0] + 2 * pad, shape[1] + 2 * pad
        rows, cols = np.meshgrid(np.arange(h) - pad, np.arange(w) - pad, indexing="ij")
        return np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.float64), pad

    def scores(self, shape, query) -> np.ndarray:
        """Every head's positional scores ``q_h . r_delta`` for one query pixel.

        Parameters
        ----------
        shape : (H, W)
            Image size.
        query : (row, col)
            The query pixel.

        Returns
        -------
        ndarray, shape (K*K, H', W')
            One score map per head over the key pixels: the image, plus a
            border of ``K // 2`` zero pixels if ``pad_keys``.
        """
        shape = check_shape(shape)
        row, col = check_pixel(query, shape)
        keys, pad = self._key_grid(shape)
        r_delta = quadratic_encoding(keys - np.array([row, col], dtype=np.float64))
        s = r_delta @ self.head_queries.T
        return s.T.reshape(self.num_heads, shape[0] + 2 * pad, shape[1] + 2 * pad)

    def weights(self, shape, query) -> np.ndarray:
        """Every head's attention weights for one query pixel, shape ``(K*K, H', W')``."""
        s = self.scores(shape, query)
        return softmax(s.reshape(len(s), -1)).reshape(s.shape)

    def error_bound(self, image: np.ndarray) -> float:
        """The bound ``(theta_3(e^-alpha)^2 - 1) * sum_h 2 max|X W_h|`` on the error.

        It bounds ``max |layer(image) - conv2d(image, kernel)|`` when
        ``pad_keys`` is True.
        """
        x, _ = self._check_image(image)
        tokens = x.reshape(-1, x.shape[2])
        w_h = self.head_projections(x.shape[2])
        reach = sum(2.0 * np.abs(tokens @ w).max() for w in w_h)
        # theta_3^2 - 1 = 4 t + 4 t^2 with t = (theta_3 - 1) / 2, computed without
        # the cancellation of 1 + tiny - 1 at large alpha.
        t = _theta_tail(self.alpha)
        return (4.0 * t + 4.0 * t * t) * reach

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Apply the layer to an image ``(H, W)`` or ``(H, W, C_in)``.

        Returns
        -------
        ndarray
            ``(H, W)`` for a ``(K, K)`` kernel and a grayscale image;
            ``(H, W, C)`` for a ``(K, K)`` kernel and ``C`` channels;
            ``(H, W, C_out)`` for a ``(K, K, C_in, C_out)`` kernel.
        """
        x, squeeze = self._check_image(image)
        height, width, _ = x.shape
        pad = self.kernel_size // 2 if self.pad_keys else 0
        # The zero padding of the convolution, as key pixels that hold zeros.
        padded = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
        key_tokens = padded.reshape(-1, x.shape[2])
        key_pos, _ = self._key_grid((height, width))
        rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        query_pos = np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.float64)
        # Values of head h: x_j W_h, its slice of the kernel applied to each key pixel.
        values = np.einsum("nc,hco->hno", key_tokens, self.head_projections(x.shape[2]))
        out = np.zeros((height * width, values.shape[2]))
        chunk = max(1, _CHUNK_PAIRS // len(key_pos))
        for start in range(0, len(query_pos), chunk):
            deltas = key_pos[None, :, :] - query_pos[start : start + chunk, None, :]
            r_delta = quadratic_encoding(deltas)
            # Content terms are zero (queries and keys of width 1 holding 0):
            # each head's score is its positional term q_h . r_delta alone.
            no_q = np.zeros((len(deltas), 1))
            no_k = np.zeros((len(key_pos), 1))
            for h in range(self.num_heads):
                out[start : start + chunk] += scaled_dot_product_attention(
                    no_q, no_k, values[h], bias=r_delta @ self.head_queries[h]
                )
        result = out.reshape(height, width, -1)
        return result[:, :, 0] if squeeze else result


def attention_as_conv(
    kernel: np.ndarray, alpha: float, pad_keys: bool = True
) -> AttentionAsConv:
    """A ``K*K``-head self-attention layer that tends to ``conv2d(image, kernel)``.

    The construction of Cordonnier, Loukas and Jaggi (2020). Head ``h`` owns
    one kernel offset ``Delta_h``. Its score for key pixel ``j`` of query pixel
    ``i`` is positional only, ``q_h . r_delta`` with ``r_delta = (|delta|^2,
    delta_1, delta_2)``, ``delta = p_j - p_i`` and ``q_h = -alpha (1, -2
    Delta_h1, -2 Delta_h2)``; that is ``-alpha |delta - Delta_h|^2`` plus a
    constant, so the softmax is a discrete Gaussian of width ``1/sqrt(2 alpha)``
    centred on the key pixel ``p_i + Delta_h``. Head ``h`` multiplies what it
    reads by the kernel slice ``w_Delta_h`` (its value and output projection),
    and the heads are summed.

    At a border query pixel, ``p_i + Delta_h`` can lie outside the image. A
    convolution with zero padding reads a zero there; attention can only
    spread weight over key pixels that exist. With ``pad_keys=True`` (the
    default) the layer therefore adds the ``K // 2``-pixel zero border as
    extra key pixels (they hold zeros; queries are only the image's pixels),
    and then ``max |layer(image) - conv2d(image, kernel)|`` is at most
    ``(theta_3(e^-alpha)^2 - 1) * sum_h 2 max|X W_h|``, about
    ``8 e^-alpha * sum_h max|X W_h|``. With ``pad_keys=False`` a head whose
    target lies outside reads the nearest image pixel instead, and the border
    error does not vanish (the limit is a convolution with edge-replicating
    padding).

    Parameters
    ----------
    kernel : array_like, shape (K, K) or (K, K, C_in, C_out)
        Cross-correlation kernel, ``K`` odd, indexed ``kernel[Delta_1 + K//2,
        Delta_2 + K//2]`` like :func:`~convattn.conv.conv2d`.
    alpha : float
        Sharpness ``alpha > 0``. The error falls like ``e^-alpha``.
    pad_keys : bool
        Add the zero padding as key pixels (see above).

    Returns
    -------
    AttentionAsConv
        Call it on an image to get the output image.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> layer = attention_as_conv(np.ones((3, 3)) / 9, alpha=30.0)
    >>> layer
    AttentionAsConv(kernel_size=3, alpha=30, num_heads=9, pad_keys=True)
    >>> box = np.pad(image, 1)
    >>> want = sum(box[r : r + 4, c : c + 4] for r in range(3) for c in range(3)) / 9
    >>> bool(np.abs(layer(image) - want).max() < 1e-10)
    True
    """
    return AttentionAsConv(kernel, alpha, pad_keys=pad_keys)


@keeps_float16
def local_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    shape: tuple[int, int],
    window_size: int,
    position_bias: np.ndarray | None = None,
    return_weights: bool = False,
):
    """Attention in which each query pixel reads only a square window of key pixels.

    For query pixel ``i`` at ``p_i`` and each offset ``delta`` with
    ``|delta_1|, |delta_2| <= window_size // 2`` whose key pixel ``j`` at ``p_i + delta``
    lies inside the image, the score is ``q_i . k_j / sqrt(d) + b_delta``;
    the weights are the softmax of those scores; the output is the weighted
    sum of ``v_j``. Key pixels outside the window (or outside the image) get
    no weight. Cost ``O(N window_size^2 d)`` instead of ``O(N^2 d)``. With
    ``window_size >= 2 max(H, W) - 1`` every key pixel is in every window
    and this equals global attention with bias ``b_ij = b_delta``.

    Parameters
    ----------
    q, k : array_like, shape (N, d)
        Queries and keys of the ``N = H*W`` pixels, row-major.
    v : array_like, shape (N, d_v)
        Values.
    shape : (H, W)
        Image size, ``H*W = N``.
    window_size : int
        The window's side, odd (a window size, not the kernel size ``K``).
    position_bias : array_like, shape (window_size, window_size), optional
        ``b_delta`` at ``[delta_1 + window_size // 2, delta_2 + window_size // 2]``;
        zero if omitted.
    return_weights : bool
        Also return the weights.

    Returns
    -------
    out : ndarray, shape (N, d_v)
    weights : ndarray, shape (N, window_size, window_size)
        Only if ``return_weights``: the weight of the key pixel at each offset
        (zero outside the image); each query's weights sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(9, 1)
    >>> out, w = local_attention(0 * x, 0 * x, x, (3, 3), 3, return_weights=True)
    >>> out[4, 0], out[0, 0]  # centre: mean of all 9; corner: mean of 4
    (np.float64(4.0), np.float64(2.0))
    >>> w[0]
    array([[0.  , 0.  , 0.  ],
           [0.  , 0.25, 0.25],
           [0.  , 0.25, 0.25]])
    """
    q, k, v = check_qkv(q, k, v)
    height, width = check_shape(shape)
    n = height * width
    for name, arr in (("q", q), ("k", k), ("v", v)):
        if arr.shape[0] != n:
            raise ValueError(f"{name} must have H*W = {n} rows; got shape {arr.shape}")
    size = as_positive_int(window_size, "window_size")
    if size % 2 == 0:
        raise ValueError(f"window_size must be odd; got {size}")
    dtype = np.result_type(q, k, v)
    if position_bias is None:
        bias = np.zeros((size, size), dtype=dtype)
    else:
        bias = as_float_array(position_bias, "position_bias", ndim=2)
        if bias.shape != (size, size):
            raise ValueError(
                f"position_bias must have shape ({size}, {size}); got {bias.shape}"
            )
    return_weights = check_flag(return_weights, "return_weights")
    # The bias does not decide the precision: float32 tokens stay float32.
    bias = bias.astype(dtype, copy=False)
    check_memory(
        3.0 * n * size * size * np.dtype(dtype).itemsize,
        f"the scores of {n} query pixels over {size} x {size} windows",
        "pass a smaller window_size or image",
    )
    r = size // 2
    qg = q.reshape(height, width, -1)
    kp = np.pad(k.reshape(height, width, -1), ((r, r), (r, r), (0, 0)))
    vp = np.pad(v.reshape(height, width, -1), ((r, r), (r, r), (0, 0)))
    inside = np.pad(np.ones((height, width), dtype=bool), r)
    # Every query pixel's window at once, as views (nothing is copied):
    # [row, col, ..., a, b] is the key pixel at offset (a - r, b - r) from it.
    windows = (size, size)
    k_win = sliding_window_view(kp, windows, axis=(0, 1))  # (H, W, d, size, size)
    v_win = sliding_window_view(vp, windows, axis=(0, 1))  # (H, W, d_v, size, size)
    in_win = sliding_window_view(inside, windows)  # (H, W, size, size)
    scale = 1.0 / np.sqrt(q.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        s = np.einsum("hwd,hwdab->hwab", qg, k_win, order="C") * scale + bias
    scores = np.where(in_win, s, -np.inf).astype(dtype, copy=False)
    flat = scores.reshape(height, width, size * size)
    top = flat.max(axis=-1, keepdims=True)
    check_scores(top, dtype, position_bias is not None)  # the overflow rule
    flat = flat - top
    weights = np.exp(flat)
    weights /= weights.sum(axis=-1, keepdims=True)
    weights = weights.reshape(height, width, size, size)
    out = np.einsum("hwab,hwdab->hwd", weights, v_win).reshape(n, -1)
    if return_weights:
        return out, weights.reshape(n, size, size)
    return out
