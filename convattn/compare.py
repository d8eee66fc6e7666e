"""Convolution and attention side by side: cost, equivariance, reach.

Everything here measures one of the differences between a convolution and a
self-attention layer for the same query pixel:

- *cost*: :func:`conv_cost` and :func:`attention_cost` count parameters and
  multiply-adds exactly, as the image (``N = H * W``) and the channels grow;
- *receptive field*: :func:`convattn.conv.effective_receptive_field` is the weight every key pixel
  gets from a stack of linear convolutions for any query pixel,
  :func:`attention_map` the weights an attention layer gives them;
- *equivariance*: :func:`translation_equivariance_error` and
  :func:`permutation_equivariance_error` measure how far a layer is from
  commuting with a shift of the image or a shuffle of its pixels;
- *reach*: the long-range task ``y[r, c] = x[r, c + D]``
  (:func:`long_range_task`), which one attention layer solves for every
  distance ``D`` (:func:`long_range_attention_bias`,
  :func:`attention_long_range_error`), and a stack of ``L`` convolutions only
  when ``D <= (R - 1) / 2`` with ``R = L (K - 1) + 1``
  (:func:`conv_stack_solution`, :func:`conv_stack_best_error`,
  :func:`long_range_sweep`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from . import attention, conv
from ._validate import as_float_array, as_positive_float, as_positive_int, check_shape
from .images import pixel_index

__all__ = [
    "Cost",
    "LongRangeSweep",
    "attention_cost",
    "attention_long_range_error",
    "attention_map",
    "conv_cost",
    "conv_stack_best_error",
    "conv_stack_solution",
    "long_range_attention_bias",
    "long_range_sweep",
    "long_range_task",
    "permutation_equivariance_error",
    "translation_equivariance_error",
]


# --- small input checks ---------------------------------------------------------


def _check_generator(rng: object, name: str = "rng") -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator or a seed (int >= 0); got {rng!r}"
    )


def _check_kernel_size(kernel_size: object) -> int:
    k = as_positive_int(kernel_size, "kernel_size")
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd so a kernel has a centre; got {k}")
    return k


def _relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """``|got - want| / |want|`` (Frobenius norms); 0 when both are zero."""
    num = float(np.linalg.norm(got - want))
    den = float(np.linalg.norm(want))
    if num == 0.0:
        return 0.0
    return num / den if den > 0 else float("inf")


# --- cost -----------------------------------------------------------------------


class Cost(NamedTuple):
    """Size and work of one layer: ``(params, macs)``."""

    #: Learned numbers (weights; biases are left out for both kinds of layer).
    params: int
    #: Multiply-adds of one forward pass over the whole image.
    macs: int


def conv_cost(shape: Sequence[int], kernel_size: int, c_in: int, c_out: int) -> Cost:
    """Parameters and multiply-adds of one ``K x K`` convolution.

    A ``K x K`` kernel holds a ``C_in x C_out`` matrix for each of its ``K^2``
    offsets, and every one of the ``N = H W`` query pixels applies all of them
    (zero padding, output the size of the input, padded zeros multiplied like
    any other pixel)::

        params = K^2 C_in C_out
        macs   = N K^2 C_in C_out

    The parameters do not depend on the image; the work grows like ``N``.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
        Image size; channels in ``shape`` are ignored (``c_in`` counts).
    kernel_size : int
        Odd ``K``.
    c_in, c_out : int
        Input and output channels.

    Returns
    -------
    Cost
        ``(params, macs)``.

    Examples
    --------
    >>> conv_cost((4, 4), kernel_size=3, c_in=2, c_out=5)
    Cost(params=90, macs=1440)
    """
    h, w = check_shape(shape)
    k = _check_kernel_size(kernel_size)
    c_in = as_positive_int(c_in, "c_in")
    c_out = as_positive_int(c_out, "c_out")
    params = k * k * c_in * c_out
    return Cost(params=params, macs=h * w * params)


def attention_cost(
    shape: Sequence[int],
    c_in: int,
    d: int,
    d_v: int | None = None,
    num_heads: int = 1,
    c_out: int | None = None,
) -> Cost:
    """Parameters and multiply-adds of one (multi-head) self-attention layer.

    The layer is :class:`~convattn.SelfAttention`: ``W_Q, W_K`` are
    ``C_in x d``, ``W_V`` is ``C_in x d_v`` and ``W_O`` is ``d_v x C_out``, and
    ``num_heads`` heads split the widths ``d`` and ``d_v`` between them. Over
    ``N = H W`` pixels::

        params = C_in (2 d + d_v) + d_v C_out
        macs   = N C_in (2 d + d_v)     projections  X W_Q, X W_K, X W_V
               + N^2 d                  scores  Q K^T (all heads)
               + N^2 d_v                weighted sums  A V (all heads)
               + N d_v C_out            output projection

    The parameters do not depend on the image; the work grows like ``N^2``.
    Splitting the same widths into more heads changes neither count (each
    head works with ``d / N_h`` columns); it multiplies the ``N x N`` weight
    maps held in memory by ``N_h``. The softmax (``N_h N^2`` exponentials) is
    not a multiply-add and is not counted; biases are left out, as in
    :func:`conv_cost`.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
        Image size; channels in ``shape`` are ignored (``c_in`` counts).
    c_in : int
        Input channels ``C_in``.
    d : int
        Width of queries and keys, all heads together.
    d_v : int, optional
        Width of values, all heads together; ``d`` by default.
    num_heads : int
        ``N_h``; must divide ``d`` and ``d_v``.
    c_out : int, optional
        Output channels; ``c_in`` by default (as in ``SelfAttention``).

    Returns
    -------
    Cost
        ``(params, macs)``.

    Examples
    --------
    >>> attention_cost((2, 2), c_in=3, d=2, d_v=4, c_out=1)
    Cost(params=28, macs=208)
    >>> attention_cost((2, 2), c_in=3, d=2, d_v=4, c_out=1, num_heads=2)
    Cost(params=28, macs=208)
    """
    h, w = check_shape(shape)
    c_in = as_positive_int(c_in, "c_in")
    d = as_positive_int(d, "d")
    d_v = d if d_v is None else as_positive_int(d_v, "d_v")
    heads = as_positive_int(num_heads, "num_heads")
    c_o = c_in if c_out is None else as_positive_int(c_out, "c_out")
    for name, width in (("d", d), ("d_v", d_v)):
        if width % heads:
            raise ValueError(
                f"num_heads must divide the width {name} = {width}; got {heads}"
            )
    n = h * w
    proj = c_in * (2 * d + d_v)
    out = d_v * c_o
    return Cost(params=proj + out, macs=n * proj + n * n * (d + d_v) + n * out)


# --- receptive fields -------------------------------------------------------------


def _check_kernels(kernels: object) -> list[np.ndarray]:
    if isinstance(kernels, np.ndarray) and kernels.ndim == 2:
        kernels = [kernels]
    if not isinstance(kernels, Sequence | np.ndarray) or len(kernels) == 0:
        raise ValueError(
            f"kernels must be a 2-D kernel or a non-empty list of them; got {kernels!r:.80}"
        )
    out = []
    for i, kern in enumerate(kernels):
        kk = as_float_array(kern, f"kernels[{i}]", ndim=2)
        if kk.shape[0] % 2 == 0 or kk.shape[1] % 2 == 0:
            raise ValueError(
                f"kernels[{i}] must have odd sides so it has a centre; got {kk.shape}"
            )
        out.append(kk)
    return out


def _check_query(query: object, h: int, w: int) -> tuple[int, int]:
    if not isinstance(query, Sequence) or len(query) != 2:
        raise TypeError(f"query must be a pair (row, col); got {query!r}")
    pixel_index(query[0], query[1], (h, w))  # range and type checks
    return int(query[0]), int(query[1])


def attention_map(weights: np.ndarray, query: tuple[int, int], shape: Sequence[int]):
    """One query pixel's attention weights over the key pixels, as an image.

    A thin reshape: row ``i`` of the ``(N, N)`` weights (as returned by
    ``scaled_dot_product_attention(..., return_weights=True)``) for the query
    pixel ``i = pixel_index(row, col, shape)``, folded to ``(H, W)``. It is the
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
    r, c = _check_query(query, h, w)
    row = a[..., r * w + c, :]
    return row.reshape(*a.shape[:-2], h, w)


