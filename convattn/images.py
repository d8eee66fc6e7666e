"""Images as databases of pixels: sample images, tokens and pixel positions.

An image is an ``(H, W, C)`` float array with channels last (a grayscale image
may be ``(H, W)``). Its *tokens* are the ``(N, C)`` table of pixel records with
``N = H * W`` in row-major order: token ``n`` is the pixel at row ``n // W``,
column ``n % W``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import (
    as_float_array,
    as_positive_float,
    as_positive_int,
    check_choice,
    check_flag,
    check_image,
    check_index,
    check_memory,
    check_same_shape,
    check_shape,
    keeps_float16,
)

__all__ = [
    "IMAGE_NAMES",
    "area_resize",
    "pixel_index",
    "pixel_positions",
    "psnr",
    "sample_image",
    "to_gray",
    "to_image",
    "to_tokens",
]

#: Names accepted by :func:`sample_image`.
IMAGE_NAMES = ("hopper", "shapes", "twins")


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` matrix whose row ``i`` averages the input cells that
    output cell ``i`` covers, each weighted by the length of the overlap."""
    edges = np.linspace(0.0, n_in, n_out + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


@keeps_float16
def area_resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Shrink an image to ``shape = (H, W)`` by area averaging.

    Every output pixel is the mean of the input area it covers, with partly
    covered input pixels weighted by the covered fraction, so a constant image
    stays constant and the mean brightness is preserved exactly.

    Parameters
    ----------
    image : ndarray, shape (H0, W0) or (H0, W0, C)
        The image to shrink.
    shape : tuple of int
        The output height and width, each between 1 and the input's.

    Returns
    -------
    ndarray, shape (H, W) or (H, W, C)
        The resized image, float64.

    Examples
    --------
    >>> import numpy as np
    >>> area_resize(np.arange(16.0).reshape(4, 4), (2, 2))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    img = check_image(image)
    if not isinstance(shape, Sequence) or len(shape) != 2:
        raise TypeError(f"shape must be a pair (H, W) of integers; got {shape!r}")
    h = as_positive_int(shape[0], "shape[0]")
    w = as_positive_int(shape[1], "shape[1]")
    if h > img.shape[0] or w > img.shape[1]:
        raise ValueError(
            f"shape must not exceed the image's {img.shape[:2]} (area averaging only "
            f"shrinks); got {(h, w)}"
        )
    rows = _area_weights(img.shape[0], h)
    cols = _area_weights(img.shape[1], w)
    # Two matrix products (rows, then columns), not one four-index einsum.
    out = np.tensordot(rows, img.astype(np.float64), axes=(1, 0))  # (h, W0, ...)
    return np.moveaxis(np.tensordot(cols, out, axes=(1, 1)), 0, 1)  # (h, w, ...)


def _hopper(size: int) -> np.ndarray:
    # Reading the JPEG is the only place the numerical core touches matplotlib
    # (and Pillow, which matplotlib depends on); it ships the photo, so nothing
    # is downloaded.
    from matplotlib import cbook
    from matplotlib import image as mpimg

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = mpimg.imread(path).astype(np.float64) / 255.0  # (600, 512, 3)
    side = min(photo.shape[:2])
    top = (photo.shape[0] - side) // 3  # keep the face and the uniform's collar
    square = photo[top : top + side, :side]
    if size > side:
        raise ValueError(f"size must be <= {side} for 'hopper'; got {size}")
    return area_resize(square, (size, size))


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (y, x) in [0, 1) for a square scene."""
    c = (np.arange(size) + 0.5) / size
    return np.meshgrid(c, c, indexing="ij")


def _shapes(size: int) -> np.ndarray:
    y, x = _grid(size)
    img = np.empty((size, size, 3))
    img[:] = (0.15, 0.15, 0.2)  # dark slate background
    square = (np.abs(y - 0.28) < 0.14) & (np.abs(x - 0.28) < 0.14)
    disk = (y - 0.3) ** 2 + (x - 0.72) ** 2 < 0.15**2
    triangle = (y < 0.88) & (y - 0.56 > 1.6 * np.abs(x - 0.3))
    bar = (np.abs(y - 0.74) < 0.06) & (np.abs(x - 0.72) < 0.2)
    img[square] = (0.85, 0.2, 0.15)
    img[disk] = (0.2, 0.7, 0.3)
    img[triangle] = (0.2, 0.35, 0.9)
    img[bar] = (0.95, 0.85, 0.25)
    return img


def _twins(size: int) -> np.ndarray:
    y, x = _grid(size)
    img = np.empty((size, size, 3))
    img[:] = (0.5, 0.5, 0.5)
    # Two identical orange disks in opposite corners, and a blue square
    # between them that is as bright as an orange disk but another colour.
    for cy, cx in ((0.2, 0.2), (0.8, 0.8)):
        img[(y - cy) ** 2 + (x - cx) ** 2 < 0.1**2] = (0.95, 0.55, 0.1)
    img[(np.abs(y - 0.2) < 0.08) & (np.abs(x - 0.8) < 0.08)] = (0.1, 0.45, 0.95)
    return img


def sample_image(name: str = "hopper", size: int = 64) -> np.ndarray:
    """Return a square RGB sample image with values in [0, 1].

    Parameters
    ----------
    name : {"hopper", "shapes", "twins"}
        ``"hopper"`` is the portrait of Grace Hopper that matplotlib ships
        (``grace_hopper.jpg``), cropped to a square and shrunk by area
        averaging; nothing is downloaded. ``"shapes"`` is four flat-coloured
        shapes on a dark background; ``"twins"`` holds two identical orange
        disks far apart (opposite corners) and a blue square. The synthetic
        scenes have exact, repeated colours, for controlled experiments.
    size : int
        Height and width in pixels, ``1 <= size <= 512``.

    Returns
    -------
    ndarray, shape (size, size, 3)
        float64 values in [0, 1].

    Examples
    --------
    >>> img = sample_image("hopper", size=32)
    >>> img.shape, img.dtype, bool(0 <= img.min() and img.max() <= 1)
    ((32, 32, 3), dtype('float64'), True)
    >>> sample_image("twins", size=8)[1, 1]
    array([0.95, 0.55, 0.1 ])
    """
    check_choice(name, "name", IMAGE_NAMES)
    size = as_positive_int(size, "size")
    if size > 512:
        raise ValueError(f"size must be <= 512; got {size}")
    make = {"hopper": _hopper, "shapes": _shapes, "twins": _twins}[name]
    return np.clip(make(size), 0.0, 1.0)


@keeps_float16
def to_tokens(image: np.ndarray) -> np.ndarray:
    """Flatten an image into its table of pixel records.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)

    Returns
    -------
    ndarray, shape (H * W, C)
        Row ``n`` is the pixel at row ``n // W``, column ``n % W``; a grayscale
        image gives ``C = 1``. The result is a view when possible.

    Examples
    --------
    >>> import numpy as np
    >>> to_tokens(np.arange(12.0).reshape(2, 2, 3))
    array([[ 0.,  1.,  2.],
           [ 3.,  4.,  5.],
           [ 6.,  7.,  8.],
           [ 9., 10., 11.]])
    """
    img = check_image(image)
    if img.ndim == 2:
        img = img[:, :, None]
    return img.reshape(-1, img.shape[2])


@keeps_float16
def to_image(tokens: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Fold a table of pixel records (or one value per pixel) back into an image.

    Parameters
    ----------
    tokens : ndarray, shape (N,) or (N, C)
        One record (or one number) per pixel, in row-major order.
    shape : tuple of int
        ``(H, W)`` or ``(H, W, C)`` with ``H * W == N``. With ``(H, W)`` the
        result is ``(H, W)`` when there is one number per pixel (tokens of
        shape ``(N,)`` or ``(N, 1)``) and ``(H, W, C)`` otherwise.

    Returns
    -------
    ndarray
        The image; ``to_image(to_tokens(img), img.shape)`` equals ``img``.

    Examples
    --------
    >>> import numpy as np
    >>> to_image(np.arange(6.0), (2, 3))
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    toks = as_float_array(tokens, "tokens", ndim=(1, 2), finite=False)
    h, w = check_shape(shape)
    if toks.shape[0] != h * w:
        raise ValueError(
            f"tokens must have H * W = {h * w} rows for shape {tuple(shape)}; "
            f"got {toks.shape[0]}"
        )
    if len(shape) == 3:
        c = int(shape[2])
        per_pixel = 1 if toks.ndim == 1 else toks.shape[1]
        if per_pixel != c:
            raise ValueError(
                f"tokens must have {c} columns for shape {tuple(shape)}; "
                f"got {per_pixel}"
            )
        return toks.reshape(h, w, c)
    if toks.ndim == 1 or toks.shape[1] == 1:  # one number per pixel: a 2-D map
        return toks.reshape(h, w)
    return toks.reshape(h, w, toks.shape[1])


def pixel_positions(shape: Sequence[int], normalize: bool = False) -> np.ndarray:
    """The (row, column) position of every pixel, in token order.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)``, or an image shape ``(H, W, C)`` whose channels are ignored.
    normalize : bool
        If True, divide rows by ``H - 1`` and columns by ``W - 1`` (a side of
        length one gives 0) so positions lie in [0, 1].

    Returns
    -------
    ndarray, shape (H * W, 2)
        float64 row and column of token ``n``.

    Examples
    --------
    >>> pixel_positions((2, 3))
    array([[0., 0.],
           [0., 1.],
           [0., 2.],
           [1., 0.],
           [1., 1.],
           [1., 2.]])
    """
    h, w = check_shape(shape)
    normalize = check_flag(normalize, "normalize")
    check_memory(
        h * w * 16, f"the positions of a {h} x {w} image", "pass a smaller shape"
    )
    rows, cols = np.meshgrid(
        np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij"
    )
    pos = np.stack([rows.ravel(), cols.ravel()], axis=1)
    if normalize:
        pos /= np.maximum(np.array([h - 1, w - 1], dtype=float), 1.0)
    return pos


def pixel_index(row: int, col: int, shape: Sequence[int]) -> int:
    """The token index of the pixel at ``(row, col)`` in an image of ``shape``.

    Examples
    --------
    >>> pixel_index(1, 2, (4, 5))
    7
    """
    h, w = check_shape(shape)
    return check_index(row, "row", h) * w + check_index(col, "col", w)


@keeps_float16
def to_gray(image: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image (ITU-R BT.601 weights); a 2-D image is returned as is.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3)

    Returns
    -------
    ndarray, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> to_gray(np.ones((1, 2, 3)))
    array([[1., 1.]])
    """
    img = check_image(image)
    if img.ndim == 2:
        return img
    if img.shape[2] != 3:
        raise ValueError(
            f"image must have 3 channels (RGB) or none; got shape {img.shape}"
        )
    return img @ np.array([0.299, 0.587, 0.114], dtype=img.dtype)


