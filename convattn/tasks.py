"""Data sets for training classifiers: real digits, their controlled variants, and a
long-range task.

The digits are scikit-learn's bundled handwritten digits (1,797 images of
8 x 8 pixels, read from inside its installed package, no download). Three
variants of them each change one thing:

- :func:`load_digits`: the digits as they come, centred;
- :func:`digits_on_canvas`: each digit pasted at a random place on a larger
  blank canvas, where a detector that works the same everywhere (translation
  equivariance) pays;
- :func:`permute_pixels`: one fixed shuffle of the pixel positions, the same
  for every image, which destroys neighbourhoods (a convolution's prior is
  then wrong) but loses no information.

:func:`same_colour_task` is a synthetic task whose label depends on two pixels
far apart, further than a small convolution stack can see at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import as_float_array, as_positive_int, check_shape

__all__ = [
    "SAME_COLOUR_PALETTE",
    "digits_on_canvas",
    "load_digits",
    "permute_pixels",
    "same_colour_task",
]


def _generator(rng: object) -> np.random.Generator:
    """``rng`` as a Generator: a Generator as it is, or an integer seed >= 0."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(
            f"rng must be a numpy Generator or an integer seed >= 0; got {rng!r}"
        )
    if rng < 0:
        raise ValueError(f"rng must be a seed >= 0; got {rng}")
    return np.random.default_rng(int(rng))


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
    gen = _generator(rng)
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
        perm = _generator(rng).permutation(n)
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
    gen = _generator(rng)
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
