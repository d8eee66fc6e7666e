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

Real images for chapter 9: scikit-learn's bundled handwritten digits
(:func:`load_digits`, 1,797 images of 8 x 8 pixels, read from inside its
installed package, no download) and variants that each change one thing:
:func:`digits_on_canvas` (each digit at a random place on a larger canvas,
where translation equivariance pays) and :func:`permute_pixels` (one fixed
shuffle of the pixel positions, which destroys neighbourhoods but loses no
information). :func:`same_colour_task` is a long-range task whose label
depends on two pixels far apart.
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
    "SAME_COLOUR_PALETTE",
    "LongRangeSweep",
    "attention_long_range_error",
    "conv_stack_best_error",
    "conv_stack_solution",
    "digits_on_canvas",
    "load_digits",
    "long_range_attention_bias",
    "long_range_sweep",
    "long_range_task",
    "marker_task",
    "nearest_colour_accuracy",
    "permute_pixels",
    "same_colour_task",
]


# --- the marker task ----------------------------------------------------------------


#: Marker colours of :func:`marker_task`, six of the Okabe-Ito colour-blind-safe
#: colours (:data:`convattn.plotting.OKABE_ITO`): vermillion, blue, orange,
#: yellow, reddish purple, sky blue. No red/green pair: simulated for
#: deuteranopia and protanopia (Machado et al. 2009) every two of them stay
#: apart, and the pairs that come closest also differ in lightness.
MARKER_PALETTE = (
    np.array(
        [
            [0xD5, 0x5E, 0x00],
            [0x00, 0x72, 0xB2],
            [0xE6, 0x9F, 0x00],
            [0xF0, 0xE4, 0x42],
            [0xCC, 0x79, 0xA7],
            [0x56, 0xB4, 0xE9],
        ]
    )
    / 255.0
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
            f"{n_layers} layers of {k} × {k} kernels (receptive field "
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


# --- the digits, their variants, and the same-colour task --------------------


def _check_image_batch(images: object, name: str = "images") -> np.ndarray:
    """A batch of grayscale images ``(B, H, W)`` with at least one image."""
    imgs = as_float_array(images, name, ndim=3)
    if 0 in imgs.shape:
        raise ValueError(
            f"{name} must hold at least one image of at least one pixel; "
            f"got shape {imgs.shape}"
        )
    return imgs


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits, as images in [0, 1].

    The 1,797 images of 8 x 8 pixels ship inside scikit-learn
    (``sklearn.datasets.load_digits``), so nothing is downloaded. Each pixel
    holds a count 0-16 of ink from a 4 x 4 block of a 32 x 32 scan; it is
    divided by 16 here.

    Returns
    -------
    images : ndarray, shape (1797, 8, 8), float64
        In [0, 1]; 0 is blank paper, 1 full ink.
    labels : ndarray, shape (1797,), int64
        The digit, 0-9.

    Examples
    --------
    >>> images, labels = load_digits()
    >>> images.shape, images.dtype, float(images.min()), float(images.max())
    ((1797, 8, 8), dtype('float64'), 0.0, 1.0)
    >>> labels[:10]
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    from sklearn.datasets import load_digits as _sklearn_digits

    data = _sklearn_digits()
    images = np.asarray(data.images, dtype=np.float64) / 16.0
    return images, np.asarray(data.target, dtype=np.int64)


def digits_on_canvas(
    images: np.ndarray, size: int = 12, rng: np.random.Generator | int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Paste each image at a random place on a larger blank canvas.

    The top-left corner of image ``n`` lands at ``offsets[n]``, drawn
    uniformly from the ``(size - H + 1) x (size - W + 1)`` places where the
    whole image fits; the rest of the canvas is 0.

    Parameters
    ----------
    images : ndarray, shape (B, H, W)
    size : int
        Side of the square canvas, at least ``max(H, W)``.
    rng : numpy.random.Generator or int
        The places (a seed >= 0 or a Generator).

    Returns
    -------
    canvas : ndarray, shape (B, size, size)
    offsets : ndarray of int, shape (B, 2)
        Row and column of each image's top-left pixel on its canvas.

    Examples
    --------
    >>> import numpy as np
    >>> canvas, offsets = digits_on_canvas(np.ones((2, 2, 3)), size=4, rng=0)
    >>> canvas.shape, offsets.shape
    ((2, 4, 4), (2, 2))
    >>> canvas.sum(axis=(1, 2))  # nothing is cut off
    array([6., 6.])
    """
    imgs = _check_image_batch(images)
    b, h, w = imgs.shape
    side = as_positive_int(size, "size")
    if side < max(h, w):
        raise ValueError(
            f"size must be at least the image size max(H, W) = {max(h, w)}; got {side}"
        )
    gen = check_rng(rng)
    offsets = np.stack(
        [gen.integers(0, side - h + 1, size=b), gen.integers(0, side - w + 1, size=b)],
        axis=1,
    )
    canvas = np.zeros((b, side, side), dtype=imgs.dtype)
    # Scatter every image into its place at once: canvas[n, r0 + r, c0 + c].
    rows = offsets[:, 0, None, None] + np.arange(h)[None, :, None]
    cols = offsets[:, 1, None, None] + np.arange(w)[None, None, :]
    canvas[np.arange(b)[:, None, None], rows, cols] = imgs
    return canvas, offsets


def permute_pixels(
    images: np.ndarray,
    permutation: np.ndarray | None = None,
    rng: np.random.Generator | int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the pixel positions of every image by one fixed permutation.

    Output pixel ``n`` (row-major) of every image is input pixel
    ``permutation[n]``. The same shuffle applies to every image, so nothing
    is lost (``permutation.argsort()`` undoes it), but pixels that were
    neighbours are now scattered.

    Parameters
    ----------
    images : ndarray, shape (B, H, W)
    permutation : ndarray of int, shape (H * W,), optional
        The shuffle; drawn from ``rng`` if not given (pass the one returned
        for the training images to shuffle the test images the same way).
    rng : numpy.random.Generator or int
        Used only when ``permutation`` is None.

    Returns
    -------
    permuted : ndarray, shape (B, H, W)
    permutation : ndarray of int, shape (H * W,)

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(4.0).reshape(1, 2, 2)
    >>> permuted, perm = permute_pixels(image, permutation=np.array([3, 2, 1, 0]))
    >>> permuted[0]
    array([[3., 2.],
           [1., 0.]])
    >>> permuted, perm = permute_pixels(image, rng=1)
    >>> bool(np.array_equal(np.sort(permuted.ravel()), image.ravel()))
    True
    """
    imgs = _check_image_batch(images)
    b, h, w = imgs.shape
    n = h * w
    if permutation is None:
        perm = check_rng(rng).permutation(n)
    else:
        perm = np.asarray(permutation)
        if perm.dtype == bool or not np.issubdtype(perm.dtype, np.integer):
            raise TypeError(
                f"permutation must be an array of integers; got dtype {perm.dtype}"
            )
        if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
            raise ValueError(
                f"permutation must hold each of 0 ... H * W - 1 = {n - 1} once, "
                f"shape ({n},); got shape {perm.shape}"
            )
    return imgs.reshape(b, n)[:, perm].reshape(b, h, w), perm


#: Marker colours of :func:`same_colour_task`: red, green, blue, yellow, magenta,
#: cyan (the corners of the RGB cube other than black, the background, and white).
SAME_COLOUR_PALETTE = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
        [1.0, 0.0, 1.0],
        [0.0, 1.0, 1.0],
    ]
)


