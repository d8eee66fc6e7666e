"""Retrieval from a database of pixels: similarity, hard top-k and soft attention.

Every function here reads a table of *queries* ``(Nq, D)``, a table of *keys*
``(Nk, D)`` and, for retrieval, a table of *values* ``(Nk, Dv)``. Row ``i`` of a
result belongs to query ``i``.
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    as_float_array,
    as_int,
    as_positive_float,
    as_positive_int,
    as_real,
    check_choice,
    check_flag,
    check_image,
    check_memory,
    keeps_float16,
)
from .images import to_image, to_tokens

__all__ = [
    "SIMILARITY_KINDS",
    "entropy",
    "extract_patches",
    "hard_retrieve",
    "nonlocal_means",
    "similarity",
    "soft_retrieve",
    "softmax",
    "top_k_indices",
]

#: Kinds of similarity accepted by :func:`similarity` and the retrieval functions.
SIMILARITY_KINDS = ("dot", "cosine", "neg_sqdist")

#: Queries per block in :func:`hard_retrieve`.
_BLOCK = 256


@keeps_float16
def softmax(scores: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Turn scores into weights that are positive and sum to one along ``axis``.

    ``softmax(s, T)[i] = exp(s[i] / T) / sum_j exp(s[j] / T)``, computed after
    subtracting the maximum so that it is finite for any finite scores and any
    temperature > 0 (even ``1e-8`` with scores of ``1e4``).

    Parameters
    ----------
    scores : array_like
        Finite scores, any shape.
    temperature : float
        ``T > 0``. Small values approach a one-hot on the maximum (split evenly
        between tied maxima); large values approach the uniform distribution.
    axis : int
        The axis that sums to one.

    Returns
    -------
    ndarray
        Weights of the same shape as ``scores``.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.log([1.0, 2.0, 3.0]))
    array([0.16666667, 0.33333333, 0.5       ])
    >>> softmax([0.0, 1.0], temperature=1e-8)
    array([0., 1.])
    """
    s = as_float_array(scores, "scores")
    if s.ndim == 0:
        raise ValueError("scores must have at least one dimension; got a scalar")
    t = as_positive_float(temperature, "temperature")
    axis = _check_axis(axis, s.ndim)
    if s.shape[axis] == 0:
        raise ValueError(f"scores must have at least one entry along axis {axis}")
    # Shift before dividing: the differences are <= 0, so exp never overflows,
    # and dividing them by a tiny temperature only sends them towards -inf.
    # A temperature outside the normal range of float32 (below 1.2e-38) would
    # round to 0 (or inf) in float32, so float32 scores are then divided in
    # float64 and the weights cast back.
    info = np.finfo(s.dtype)
    work = s.dtype if float(info.tiny) <= t <= float(info.max) else np.dtype(np.float64)
    # Each step writes into the one (new) array z: the same arithmetic as
    # exp(z / t) / sum, without a temporary of the scores' size per step.
    with np.errstate(over="ignore"):
        z = (s - s.max(axis=axis, keepdims=True)).astype(work, copy=False)
        np.divide(z, work.type(t), out=z)
    np.exp(z, out=z)
    z /= z.sum(axis=axis, keepdims=True)
    return z.astype(s.dtype, copy=False)


def _check_axis(axis: object, ndim: int) -> int:
    a = as_int(axis, "axis")
    if not -ndim <= a < ndim:
        raise ValueError(f"axis must be an integer in [{-ndim}, {ndim - 1}]; got {a}")
    return a


def _check_pair(queries, keys):
    q = as_float_array(queries, "queries", ndim=2)
    k = as_float_array(keys, "keys", ndim=2)
    if q.shape[1] != k.shape[1]:
        raise ValueError(
            f"queries and keys must have the same width D; got queries {q.shape} "
            f"and keys {k.shape}"
        )
    if k.shape[0] == 0:
        raise ValueError("keys must hold at least one row; got 0")
    return q, k


def _check_values(values, keys):
    v = as_float_array(values, "values", ndim=2)
    if v.shape[0] != keys.shape[0]:
        raise ValueError(
            f"values must have one row per key ({keys.shape[0]}); got values {v.shape}"
        )
    return v