# --- equivariance -----------------------------------------------------------------


def translation_equivariance_error(
    layer: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    shift: tuple[int, int],
) -> float:
    """How far ``layer`` is from commuting with a circular shift of the image.

    With ``T`` the shift ``np.roll(x, shift, axis=(0, 1))``, this returns the
    relative error ``|f(T x) - T f(x)| / |T f(x)|`` (Frobenius norms): 0 when
    shifting the input shifts the output by the same amount. A convolution
    with circular padding gives 0 for every shift; zero padding breaks it
    near the border; attention without positions also gives 0 (a circular
    shift is a permutation of the pixels).

    Parameters
    ----------
    layer : callable
        ``layer(image) -> image`` with the same height and width.
    image : ndarray, shape (H, W) or (H, W, C)
    shift : (int, int)
        Rows down and columns right (negative: up, left).

    Returns
    -------
    float
        The relative error (0 if both outputs are zero).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> translation_equivariance_error(lambda z: 2 * z, x, (1, 2))
    0.0
    >>> round(translation_equivariance_error(lambda z: z * x, x, (0, 1)), 4)
    0.1584
    """
    if not callable(layer):
        raise TypeError(f"layer must be callable; got {type(layer).__name__}")
    img = as_float_array(image, "image", ndim=(2, 3))
    if (
        not isinstance(shift, Sequence)
        or len(shift) != 2
        or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shift
        )
    ):
        raise TypeError(f"shift must be a pair of integers (rows, cols); got {shift!r}")
    dr, dc = int(shift[0]), int(shift[1])
    out = np.asarray(layer(img), dtype=float)
    out_shifted_in = np.asarray(layer(np.roll(img, (dr, dc), axis=(0, 1))), dtype=float)
    if (
        out.ndim < 2
        or out.shape[:2] != img.shape[:2]
        or out_shifted_in.shape != out.shape
    ):
        raise ValueError(
            f"layer must return an image of the input's height and width "
            f"{img.shape[:2]}; got {out.shape}"
        )
    return _relative_error(out_shifted_in, np.roll(out, (dr, dc), axis=(0, 1)))