def psnr(image: np.ndarray, reference: np.ndarray, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio of ``image`` against ``reference``, in decibels.

    ``10 * log10(peak**2 / mean((image - reference)**2))``; higher is closer,
    and each halving of the error adds about 3 dB. Identical images give
    ``inf``.

    Parameters
    ----------
    image, reference : ndarray
        Same shape.
    peak : float
        The largest possible value (1.0 for images in [0, 1]).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> round(psnr(np.full((4, 4), 0.1), np.zeros((4, 4))), 6)
    20.0
    """
    a, b = check_same_shape(image, reference, "image", "reference")
    top = as_positive_float(peak, "peak")
    # In logarithms, and with the error divided by its largest entry first:
    # neither peak**2 nor the squared error can overflow or underflow.
    with np.errstate(over="ignore"):  # checked below
        diff = np.abs(a.astype(np.float64) - b)
    big = float(diff.max())
    if big == 0.0:
        return float("inf")
    if not np.isfinite(big):
        raise ValueError(
            "image and reference differ by more than the largest float64; "
            "divide both (and peak) by a constant"
        )
    mean_sq = float(np.mean((diff / big) ** 2))
    return (
        20.0 * float(np.log10(top))
        - 20.0 * float(np.log10(big))
        - 10.0 * float(np.log10(mean_sq))
    )