@keeps_float16
def similarity(queries: np.ndarray, keys: np.ndarray, kind: str = "dot") -> np.ndarray:
    """Score every key against every query.

    Parameters
    ----------
    queries : ndarray, shape (Nq, D)
    keys : ndarray, shape (Nk, D)
    kind : {"dot", "cosine", "neg_sqdist"}
        ``"dot"``: ``q . k``, which grows with the length (brightness) of both.
        ``"cosine"``: ``q . k / (|q| |k|)``, the angle only; a zero vector
        scores 0 against everything. ``"neg_sqdist"``: ``-|q - k|^2``, largest
        (0) for an identical key.

    Returns
    -------
    ndarray, shape (Nq, Nk)
        ``scores[i, j]`` compares query ``i`` with key ``j``.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([[1.0, 0.0]])
    >>> k = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> similarity(q, k, "dot")
    array([[2., 0., 1.]])
    >>> similarity(q, k, "cosine")
    array([[1., 0., 1.]])
    >>> similarity(q, k, "neg_sqdist")
    array([[-1., -2., -0.]])
    """
    q, k = _check_pair(queries, keys)
    check_choice(kind, "kind", SIMILARITY_KINDS)
    dtype = np.result_type(q, k)
    check_memory(
        q.shape[0] * k.shape[0] * dtype.itemsize,
        f"the ({q.shape[0]}, {k.shape[0]}) scores",
        "pass the queries a block of rows at a time",
    )
    if kind == "cosine":
        return np.clip(_unit_rows(q) @ _unit_rows(k).T, -1.0, 1.0)
    # Entries far from 1 are first divided by a common scale c, so that the
    # products neither overflow nor lose their digits in subnormal numbers;
    # both kinds of score are quadratic in the entries: multiply them by c^2.
    c = max(float(np.abs(q).max(initial=0.0)), float(np.abs(k).max(initial=0.0)))
    lo, hi = _safe_range(dtype, q.shape[1])
    c = 1.0 if c == 0.0 or lo < c < hi else c
    qs, ks = (q, k) if c == 1.0 else (q / dtype.type(c), k / dtype.type(c))
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        if kind == "dot":
            scores = qs @ ks.T
        else:
            # |q - k|^2 = |q|^2 + |k|^2 - 2 q.k, one matrix product instead of an
            # (Nq, Nk, D) array; rounding can make it slightly negative, so clip.
            # In place, in the order written: (|q|^2 + |k|^2) - 2 q.k.
            scores = (qs * qs).sum(1)[:, None] + (ks * ks).sum(1)[None, :]
            scores -= np.multiply(qs @ ks.T, 2.0, dtype=scores.dtype)
            np.maximum(scores, 0.0, out=scores)
            np.negative(scores, out=scores)
        if c != 1.0:
            scores *= dtype.type(c) ** 2
    if not np.isfinite(scores).all():
        raise ValueError(
            f"queries and keys are too large for {kind!r} similarity in "
            f"{dtype.name}: the scores overflow (largest |entry| {c:.3g}); divide "
            f"queries and keys by a constant, pass float64 arrays, or use "
            f"kind='cosine'"
        )
    return scores