def permutation_equivariance_error(
    layer: Callable[[np.ndarray], np.ndarray],
    tokens: np.ndarray,
    rng: np.random.Generator | int = 0,
) -> float:
    """How far ``layer`` is from commuting with a random shuffle of the pixels.

    With a random permutation ``P`` of the ``N`` rows, this returns
    ``|f(P X) - P f(X)| / |P f(X)|`` (Frobenius norms). Self-attention without
    positions gives 0 for every permutation: it sees a set of pixels, not an
    image. A convolution, or attention with positions, does not.

    Parameters
    ----------
    layer : callable
        ``layer(tokens) -> (N, C_out)`` array.
    tokens : ndarray, shape (N, C)
    rng : numpy.random.Generator or int
        Source of the permutation (a seed is turned into a generator).

    Returns
    -------
    float
        The relative error (0 if both outputs are zero).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(6, 2)
    >>> permutation_equivariance_error(lambda t: t - t.mean(0), x, rng=0)
    0.0
    >>> permutation_equivariance_error(lambda t: np.cumsum(t, 0), x, rng=0) > 0
    True
    """
    if not callable(layer):
        raise TypeError(f"layer must be callable; got {type(layer).__name__}")
    toks = as_float_array(tokens, "tokens", ndim=2)
    gen = _check_generator(rng)
    perm = gen.permutation(toks.shape[0])
    out = np.asarray(layer(toks), dtype=float)
    out_perm_in = np.asarray(layer(toks[perm]), dtype=float)
    if out.ndim != 2 or out.shape[0] != toks.shape[0] or out_perm_in.shape != out.shape:
        raise ValueError(
            f"layer must return one row per token ({toks.shape[0]}, C_out); "
            f"got {out.shape}"
        )
    return _relative_error(out_perm_in, out[perm])


# --- the long-range task ----------------------------------------------------------


def _check_distance(distance: object, w: int | None = None) -> int:
    dist = as_positive_int(distance, "distance", minimum=0)
    if w is not None and dist >= w:
        raise ValueError(
            f"distance must be smaller than the image width {w}; got {dist}"
        )
    return dist


