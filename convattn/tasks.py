"""Synthetic tasks: what a layer must read to solve them.

- The *marker task* (:func:`marker_task`, chapter 4): every pixel must copy
  the colour of the marker pixel that shares its label, wherever that marker
  is. It needs retrieval by content, which attention learns.
- The *long-range task* (:func:`long_range_task`, chapter 6):
  ``y[r, c] = x[r, c + D]``. One attention layer solves it for every distance
  ``D`` (:func:`long_range_attention_bias`, :func:`attention_long_range_error`);
  a stack of ``L`` convolutions only when ``D <= (R - 1) / 2`` with
  ``R = L (K - 1) + 1`` (:func:`conv_stack_solution`,
  :func:`conv_stack_best_error`, :func:`long_range_sweep`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from . import attention, conv
from ._validate import (
    as_float_array,
    as_odd_int,
    as_positive_float,
    as_positive_int,
    check_image,
    check_memory,
    check_rng,
    check_shape,
)

__all__ = [
    "MARKER_PALETTE",
    "LongRangeSweep",
    "attention_long_range_error",
    "conv_stack_best_error",
    "conv_stack_solution",
    "long_range_attention_bias",
    "long_range_sweep",
    "long_range_task",
    "marker_task",
    "nearest_colour_accuracy",
]


# --- the marker task ----------------------------------------------------------------


#: Marker colours of :func:`marker_task`: red, green, blue, yellow, magenta, cyan.
MARKER_PALETTE = np.array(
    [
        [0.9, 0.1, 0.1],
        [0.1, 0.7, 0.2],
        [0.15, 0.3, 0.95],
        [0.95, 0.8, 0.1],
        [0.8, 0.2, 0.8],
        [0.1, 0.8, 0.8],
    ]
)
#: Grey levels that show the labels of :func:`marker_task` in its pictures.
_LABEL_GREYS = np.array([0.25, 0.5, 0.75])


def marker_task(
    num_images: int, size: int = 10, rng: np.random.Generator | int = 0
) -> dict[str, np.ndarray]:
    """A synthetic task that needs content-based retrieval: copy your marker's colour.

    Each image is cut into three regions (labels 0, 1, 2) around three random
    centres. Three *marker* pixels, one per label, sit anywhere in the image
    (not necessarily in their own region) and carry three different colours
    from :data:`MARKER_PALETTE`. Every pixel must output the colour of the
    marker that has its own label. Where the marker is varies from image to
    image, so no fixed positional rule (and no convolution of fixed size)
    solves it; comparing raw colours does not either, because ordinary pixels
    have no colour.

    The record of a pixel has 7 channels: its label, one-hot (3); its colour
    (3; zero for ordinary pixels); a marker flag (1).

    Parameters
    ----------
    num_images : int
    size : int
        Height and width, at least 2.
    rng : numpy.random.Generator or int

    Returns
    -------
    dict
        ``inputs`` ``(B, N, 7)``; ``targets`` ``(B, N, 3)``, the colours to
        output; ``target_index`` ``(B, N)``, their rows in the palette;
        ``labels`` ``(B, N)``; ``markers`` ``(B, 3)``, the token index of the
        marker of each label; ``images`` ``(B, size, size, 3)``, a picture of
        each input (labels as grey levels, markers in colour).

    Examples
    --------
    >>> task = marker_task(2, size=6, rng=0)
    >>> task["inputs"].shape, task["targets"].shape, task["images"].shape
    ((2, 36, 7), (2, 36, 3), (2, 6, 6, 3))
    >>> task["inputs"][..., 6].sum(axis=1)  # three markers per image
    array([3., 3.])
    """
    b = as_positive_int(num_images, "num_images")
    size = as_positive_int(size, "size", minimum=2)
    rng = check_rng(rng)
    n, num_labels = size * size, 3
    # The largest arrays: distances to the centres and the 7-channel records.
    check_memory(
        8.0 * b * n * (num_labels * 3 + 7 + 3 + 3 + 4),
        f"{b} marker images of {size} x {size} pixels",
        "pass a smaller size or num_images",
    )
    rows, cols = np.divmod(np.arange(n), size)
    pos = np.stack([rows, cols], axis=1).astype(float)
    centres = rng.uniform(0, size, size=(b, num_labels, 2))
    dist = ((pos[None, :, None, :] - centres[:, None, :, :]) ** 2).sum(-1)
    labels = dist.argmin(-1)  # (B, N): the nearest centre
    # Distinct marker pixels and distinct colours per image: argsort of noise.
    markers = rng.random((b, n)).argsort(1)[:, :num_labels]
    colours = rng.random((b, len(MARKER_PALETTE))).argsort(1)[:, :num_labels]
    img = np.arange(b)[:, None]
    labels[img, markers] = np.arange(num_labels)[None]
    colour = np.zeros((b, n, 3))
    colour[img, markers] = MARKER_PALETTE[colours]
    flag = np.zeros((b, n, 1))
    flag[img, markers, 0] = 1.0
    inputs = np.concatenate([np.eye(num_labels)[labels], colour, flag], axis=-1)
    target_index = colours[img, labels]
    pictures = np.repeat(_LABEL_GREYS[labels][..., None], 3, axis=-1)
    pictures[img, markers] = MARKER_PALETTE[colours]
    return {
        "inputs": inputs,
        "targets": MARKER_PALETTE[target_index],
        "target_index": target_index,
        "labels": labels,
        "markers": markers,
        "images": pictures.reshape(b, size, size, 3),
    }


def nearest_colour_accuracy(outputs: np.ndarray, target_index: np.ndarray) -> float:
    """Fraction of pixels whose output is nearest to the right palette colour.

    Parameters
    ----------
    outputs : ndarray, shape (..., 3)
        Predicted colours.
    target_index : ndarray of int, shape (...)
        Row of :data:`MARKER_PALETTE` each pixel should show.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> nearest_colour_accuracy(np.array([[0.8, 0.2, 0.1], [0.5, 0.5, 0.5]]), [0, 1])
    0.5
    """
    out = as_float_array(outputs, "outputs")
    if out.ndim == 0 or out.shape[-1] != 3 or out.size == 0:
        raise ValueError(
            f"outputs must end in 3 colour channels and hold at least one pixel; "
            f"got shape {out.shape}"
        )
    idx = np.asarray(target_index)
    if idx.shape != out.shape[:-1]:
        raise ValueError(
            f"target_index must have shape {out.shape[:-1]} for outputs {out.shape}; "
            f"got {idx.shape}"
        )
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(
            f"target_index must hold integer rows of MARKER_PALETTE; got dtype "
            f"{idx.dtype}"
        )
    if idx.min() < 0 or idx.max() >= len(MARKER_PALETTE):
        raise ValueError(
            f"target_index must hold rows of MARKER_PALETTE, 0 to "
            f"{len(MARKER_PALETTE) - 1}; got values from {idx.min()} to {idx.max()}"
        )
    dist = ((out[..., None, :] - MARKER_PALETTE) ** 2).sum(-1)
    return float((dist.argmin(-1) == idx).mean())


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
    img = check_image(image)
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
    k = as_odd_int(kernel_size, "kernel_size")
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
    k = as_odd_int(kernel_size, "kernel_size")
    n_layers = as_positive_int(layers, "layers")
    h, w = check_shape(shape)
    dist = _check_distance(distance, w)
    n_img = as_positive_int(num_images, "num_images")
    gen = check_rng(rng)
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
    gen = check_rng(rng)
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
    k = as_odd_int(kernel_size, "kernel_size")
    h, w = check_shape(shape)
    for dd in dists:
        _check_distance(dd, w)
    n_img = as_positive_int(num_images, "num_images")
    seed = int(check_rng(rng).integers(2**32))
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