def _safe_range(dtype, width: int) -> tuple[float, float]:
    """Magnitudes between which products of ``width`` pairs of entries stay
    normal numbers of ``dtype``: no overflow, no digits lost to underflow."""
    info = np.finfo(dtype)
    return float(np.sqrt(info.tiny) / info.eps), float(np.sqrt(info.max / (4 * width)))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows divided by their Euclidean length (zero rows stay zero).

    Rows whose length would overflow or underflow are first divided by their
    largest entry, so that vectors near 1e200 (or 1e-200) keep their angle.
    """
    lo, hi = _safe_range(x.dtype, x.shape[1])
    big = np.abs(x).max(axis=1, keepdims=True, initial=0.0)
    if np.all((big == 0) | ((lo < big) & (big < hi))):
        tiny = np.finfo(x.dtype).tiny
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), tiny)
    scaled = x / np.where(big > 0, big, 1.0).astype(x.dtype)
    length = np.linalg.norm(scaled, axis=1, keepdims=True)
    return scaled / np.where(length > 0, length, 1.0).astype(x.dtype)


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """The columns of the ``k`` largest scores in each row, best first.

    Ties are broken towards the lower index, so the result is deterministic.

    Parameters
    ----------
    scores : ndarray, shape (Nq, Nk)
    k : int
        ``1 <= k <= Nk``.

    Returns
    -------
    ndarray of int, shape (Nq, k)

    Examples
    --------
    >>> top_k_indices([[0.1, 0.9, 0.5, 0.9]], k=3)
    array([[1, 3, 2]])
    """
    s = as_float_array(scores, "scores", ndim=2)
    k = as_positive_int(k, "k")
    if k > s.shape[1]:
        raise ValueError(
            f"k must be between 1 and the number of keys ({s.shape[1]}); got {k}"
        )
    if k == 1:
        # The best key alone: np.argmax returns the first of equal maxima, so
        # the lower index wins, as below, in one pass over the scores.
        return np.argmax(s, axis=1)[:, None]
    neg = -s
    if 4 * k >= s.shape[1]:
        # A stable sort of the negated scores keeps equal scores in index order.
        return np.argsort(neg, axis=1, kind="stable")[:, :k]
    # Few of many: find each row's k-th best score by partitioning, keep every
    # score better than it and, of those equal to it, the lowest columns, then
    # sort only the k kept. Same result as the full stable sort, at a fraction
    # of its cost when k is much smaller than the number of keys.
    kth = np.take_along_axis(neg, np.argpartition(neg, k - 1, axis=1)[:, k - 1 : k], 1)
    better = neg < kth
    tied = neg == kth
    keep = better | tied
    # Rows with more ties at the k-th score than places left: keep the lowest.
    wanted = k - better.sum(axis=1)
    over = np.flatnonzero(tied.sum(axis=1) > wanted)
    if over.size:
        rank = np.cumsum(tied[over], axis=1, dtype=np.int32)
        keep[over] = better[over] | (tied[over] & (rank <= wanted[over, None]))
    cols = np.nonzero(keep)[1].reshape(len(s), k)  # in column order
    order = np.argsort(np.take_along_axis(neg, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


@keeps_float16
def hard_retrieve(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    k: int = 1,
    kind: str = "dot",
) -> np.ndarray:
    """Hard top-k retrieval: the mean value of each query's ``k`` best keys.

    Parameters
    ----------
    queries : ndarray, shape (Nq, D)
    keys : ndarray, shape (Nk, D)
    values : ndarray, shape (Nk, Dv)
    k : int
        How many keys to keep, ``1 <= k <= Nk``; ``k = Nk`` gives the mean of
        all values for every query. Ties go to the lower index.
    kind : {"dot", "cosine", "neg_sqdist"}
        The similarity, see :func:`similarity`.

    Returns
    -------
    ndarray, shape (Nq, Dv)

    Examples
    --------
    >>> import numpy as np
    >>> keys = np.array([[1.0], [3.0], [2.0]])
    >>> values = np.array([[10.0], [30.0], [20.0]])
    >>> hard_retrieve(np.array([[1.0]]), keys, values, k=2)
    array([[25.]])
    """
    q, kk = _check_pair(queries, keys)
    v = _check_values(values, kk)
    # A block of queries at a time: each query's keys are ranked on their own,
    # so the result is the same, without (Nq, Nk) scores held at once (large
    # temporary arrays are also slow to allocate and to stream).
    blocks = [
        v[top_k_indices(similarity(q[start : start + _BLOCK], kk, kind), k)].mean(1)
        for start in range(0, max(len(q), 1), _BLOCK)
    ]
    return np.concatenate(blocks)


@keeps_float16
def soft_retrieve(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    temperature: float = 1.0,
    kind: str = "dot",
    *,
    return_weights: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Soft retrieval: every key contributes, weighted by ``softmax``.

    ``softmax(similarity(queries, keys, kind) / temperature) @ values``. As the
    temperature falls to 0 this becomes hard top-1 retrieval; as it grows it
    becomes the plain mean of the values.

    Parameters
    ----------
    queries : ndarray, shape (Nq, D)
    keys : ndarray, shape (Nk, D)
    values : ndarray, shape (Nk, Dv)
    temperature : float
        ``> 0``.
    kind : {"dot", "cosine", "neg_sqdist"}
    return_weights : bool
        Also return the ``(Nq, Nk)`` weights.

    Returns
    -------
    ndarray, shape (Nq, Dv), or a tuple (output, weights)

    Examples
    --------
    >>> import numpy as np
    >>> keys = np.array([[0.0], [np.log(2)], [np.log(3)]])
    >>> values = np.array([[6.0], [0.0], [0.0]])
    >>> soft_retrieve(np.array([[1.0]]), keys, values)
    array([[1.]])
    """
    q, kk = _check_pair(queries, keys)
    v = _check_values(values, kk)
    return_weights = check_flag(return_weights, "return_weights")
    weights = softmax(similarity(q, kk, kind), temperature=temperature, axis=1)
    out = weights @ v
    return (out, weights) if return_weights else out