def same_colour_task(
    num_images: int,
    shape: Sequence[int] = (4, 16),
    rng: np.random.Generator | int = 0,
) -> dict[str, np.ndarray]:
    """Two coloured pixels far apart on a black image: are they the same colour?

    Each image has two marker pixels, one in the left quarter of the columns
    (``c < W // 4``) and one in the right quarter (``c >= W - W // 4``), in
    any row, so they are always at least ``W - 2 (W // 4) + 1`` columns apart.
    Their colours come from :data:`SAME_COLOUR_PALETTE`; in half of the
    images (exactly, up to one) they are the same colour, in the others two
    different colours. Every other pixel is black. The label is 1 for
    "same", 0 for "different", so it depends on both markers together.

    Parameters
    ----------
    num_images : int
    shape : (H, W)
        Image size; ``W >= 4``.
    rng : numpy.random.Generator or int

    Returns
    -------
    dict
        ``images`` ``(B, H, W, 3)``; ``labels`` ``(B,)`` of int (1 = same);
        ``markers`` ``(B, 2, 2)``, the (row, col) of the left and the right
        marker; ``colours`` ``(B, 2)``, their rows in the palette.

    Examples
    --------
    >>> task = same_colour_task(4, shape=(2, 8), rng=0)
    >>> task["images"].shape, task["labels"]
    ((4, 2, 8, 3), array([0, 0, 1, 1]))
    >>> task["markers"][0].tolist()  # (row, col) of the two markers
    [[1, 0], [1, 6]]
    """
    b = as_positive_int(num_images, "num_images")
    h, w = check_shape(shape)
    if w < 4:
        raise ValueError(f"shape must be at least 4 columns wide; got {(h, w)}")
    gen = check_rng(rng)
    zone = w // 4
    labels = gen.permutation(np.arange(b) % 2)  # balanced: half same, half not
    k = len(SAME_COLOUR_PALETTE)
    first = gen.integers(0, k, size=b)
    # A different colour: shift by 1 ... k-1 places round the palette.
    other = (first + gen.integers(1, k, size=b)) % k
    second = np.where(labels == 1, first, other)
    rows = gen.integers(0, h, size=(b, 2))
    cols = np.stack(
        [gen.integers(0, zone, size=b), gen.integers(w - zone, w, size=b)], axis=1
    )
    images = np.zeros((b, h, w, 3))
    img = np.arange(b)
    images[img, rows[:, 0], cols[:, 0]] = SAME_COLOUR_PALETTE[first]
    images[img, rows[:, 1], cols[:, 1]] = SAME_COLOUR_PALETTE[second]
    return {
        "images": images,
        "labels": labels.astype(np.int64),
        "markers": np.stack([rows, cols], axis=-1),
        "colours": np.stack([first, second], axis=1),
    }