def long_range_task(image: np.ndarray, distance: int) -> tuple[np.ndarray, np.ndarray]:
    """The long-range task: every pixel must output the pixel ``D`` columns right.

    ``y[r, c] = x[r, c + D]``. The target exists only for the query pixels
    whose source lies inside the image, ``c < W - D``; the others are
    marked invalid (and set to 0) and every error in this module skips them.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    distance : int
        ``0 <= D < W``.

    Returns
    -------
    target : ndarray, same shape as ``image``
    valid : ndarray of bool, shape (H, W)
        True where the target is defined.

    Examples
    --------
    >>> import numpy as np
    >>> target, valid = long_range_task(np.arange(8.0).reshape(2, 4), 1)
    >>> target
    array([[1., 2., 3., 0.],
           [5., 6., 7., 0.]])
    >>> valid[0]
    array([ True,  True,  True, False])
    """
    img = as_float_array(image, "image", ndim=(2, 3))
    h, w = img.shape[:2]
    dist = _check_distance(distance, w)
    target = np.zeros_like(img)
    target[:, : w - dist] = img[:, dist:]
    valid = np.zeros((h, w), dtype=bool)
    valid[:, : w - dist] = True
    return target, valid


def conv_stack_solution(
    distance: int, kernel_size: int, layers: int
) -> list[np.ndarray]:
    """``L`` shift kernels whose stack solves the long-range task exactly.

    Each ``K x K`` kernel is one 1 at column offset ``s <= (K - 1) / 2`` from
    its centre (zeros elsewhere): the layer copies the pixel ``s`` columns to
    the right. ``L`` such layers move a pixel by up to ``L (K - 1) / 2 =
    (R - 1) / 2`` columns, which is exactly how far the stack can see.

    Parameters
    ----------
    distance : int
        ``D >= 0``.
    kernel_size : int
        Odd ``K``.
    layers : int
        ``L >= 1``.

    Returns
    -------
    list of ndarray, each (K, K)
        Apply them in order with ``conv2d(..., padding="zeros")``.

    Raises
    ------
    ValueError
        If ``D > (R - 1) / 2``: no stack of ``L`` such convolutions reads that
        far (see :func:`conv_stack_best_error` for how well it can do).

    Examples
    --------
    >>> [k.astype(int).tolist() for k in conv_stack_solution(3, 3, 3)][0]
    [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    """
    dist = _check_distance(distance)
    k = _check_kernel_size(kernel_size)
    n_layers = as_positive_int(layers, "layers")
    half = k // 2
    if dist > n_layers * half:
        raise ValueError(
            f"distance must be at most L (K - 1) / 2 = {n_layers * half} for "
            f"{n_layers} layers of {k}x{k} kernels (receptive field "
            f"{n_layers * (k - 1) + 1}); got {dist}"
        )
    if k == 1:  # 1 x 1 layers only reach the query pixel itself
        return [np.ones((1, 1)) for _ in range(n_layers)]
    kernels = []
    left = dist
    for _ in range(n_layers):
        step = min(left, half)
        kernels.append(conv.shift_kernel(0, step, size=k))
        left -= step
    return kernels


def _zero_padded_patches(images: np.ndarray, size: int) -> np.ndarray:
    """``(n, H, W, size * size)``: the zero-padded ``size x size`` window of each pixel."""
    half = size // 2
    padded = np.pad(images, ((0, 0), (half, half), (half, half)))
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (size, size), axis=(1, 2)
    )
    return windows.reshape(*images.shape, size * size)