def entropy(weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy, in nats, of distributions of weights along ``axis``.

    ``0`` for a one-hot row (hard retrieval of one key), ``log N`` for uniform
    weights over ``N`` keys. ``0 log 0`` counts as 0.

    Parameters
    ----------
    weights : ndarray
        Non-negative weights, each distribution summing to one (within 1e-6).
    axis : int

    Returns
    -------
    ndarray
        ``weights`` with ``axis`` removed.

    Examples
    --------
    >>> import numpy as np
    >>> entropy([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]]) / np.log(4)
    array([0., 1.])
    """
    w = as_float_array(weights, "weights")
    if w.ndim == 0:
        raise ValueError("weights must have at least one dimension; got a scalar")
    axis = _check_axis(axis, w.ndim)
    if w.shape[axis] == 0:
        raise ValueError(f"weights must have at least one entry along axis {axis}")
    if (w < 0).any():
        raise ValueError(f"weights must be >= 0; got a minimum of {w.min()}")
    sums = w.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=1e-6):
        raise ValueError(
            f"weights must sum to 1 along axis {axis}; got sums from {sums.min()} "
            f"to {sums.max()}"
        )
    logs = np.log(np.where(w > 0, w, 1.0))
    return 0.0 - (w * logs).sum(axis=axis)  # 0.0 - x turns -0.0 into 0.0


def _check_patch_size(patch_size: object, shape: tuple[int, ...]) -> int:
    p = as_positive_int(patch_size, "patch_size")
    if p % 2 == 0:
        raise ValueError(f"patch_size must be odd so a patch has a centre; got {p}")
    if p > min(shape[:2]):
        raise ValueError(
            f"patch_size must be at most the image's smaller side {min(shape[:2])}; "
            f"got {p}"
        )
    return p


@keeps_float16
def extract_patches(image: np.ndarray, patch_size: int = 3) -> np.ndarray:
    """The square patch around every pixel, as one row per pixel.

    The image is padded by reflection so that border pixels get full patches.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    patch_size : int
        Odd side length ``p``, at most ``min(H, W)``.

    Returns
    -------
    ndarray, shape (H * W, p * p * C)
        Row ``n`` is the patch centred on pixel ``n`` (row-major), flattened in
        the order (row offset, column offset, channel).

    Examples
    --------
    >>> import numpy as np
    >>> extract_patches(np.arange(9.0).reshape(3, 3), patch_size=3)[4]
    array([0., 1., 2., 3., 4., 5., 6., 7., 8.])
    """
    img = check_image(image)
    p = _check_patch_size(patch_size, img.shape)
    if img.ndim == 2:
        img = img[:, :, None]
    check_memory(
        img.size * p * p * img.itemsize,
        f"the {p} x {p} patches of an image of shape {img.shape}",
        "pass a smaller image or patch_size",
    )
    r = p // 2
    padded = np.pad(img, ((r, r), (r, r), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (p, p), axis=(0, 1))
    # windows: (H, W, C, p, p) -> (H, W, p, p, C)
    windows = windows.transpose(0, 1, 3, 4, 2)
    return windows.reshape(img.shape[0] * img.shape[1], p * p * img.shape[2])


def _windowed_nonlocal_means(
    img: np.ndarray, temperature: float, p: int, window: int
) -> np.ndarray:
    """Non-local means over a ``window x window`` search window, one offset at a time.

    For each offset ``delta`` inside the window, the patch distance between
    every pixel ``i`` and ``i + delta`` (both inside the image) comes from one
    pass over the image: the squared difference of the reflect-padded image
    and its shifted copy, summed over the ``p x p`` patch. Memory stays at a
    few images, whatever the window.
    """
    x = img if img.ndim == 3 else img[:, :, None]
    h, w, c = x.shape
    r = p // 2
    padded = np.pad(x, ((r, r), (r, r), (0, 0)), mode="reflect")
    norm = x.dtype.type(p * p * c * temperature)
    num = np.zeros_like(x)
    den = np.zeros((h, w), dtype=x.dtype)
    half = window // 2
    for dr in range(-min(half, h - 1), min(half, h - 1) + 1):
        r0, r1 = max(0, -dr), min(h, h - dr)  # query rows whose key row is inside
        n_r = r1 - r0
        for dc in range(-min(half, w - 1), min(half, w - 1) + 1):
            c0, c1 = max(0, -dc), min(w, w - dc)
            n_c = c1 - c0
            here = padded[r0 : r1 + 2 * r, c0 : c1 + 2 * r]
            there = padded[r0 + dr : r1 + 2 * r + dr, c0 + dc : c1 + 2 * r + dc]
            sq = ((here - there) ** 2).sum(axis=2)
            rows = sq[:n_r].copy()  # patch sums: p rows, then p columns
            for t in range(1, p):
                rows += sq[t : t + n_r]
            dist = rows[:, :n_c].copy()
            for t in range(1, p):
                dist += rows[:, t : t + n_c]
            # The own patch (delta = 0) has weight exp(0) = 1, so the sum of
            # weights is >= 1 and no shift by the maximum is needed.
            weights = np.exp(-dist / norm)
            den[r0:r1, c0:c1] += weights
            num[r0:r1, c0:c1] += (
                weights[:, :, None] * x[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
            )
    out = num / den[:, :, None]
    return out if img.ndim == 3 else out[:, :, 0]


@keeps_float16
def nonlocal_means(
    image: np.ndarray,
    h: float = 0.1,
    patch_size: int = 5,
    block_size: int = 1024,
    window: int | None = None,
) -> np.ndarray:
    """Non-local-means denoising: soft retrieval over patches.

    Each pixel is replaced by a weighted mean of the pixels of the image
    (all of them, or those in a search window around it), weighted by how
    alike the patches around them look (Buades, Coll and Morel, 2005). In the
    language of this book: the queries and keys are the patches, the values
    are the pixels, the similarity is the negative mean squared difference
    between patches and the temperature is ``h**2``::

        soft_retrieve(patches / sqrt(P), patches / sqrt(P), pixels,
                      temperature=h**2, kind="neg_sqdist")

    with ``P = patch_size**2 * C``. The patch distance here is the plain mean
    over the patch; Buades et al. weight it with a Gaussian centred on the
    patch's middle.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    h : float
        Filtering strength ``> 0``, in the units of the pixel values: patches
        whose root-mean-square difference is about ``h`` get weight ``1/e``
        relative to an identical patch.
    patch_size : int
        Odd patch side, at most ``min(H, W)``. Patches of border pixels are
        completed by reflection.
    block_size : int
        Queries per block of the whole-image search (``window=None``), whose
        memory is ``block_size * H * W`` weights. The windowed search does
        not use it: it goes one offset at a time over all pixels, in memory
        of a few images.
    window : int or None
        ``None`` searches the whole image. An odd ``W >= 1`` searches the
        ``W x W`` window centred on each pixel, only the pixels of it that lie
        inside the image (Buades et al. use 21 x 21). A window of side
        ``>= 2 * max(H, W) - 1`` covers the whole image for every pixel and
        gives the whole-image result.

    Returns
    -------
    ndarray
        The denoised image, same shape as ``image``.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.full((6, 6), 0.5)
    >>> np.allclose(nonlocal_means(flat, h=0.1, patch_size=3), 0.5)
    True
    >>> image = np.random.default_rng(0).random((8, 8))
    >>> local = nonlocal_means(image, h=0.2, patch_size=3, window=15)
    >>> bool(np.allclose(local, nonlocal_means(image, h=0.2, patch_size=3)))
    True
    >>> bool(np.allclose(nonlocal_means(image, patch_size=3, window=1), image))
    True
    """
    img = as_float_array(image, "image", ndim=(2, 3))
    # h**2 must be a normal float64 (neither 0 nor inf); an empty image is
    # refused by extract_patches.
    temperature = as_real(h, "h", 1e-150, 1e150) ** 2
    block = as_positive_int(block_size, "block_size")
    if window is not None:
        side = as_positive_int(window, "window")
        if side % 2 == 0:
            raise ValueError(
                f"window must be odd so that it is centred on the pixel; got {side}"
            )
        p = _check_patch_size(patch_size, img.shape)
        return _windowed_nonlocal_means(img, temperature, p, side)
    patches = extract_patches(img, patch_size)
    patches = patches / np.sqrt(patches.shape[1])
    pixels = to_tokens(img)
    out = np.empty_like(pixels)
    for start in range(0, len(patches), block):
        stop = start + block
        out[start:stop] = soft_retrieve(
            patches[start:stop],
            patches,
            pixels,
            temperature=temperature,
            kind="neg_sqdist",
        )
    return to_image(out, img.shape)