def _random_images(gen: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
    return gen.standard_normal((n, h, w))


def conv_stack_best_error(
    distance: int,
    kernel_size: int,
    layers: int,
    shape: Sequence[int] = (12, 32),
    num_images: int = 16,
    rng: np.random.Generator | int = 0,
) -> float:
    """The smallest error any stack of ``L`` linear ``K x K`` convolutions reaches.

    The output of ``L`` stacked ``K x K`` convolutions at a query pixel is a
    linear function of the ``R x R`` window around it, ``R = L (K - 1) + 1``
    (the receptive field), and with enough channels every ``R x R`` kernel is
    reachable. So the best such stack is the best ``R x R`` kernel, found here
    by linear least squares (plus a constant) on ``num_images`` random images
    of independent standard-normal pixels, and scored on as many fresh ones.

    The result is the relative mean squared error on the valid query pixels
    (:func:`long_range_task`): ``sum (y - y_hat)^2 / sum y^2``. It is 0 (to
    rounding) when ``D <= (R - 1) / 2``; otherwise the source pixel lies
    outside the window, is independent of everything inside it, and the error
    is about 1: nothing in the window predicts it (this holds for any
    function of the window, not only linear ones).

    Parameters
    ----------
    distance : int
        ``0 <= D < W``.
    kernel_size : int
        Odd ``K``.
    layers : int
        ``L >= 1``.
    shape : (H, W)
        Size of the random images.
    num_images : int
        Images to fit on (and as many to score on).
    rng : numpy.random.Generator or int

    Returns
    -------
    float
        Relative mean squared error on held-out images.

    Examples
    --------
    >>> round(conv_stack_best_error(2, kernel_size=3, layers=2), 6)
    0.0
    >>> round(conv_stack_best_error(3, kernel_size=3, layers=2), 1)
    1.0
    """
    k = _check_kernel_size(kernel_size)
    n_layers = as_positive_int(layers, "layers")
    h, w = check_shape(shape)
    dist = _check_distance(distance, w)
    n_img = as_positive_int(num_images, "num_images")
    gen = _check_generator(rng)
    return float(
        _best_kernel_errors([dist], n_layers * (k - 1) + 1, h, w, n_img, gen)[0]
    )


def _best_kernel_errors(
    distances: list[int],
    size: int,
    h: int,
    w: int,
    n_img: int,
    gen: np.random.Generator,
) -> np.ndarray:
    """Held-out relative error of the best ``size x size`` kernel, per distance.

    One least-squares fit per distance, all sharing one design matrix: the
    query pixels scored are those valid for every distance,
    ``c < W - max(distances)``.
    """
    width = w - max(distances)
    n_valid = n_img * h * width
    if n_valid <= size * size + 1:
        raise ValueError(
            f"num_images must give more valid pixels ({n_valid}) than the "
            f"{size * size + 1} unknowns of an {size}x{size} kernel; raise it or "
            f"the image shape"
        )

    def design(images):
        feats = _zero_padded_patches(images, size)[:, :, :width]
        feats = feats.reshape(-1, size * size)
        targets = np.stack(
            [images[:, :, d : d + width].reshape(-1) for d in distances], axis=1
        )
        return np.column_stack([feats, np.ones(len(feats))]), targets

    x_fit, y_fit = design(_random_images(gen, n_img, h, w))
    x_test, y_test = design(_random_images(gen, n_img, h, w))
    # Normal equations: one small (size^2 + 1)-square solve for every distance
    # at once. The random design is well conditioned (many more pixels than
    # unknowns), so this is as accurate as an SVD-based lstsq, and far cheaper.
    coef = np.linalg.solve(x_fit.T @ x_fit, x_fit.T @ y_fit)
    resid = y_test - x_test @ coef
    return (resid**2).sum(axis=0) / (y_test**2).sum(axis=0)


def long_range_attention_bias(
    shape: Sequence[int], distance: int, sharpness: float = 50.0
) -> np.ndarray:
    """A relative-position bias that makes every query pixel attend ``D`` columns right.

    ``b_ij = -sharpness * |p_j - p_i - (0, D)|^2``: 0 for the key pixel at
    offset ``(0, D)`` from the query pixel, and at most ``-sharpness`` for every
    other one. It depends on the offset ``p_j - p_i`` only (a relative-position
    bias: ``(2H - 1)(2W - 1)`` numbers, whatever ``D`` is), and with a large
    ``sharpness`` the softmax puts all its weight on one key pixel.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
    distance : int
        ``0 <= D < W``.
    sharpness : float
        ``> 0``.

    Returns
    -------
    ndarray, shape (N, N)

    Examples
    --------
    >>> long_range_attention_bias((1, 3), 1, sharpness=1.0)
    array([[-1.,  0., -1.],
           [-4., -1.,  0.],
           [-9., -4., -1.]])
    """
    h, w = check_shape(shape)
    dist = _check_distance(distance, w)
    beta = as_positive_float(sharpness, "sharpness")
    # 0.0 - x: no negative zeros at the peak.
    return attention.relative_position_bias(
        (h, w), lambda dr, dc: 0.0 - beta * (dr**2 + (dc - dist) ** 2)
    )


def attention_long_range_error(
    distance: int,
    shape: Sequence[int] = (12, 32),
    num_images: int = 16,
    rng: np.random.Generator | int = 0,
    sharpness: float = 50.0,
) -> float:
    """The error of one attention layer on the long-range task, at any distance.

    The layer is ``scaled_dot_product_attention(q, k, v, bias)`` with the
    pixels as values, constant queries and keys (so content plays no part)
    and the bias of :func:`long_range_attention_bias`: each query pixel puts
    weight ``1 / (1 + O(exp(-sharpness)))`` on the key pixel ``D`` columns to
    its right. Scored like :func:`conv_stack_best_error`, on random images.

    Parameters
    ----------
    distance : int
        ``0 <= D < W``.
    shape : (H, W)
    num_images : int
    rng : numpy.random.Generator or int
    sharpness : float
        ``> 0``; the error falls like ``exp(-sharpness)``.

    Returns
    -------
    float
        Relative mean squared error on the valid query pixels.

    Examples
    --------
    >>> attention_long_range_error(20) < 1e-12
    True
    """
    h, w = check_shape(shape)
    dist = _check_distance(distance, w)
    n_img = as_positive_int(num_images, "num_images")
    gen = _check_generator(rng)
    bias = long_range_attention_bias((h, w), dist, sharpness)
    images = _random_images(gen, n_img, h, w)
    values = images.reshape(n_img, h * w).T  # (N, n): each image is one channel
    flat = np.zeros((h * w, 1))
    out = attention.scaled_dot_product_attention(flat, flat, values, bias=bias)
    pred = out.T.reshape(n_img, h, w)[:, :, : w - dist]
    target = images[:, :, dist:]
    resid = (pred - target).ravel()
    return float(resid @ resid / (target.ravel() @ target.ravel()))


class LongRangeSweep(NamedTuple):
    """Errors on the long-range task over distances ``D`` and depths ``L``."""

    #: The distances ``D``, shape ``(n_D,)``.
    distances: np.ndarray
    #: The depths ``L``, shape ``(n_L,)``.
    layers: np.ndarray
    #: ``R = L (K - 1) + 1`` for each depth, shape ``(n_L,)``.
    receptive_fields: np.ndarray
    #: Best error of a stack of ``L`` convolutions (:func:`conv_stack_best_error`),
    #: shape ``(n_L, n_D)``.
    conv_error: np.ndarray
    #: Error of one attention layer (:func:`attention_long_range_error`),
    #: shape ``(n_D,)``.
    attention_error: np.ndarray


def long_range_sweep(
    distances: Sequence[int],
    layers: Sequence[int],
    kernel_size: int = 3,
    shape: Sequence[int] = (12, 32),
    num_images: int = 16,
    rng: np.random.Generator | int = 0,
) -> LongRangeSweep:
    """Sweep the long-range task over distances ``D`` and conv depths ``L``.

    Every depth is fitted on the same random images, and every distance is
    scored on the same query pixels (those valid for the largest distance,
    ``c < W - max(D)``), so the table changes only with ``D`` and ``L``.

    Parameters
    ----------
    distances : sequence of int
        Each ``0 <= D < W``.
    layers : sequence of int
        Each ``L >= 1``.
    kernel_size : int
        Odd ``K``.
    shape, num_images, rng
        As in :func:`conv_stack_best_error`.

    Returns
    -------
    LongRangeSweep

    Examples
    --------
    >>> sweep = long_range_sweep([1, 2, 3], [1, 2], kernel_size=3)
    >>> sweep.receptive_fields
    array([3, 5])
    >>> sweep.conv_error.round(1)
    array([[0., 1., 1.],
           [0., 0., 1.]])
    >>> bool(sweep.attention_error.max() < 1e-12)
    True
    """
    if isinstance(distances, numbers.Integral) or isinstance(layers, numbers.Integral):
        raise TypeError("distances and layers must be sequences of integers")
    dists = [_check_distance(dd) for dd in distances]
    depths = [as_positive_int(ll, "layers") for ll in layers]
    if not dists:
        raise ValueError("distances must not be empty")
    if not depths:
        raise ValueError("layers must not be empty")
    k = _check_kernel_size(kernel_size)
    h, w = check_shape(shape)
    for dd in dists:
        _check_distance(dd, w)
    n_img = as_positive_int(num_images, "num_images")
    seed = int(_check_generator(rng).integers(2**32))
    conv_err = np.array(
        [
            _best_kernel_errors(
                dists, ll * (k - 1) + 1, h, w, n_img, np.random.default_rng(seed)
            )
            for ll in depths
        ]
    )
    attn_err = np.array(
        [attention_long_range_error(dd, (h, w), n_img, seed) for dd in dists]
    )
    return LongRangeSweep(
        distances=np.array(dists),
        layers=np.array(depths),
        receptive_fields=np.array([ll * (k - 1) + 1 for ll in depths]),
        conv_error=conv_err,
        attention_error=attn_err,
    )
