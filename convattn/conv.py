"""Convolution as fixed, local weights: conv2d, classic kernels, receptive fields.

A convolution layer computes every output pixel (the query pixel) as a weighted
sum of the key pixels around it. Unlike attention, the weight of a key pixel
depends only on its offset ``delta = p_j - p_i`` from the query pixel, never on
what either pixel contains, and it is zero outside a small ``K x K`` window.

Like PyTorch's ``conv2d`` and ``scipy.signal.correlate2d``, :func:`conv2d` is a
*cross-correlation*: the kernel is not flipped. Kernel entry ``kernel[a, b]``
weighs the key pixel at offset ``(a - kh // 2, b - kw // 2)``, so the centre of
a ``K x K`` kernel is entry ``K // 2`` along each axis. For odd ``K`` that is
the middle, and all these libraries agree with :func:`conv2d`.

For even ``K`` there is no middle, and libraries differ. :func:`conv2d` puts
entry ``K // 2`` (the lower-right of the four middle entries) on the query
pixel, as ``scipy.signal.correlate(..., mode="same")`` and
``scipy.ndimage.correlate`` do. ``scipy.signal.correlate2d(..., mode="same")``
and PyTorch's ``conv2d(..., padding="same")`` agree with each other and not
with it: they put entry ``(K - 1) // 2`` (the upper-left) there, so their
output is this function's shifted by one pixel down and right (checked with
SciPy 1.17 and PyTorch 2.13). With dilation ``d >= 2`` and even ``K``,
PyTorch's ``"same"`` pads ``(d (K - 1)) // 2`` before, which is not a multiple
of ``d``: no tap at all sits on the query pixel. :func:`conv2d` pads
``d * (K // 2)`` before, so entry ``K // 2`` stays on it.

An even kernel's reach is asymmetric: it reads ``K / 2`` pixels up and left
and ``K / 2 - 1`` down and right. ``L`` stacked layers still see a square of
side ``L (K - 1) + 1`` (:func:`theoretical_receptive_field`), but not centred
on the query pixel (``L K / 2`` one way, ``L (K / 2 - 1)`` the other), so the
symmetric reach ``L (K - 1) / 2`` holds for odd ``K`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import (
    as_float_array,
    as_int,
    as_positive_float,
    as_positive_int,
    check_choice,
    check_image,
    check_memory,
    check_pixel,
    check_shape,
    keeps_float16,
)

__all__ = [
    "PADDINGS",
    "box_kernel",
    "conv2d",
    "conv_as_matrix",
    "conv_weights",
    "effective_receptive_field",
    "gaussian_kernel",
    "laplacian_kernel",
    "sharpen_kernel",
    "shift_kernel",
    "sobel_kernel",
    "theoretical_receptive_field",
]

#: Paddings accepted by :func:`conv2d`.
PADDINGS = ("zeros", "circular", "reflect", "valid")

_NP_MODE = {"zeros": "constant", "circular": "wrap", "reflect": "reflect"}


# --- conv2d -------------------------------------------------------------------


def _check_kernel(kernel: object, name: str = "kernel") -> np.ndarray:
    ker = as_float_array(kernel, name, ndim=(2, 4))
    if 0 in ker.shape:
        raise ValueError(f"{name} must not have an empty axis; got shape {ker.shape}")
    return ker


def _pad_widths(
    kh: int, kw: int, padding: str, dilation: int = 1
) -> tuple[tuple[int, int], ...]:
    """Rows/columns to add before and after so the stride-1 output keeps the input size.

    With dilation ``d`` the taps are ``d`` pixels apart, so ``d * (K // 2)``
    before and ``d * (K - 1 - K // 2)`` after.
    """
    if padding == "valid":
        return ((0, 0), (0, 0))
    d = dilation
    return (
        (d * (kh // 2), d * (kh - 1 - kh // 2)),
        (d * (kw // 2), d * (kw - 1 - kw // 2)),
    )


def _correlate(
    padded: np.ndarray,
    kernel: np.ndarray,
    out_hw: tuple[int, int],
    stride: int = 1,
    dilation: int = 1,
) -> np.ndarray:
    """Cross-correlate each channel of a padded ``(Hp, Wp, C)`` array with a 2-D kernel.

    Returns ``(H, W, C)``: output ``(r, c)`` reads the padded pixels
    ``(stride * r + dilation * a, stride * c + dilation * b)``.
    """
    kh, kw = kernel.shape
    h, w = out_hw
    s, d = stride, dilation
    # K*K shifted, scaled copies summed: each step is one pass over the whole
    # image (the loop runs over the kernel's offsets, never over pixels) and
    # needs no K*K times larger unrolled copy.
    out = np.zeros((h, w, padded.shape[2]), dtype=np.result_type(padded, kernel))
    for a in range(kh):
        for b in range(kw):
            if kernel[a, b] != 0:
                r0, c0 = a * d, b * d
                out += (
                    kernel[a, b]
                    * padded[
                        r0 : r0 + s * (h - 1) + 1 : s, c0 : c0 + s * (w - 1) + 1 : s
                    ]
                )
    return out


#: Elements of the unrolled band that :func:`_correlate_channels` multiplies
#: at a time (512 KiB of float64): small enough to stay in the processor's
#: cache between the copy and the product (measured in benchmarks/bench_conv.py).
_BLOCK_ELEMENTS = 1 << 16


def _correlate_channels(
    padded: np.ndarray,
    kernel: np.ndarray,
    out_hw: tuple[int, int],
    stride: int = 1,
    dilation: int = 1,
) -> np.ndarray:
    """Cross-correlate a channel-first padded ``(C_in, Hp, Wp)`` array with a
    ``(kh, kw, C_in, C_out)`` kernel; returns ``(H, W, C_out)``.

    im2col: the windows are unrolled into a ``(kh*kw*C_in, H*W)`` matrix and
    multiplied by the ``(kh*kw*C_in, C_out)`` kernel matrix. Channel-first, each
    unrolled row is a contiguous run of image columns, so the copy is fast;
    done a band of rows at a time, the unrolled band is still in cache when
    the matrix product reads it. Stride and dilation only change which
    windows and which taps the view picks.
    """
    kh, kw, c_in, c_out = kernel.shape
    h, w = out_hw
    depth = kh * kw * c_in
    # (C_in, H, W, kh, kw) view -> (kh, kw, C_in, H, W), matching the kernel.
    s, d = stride, dilation
    extent = (d * (kh - 1) + 1, d * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, extent, axis=(1, 2))
    if s != 1 or d != 1:
        windows = windows[:, ::s, ::s, ::d, ::d]
    windows = windows.transpose(3, 4, 0, 1, 2)
    weights = kernel.reshape(depth, c_out)
    band = max(1, min(h, _BLOCK_ELEMENTS // (depth * w)))
    buf = np.empty((kh, kw, c_in, band, w), dtype=padded.dtype)
    out = np.empty((h * w, c_out), dtype=padded.dtype)
    for top in range(0, h, band):  # a loop over bands of rows, not pixels
        rows = min(band, h - top)
        part = buf[:, :, :, :rows]
        np.copyto(part, windows[:, :, :, top : top + rows])
        np.matmul(
            part.reshape(depth, rows * w).T,
            weights,
            out=out[top * w : (top + rows) * w],
        )
    return out.reshape(h, w, c_out)


def _valid_channels(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, dilation: int = 1
) -> np.ndarray:
    """``conv2d(x, kernel, padding="valid", stride, dilation)`` of a checked
    ``(H, W, C_in)`` array and a ``(kh, kw, C_in, C_out)`` kernel of its dtype
    that fits, without the checks: the training loops of
    :mod:`convattn.models` call it thousands of times on arrays they made.
    Channel-first, without padding: the windows are strided views."""
    (h, w), (kh, kw) = x.shape[:2], kernel.shape[:2]
    s, d = stride, dilation
    full_h, full_w = h - d * (kh - 1), w - d * (kw - 1)
    out_hw = (-(-full_h // s), -(-full_w // s))
    channels_first = np.ascontiguousarray(x.transpose(2, 0, 1))
    kernel = kernel.astype(x.dtype, copy=False)
    return _correlate_channels(channels_first, kernel, out_hw, s, d)


@keeps_float16
def conv2d(
    image: np.ndarray,
    kernel: np.ndarray,
    padding: str = "zeros",
    stride: int = 1,
    dilation: int = 1,
) -> np.ndarray:
    """Cross-correlate an image with a kernel (a convolution layer without bias).

    The output at query pixel ``(r, c)`` is
    ``sum over a, b of kernel[a, b] * image[s*r + d*(a - kh // 2), s*c + d*(b - kw // 2)]``
    with stride ``s`` and dilation ``d`` (both 1 by default): the key pixels in
    a ``kh x kw`` window around the query pixel, ``d`` pixels apart, each
    weighted by the kernel entry for its offset, and only every ``s``-th query
    pixel along each axis. The kernel is not flipped (as in PyTorch's
    ``conv2d`` and ``scipy.signal.correlate2d``); for an even size the centre
    is entry ``K // 2`` (see the module docstring).

    For odd ``K`` this is exactly PyTorch's
    ``torch.nn.functional.conv2d(x, w, padding=d * (K // 2), stride=s, dilation=d)``
    with ``padding="zeros"``, and the same call with ``padding=0`` for
    ``padding="valid"``.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C_in)
        The input. float32 stays float32; anything else becomes float64.
    kernel : ndarray, shape (kh, kw) or (kh, kw, C_in, C_out)
        A ``(kh, kw)`` kernel filters every channel of the image on its own. A
        ``(kh, kw, C_in, C_out)`` kernel mixes channels: ``kernel[a, b]`` is the
        ``C_in x C_out`` weight matrix of one offset (a 2-D image counts as one
        channel). ``kh <= H`` and ``kw <= W``.
    padding : {"zeros", "circular", "reflect", "valid"}
        What lies outside the image: zeros, the image repeated periodically,
        or the image mirrored at its border without repeating the edge pixel
        (``numpy.pad(mode="reflect")``, PyTorch's ``"reflect"``); each side is
        padded by ``d * (K // 2)`` (``d * (K - 1 - K // 2)`` after, for even
        ``K``). ``"valid"`` adds nothing and keeps only the query pixels whose
        window lies inside the image.
    stride : int
        ``s >= 1``: keep output rows and columns ``0, s, 2s, ...``. The output
        has ``ceil(H / s)`` rows for the padded modes and
        ``floor((H - d * (kh - 1) - 1) / s) + 1`` for ``"valid"`` (PyTorch's
        formula); likewise for columns.
    dilation : int
        ``d >= 1``: the taps are ``d`` pixels apart, so a ``K x K`` kernel
        spans ``d * (K - 1) + 1`` pixels with ``K * K`` weights. That span must
        fit inside the image, except with ``padding="zeros"``, where taps
        beyond the border read zeros.

    Returns
    -------
    ndarray
        ``(H', W')`` for a 2-D image and a 2-D kernel, ``(H', W', C_in)`` for a
        3-D image and a 2-D kernel, ``(H', W', C_out)`` for a 4-D kernel, with
        ``H' = H`` and ``W' = W`` for the padded modes with stride 1 (see
        ``stride`` for the others).

    Raises
    ------
    ValueError
        If the kernel (or its dilated span, see ``dilation``) is larger than
        the image, the channels do not match, the padding is unknown, stride
        or dilation is below 1, or an array holds NaN or inf.
    TypeError
        If stride or dilation is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> conv2d(image, np.ones((3, 3)))
    array([[ 8., 15., 12.],
           [21., 36., 27.],
           [20., 33., 24.]])
    >>> conv2d(image, np.ones((3, 3)), padding="valid")
    array([[36.]])
    >>> conv2d(image, np.array([[0.0, 0.0, 1.0]]), padding="circular")  # reads the right neighbour
    array([[1., 2., 0.],
           [4., 5., 3.],
           [7., 8., 6.]])
    >>> conv2d(image, np.ones((3, 3)), stride=2)  # rows and columns 0 and 2
    array([[ 8., 12.],
           [20., 24.]])
    >>> conv2d(np.arange(5.0)[None, :], np.array([[1.0, 0.0, 1.0]]), dilation=2)
    array([[2., 3., 4., 1., 2.]])
    """
    img = check_image(image)
    ker = _check_kernel(kernel)
    check_choice(padding, "padding", PADDINGS)
    s = as_positive_int(stride, "stride")
    d = as_positive_int(dilation, "dilation")
    h, w = img.shape[:2]
    kh, kw = ker.shape[:2]
    if kh > h or kw > w:
        raise ValueError(
            f"kernel must not be larger than the image {(h, w)}; got a "
            f"{kh} x {kw} kernel (shape {ker.shape})"
        )
    span = (d * (kh - 1) + 1, d * (kw - 1) + 1)
    if padding != "zeros" and (span[0] > h or span[1] > w):
        raise ValueError(
            f"dilation {d} spreads the {kh} x {kw} kernel over {span[0]} x "
            f"{span[1]} pixels, more than the image {(h, w)}; with padding="
            f"{padding!r} the span must fit (use padding='zeros' or a smaller "
            f"dilation)"
        )
    squeeze = img.ndim == 2
    x = img[:, :, None] if squeeze else img
    if ker.ndim == 4 and ker.shape[2] != x.shape[2]:
        raise ValueError(
            f"kernel must have C_in = {x.shape[2]} input channels (axis 2) to match "
            f"the image of shape {img.shape}; got kernel shape {ker.shape}"
        )
    # float32 images stay float32: the kernel is cast to the image's type.
    ker = ker.astype(x.dtype, copy=False)
    pads = _pad_widths(kh, kw, padding, d)
    mode = _NP_MODE.get(padding, "constant")
    # Size of the stride-1 output, then every s-th row and column of it.
    full_h, full_w = (
        (h - span[0] + 1, w - span[1] + 1) if padding == "valid" else (h, w)
    )
    out_hw = (-(-full_h // s), -(-full_w // s))
    if ker.ndim == 4:
        if padding == "valid":
            return _valid_channels(x, ker, s, d)
        # Channel-first and padded in one copy.
        padded = np.pad(x.transpose(2, 0, 1), ((0, 0), *pads), mode=mode)
        return _correlate_channels(padded, ker, out_hw, s, d)
    out = _correlate(np.pad(x, (*pads, (0, 0)), mode=mode), ker, out_hw, s, d)
    return out[:, :, 0] if squeeze else out


# --- kernels ------------------------------------------------------------------


def box_kernel(size: int) -> np.ndarray:
    """The ``size x size`` box (mean) filter: every weight ``1 / size**2``.

    Examples
    --------
    >>> box_kernel(2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    k = as_positive_int(size, "size")
    _check_kernel_memory(k)
    return np.full((k, k), 1.0 / (k * k))


def _check_kernel_memory(size: int) -> None:
    check_memory(
        8.0 * size * size,
        f"a {size} x {size} kernel",
        "pass a size no larger than the image it filters",
    )


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """A ``size x size`` Gaussian blur kernel with standard deviation ``sigma``.

    Weight ``exp(-(dr**2 + dc**2) / (2 * sigma**2))``, with ``(dr, dc)`` the
    distance from the array's geometric centre ``((size - 1) / 2, (size - 1) / 2)``,
    normalized to sum to one. Use an odd size for a kernel centred on the
    query pixel.

    Parameters
    ----------
    size : int
        Side length, at least 1.
    sigma : float
        Standard deviation in pixels, > 0.

    Returns
    -------
    ndarray, shape (size, size)

    Examples
    --------
    >>> import numpy as np
    >>> k = gaussian_kernel(3, 1.0)
    >>> round(float(k.sum()), 12), bool(np.allclose(k, k.T)), bool(k[1, 1] == k.max())
    (1.0, True, True)
    """
    k = as_positive_int(size, "size")
    s = as_positive_float(sigma, "sigma")
    _check_kernel_memory(k)
    # Distances are measured from the nearest one (0 for an odd size), so the
    # largest weight is exp(0) = 1 and a tiny sigma gives the limit (all
    # weight on the centre), never 0 / 0. For a tiny sigma, s * s underflows
    # to 0: then the squared distances are divided by s twice.
    d = np.arange(k) - (k - 1) / 2
    dd = d**2 - np.min(d**2)
    with np.errstate(over="ignore"):
        g = np.exp(-dd / (2 * s * s) if s > 1e-150 else -0.5 * (dd / s) / s)
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


def sobel_kernel(direction: str = "x") -> np.ndarray:
    """The 3 x 3 Sobel kernel: a smoothed derivative along columns or rows.

    With :func:`conv2d` (cross-correlation), ``"x"`` gives positive output
    where the image gets brighter to the right, ``"y"`` where it gets brighter
    downwards.

    Parameters
    ----------
    direction : {"x", "y"}

    Examples
    --------
    >>> sobel_kernel("x")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    check_choice(direction, "direction", ("x", "y"))
    kx = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
    return kx if direction == "x" else kx.T.copy()


def laplacian_kernel() -> np.ndarray:
    """The 3 x 3 Laplacian: the four neighbours minus four times the centre.

    Zero on constant and linear ramps; large where the image curves (edges,
    spots).

    Examples
    --------
    >>> laplacian_kernel()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen_kernel(amount: float = 1.0) -> np.ndarray:
    """A 3 x 3 sharpening kernel: identity minus ``amount`` times the Laplacian.

    It adds ``amount`` times the difference between a pixel and its four
    neighbours back to the pixel; the weights sum to one, so flat areas keep
    their brightness.

    Examples
    --------
    >>> sharpen_kernel()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    """
    a = as_positive_float(amount, "amount")
    kernel = 0.0 - a * laplacian_kernel()  # 0.0 - x: no negative zeros
    kernel[1, 1] += 1.0
    return kernel


def shift_kernel(dr: int, dc: int, size: int | None = None) -> np.ndarray:
    """A one-hot kernel that copies the key pixel at offset ``(dr, dc)``.

    ``conv2d(image, shift_kernel(dr, dc))[r, c] == image[r + dr, c + dc]``
    wherever that pixel exists: the query pixel reads one key pixel at a
    fixed offset.

    Parameters
    ----------
    dr, dc : int
        Row and column offset of the key pixel from the query pixel.
    size : int, optional
        Odd side length, at least ``2 * max(|dr|, |dc|) + 1`` (the default).

    Returns
    -------
    ndarray, shape (size, size)

    Examples
    --------
    >>> shift_kernel(0, 1)
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    dr, dc = as_int(dr, "dr"), as_int(dc, "dc")
    need = 2 * max(abs(dr), abs(dc)) + 1
    k = need if size is None else as_positive_int(size, "size")
    _check_kernel_memory(k)
    if k % 2 == 0 or k < need:
        raise ValueError(
            f"size must be odd and at least {need} for offset {(dr, dc)}; got {k}"
        )
    kernel = np.zeros((k, k))
    kernel[k // 2 + int(dr), k // 2 + int(dc)] = 1.0
    return kernel


# --- receptive fields ---------------------------------------------------------


def _per_layer(value: object, name: str, layers: int) -> list[int]:
    """One positive int per layer: an int for every layer, or a sequence of ``layers``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        values = list(value)
        if len(values) != layers:
            raise ValueError(
                f"{name} must be one integer or one per layer ({layers}); got "
                f"{len(values)} values {values!r}"
            )
        return [as_positive_int(v, f"{name}[{n}]") for n, v in enumerate(values)]
    return [as_positive_int(value, name)] * layers


def theoretical_receptive_field(
    kernel_size: int | Sequence[int],
    layers: int = 1,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
) -> int:
    """Side length of what ``L`` stacked ``K x K`` layers can see.

    ``r = 1 + sum over layers l of (K_l - 1) * d_l * (s_1 * ... * s_{l-1})``
    (Araujo et al. 2019): layer ``l`` widens the window by its own span minus
    one, ``(K_l - 1) d_l`` pixels of its input, and one pixel of its input is
    ``s_1 ... s_{l-1}`` pixels of the image. With stride 1 and no dilation this
    is ``L * (K - 1) + 1``, growing linearly with depth; doubling the dilation
    (or striding by 2) at every layer makes it grow geometrically. The stride
    of the last layer does not widen it.

    Parameters
    ----------
    kernel_size : int or sequence of int
        ``K >= 1`` for every layer, or one value per layer.
    layers : int
        ``L >= 1``.
    stride : int or sequence of int
        ``s >= 1`` for every layer, or one value per layer.
    dilation : int or sequence of int
        ``d >= 1`` for every layer, or one value per layer.

    Returns
    -------
    int
        The side ``r`` of the square of input pixels that one output pixel
        of the stack (``conv2d(..., stride=s_l, dilation=d_l)`` applied
        ``L`` times) depends on.

    Examples
    --------
    >>> theoretical_receptive_field(3, 1), theoretical_receptive_field(3, 4)
    (3, 9)
    >>> theoretical_receptive_field(3, 4, dilation=[1, 2, 4, 8])  # 1 + 2 * 15
    31
    >>> theoretical_receptive_field(3, 3, stride=2)  # 1 + 2 * (1 + 2 + 4)
    15
    """
    n = as_positive_int(layers, "layers")
    ks = _per_layer(kernel_size, "kernel_size", n)
    strides = _per_layer(stride, "stride", n)
    dilations = _per_layer(dilation, "dilation", n)
    size, jump = 1, 1  # jump: image pixels between neighbouring inputs of layer l
    for k, s, d in zip(ks, strides, dilations, strict=True):
        size += (k - 1) * d * jump
        jump *= s
    return size


def _adjoint(
    grad: np.ndarray, kernel: np.ndarray, padding: str = "zeros"
) -> np.ndarray:
    """Push a gradient map back through one same-size conv2d.

    The adjoint of cross-correlation is cross-correlation with the flipped
    kernel; flipping moves the centre of an even-sized kernel from ``K // 2``
    to ``K - 1 - K // 2``, so the padding is swapped accordingly. With
    circular padding the adjoint wraps around too.
    """
    kh, kw = kernel.shape
    flipped = kernel[::-1, ::-1]
    pads = ((kh - 1 - kh // 2, kh // 2), (kw - 1 - kw // 2, kw // 2), (0, 0))
    mode = "wrap" if padding == "circular" else "constant"
    padded = np.pad(grad[:, :, None], pads, mode=mode)
    return _correlate(padded, flipped, grad.shape)[:, :, 0]


def _check_stack(kernels: object) -> list[np.ndarray]:
    if isinstance(kernels, np.ndarray) and kernels.ndim == 2:
        kernels = [kernels]
    if isinstance(kernels, np.ndarray) and kernels.ndim == 3:
        kernels = list(kernels)
    if not isinstance(kernels, Sequence | np.ndarray) or len(kernels) == 0:
        raise TypeError(
            f"kernels must be a non-empty list of 2-D kernels (or one 2-D kernel); "
            f"got {type(kernels).__name__}"
        )
    return [
        as_float_array(k, f"kernels[{n}]", ndim=2).astype(np.float64)
        for n, k in enumerate(kernels)
    ]


def effective_receptive_field(
    kernels: object,
    shape: Sequence[int],
    query: tuple[int, int] | None = None,
    padding: str = "zeros",
) -> np.ndarray:
    """How much every input pixel influences one output pixel of a conv stack.

    The stack applies ``conv2d(x, kernels[0], padding)``, then ``kernels[1]``,
    ... (one channel, no nonlinearity). This is also the stack's receptive
    field for that query pixel in the book's sense: the weight every key pixel
    gets, ``y_i = sum_j m_j x_j``, which never depends on the image. Because the stack is linear, the
    influence of input pixel ``j`` on the query pixel ``i`` is the exact
    derivative ``d y_i / d x_j``, the same for every image. It is computed by
    pushing an impulse at the query pixel back through the stack, last layer
    first, each step being convolution with the flipped kernel (the adjoint
    of cross-correlation; Luo et al., 2016).

    Parameters
    ----------
    kernels : ndarray or list of ndarray
        One ``(K, K)`` kernel, a list of 2-D kernels (they may differ), or an
        ``(L, K, K)`` array.
    shape : tuple of int
        ``(H, W)`` of the image (an ``(H, W, C)`` shape is accepted; channels
        are ignored). Every kernel must fit inside it.
    query : tuple of int, optional
        ``(row, col)`` of the output pixel; the centre ``(H // 2, W // 2)`` by
        default.
    padding : {"zeros", "circular"}
        The padding of every layer.

    Returns
    -------
    ndarray, shape (H, W)
        Entry ``[r, c]`` is the weight of input pixel ``(r, c)`` in the query
        pixel's output.

    Examples
    --------
    >>> import numpy as np
    >>> erf = effective_receptive_field([box_kernel(3), box_kernel(3)], (5, 5))
    >>> np.allclose(erf, np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 81)
    True
    """
    stack = _check_stack(kernels)
    check_choice(padding, "padding", ("zeros", "circular"))
    h, w = check_shape(shape)
    for n, k in enumerate(stack):
        if k.shape[0] > h or k.shape[1] > w:
            raise ValueError(
                f"kernels[{n}] must not be larger than the image {(h, w)}; "
                f"got shape {k.shape}"
            )
    row, col = (h // 2, w // 2) if query is None else check_pixel(query, (h, w))
    grad = np.zeros((h, w))
    grad[row, col] = 1.0
    for k in reversed(stack):
        grad = _adjoint(grad, k, padding)
    return grad


# --- convolution as attention-style weights -----------------------------------


def _source_index(p: np.ndarray, n: int, padding: str) -> tuple[np.ndarray, np.ndarray]:
    """Map padded coordinates ``p`` to the input pixel they copy.

    Returns ``(index, keep)``: positions outside a zero-padded image are
    dropped (``keep`` False).
    """
    if padding == "circular":
        return p % n, np.ones(p.shape, bool)
    if padding == "reflect":
        q = np.where(p < 0, -p, p)
        return np.where(q > n - 1, 2 * (n - 1) - q, q), np.ones(p.shape, bool)
    keep = (p >= 0) & (p < n)
    return np.clip(p, 0, n - 1), keep


def _weights_rows(
    kernel: np.ndarray,
    shape: tuple[int, int],
    rows: np.ndarray,
    cols: np.ndarray,
    padding: str,
) -> np.ndarray:
    """Dense ``(len(rows), H * W)`` weights of the query pixels ``(rows, cols)``."""
    h, w = shape
    kh, kw = kernel.shape
    a, b = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
    start_r = 0 if padding == "valid" else kh // 2
    start_c = 0 if padding == "valid" else kw // 2
    pr = rows[:, None] + a.ravel()[None, :] - start_r  # (Q, kh*kw)
    pc = cols[:, None] + b.ravel()[None, :] - start_c
    ir, keep_r = _source_index(pr, h, padding)
    ic, keep_c = _source_index(pc, w, padding)
    keep = keep_r & keep_c
    query = np.broadcast_to(np.arange(len(rows))[:, None], pr.shape)
    values = np.broadcast_to(kernel.ravel()[None, :], pr.shape)
    out = np.zeros((len(rows), h * w))
    # Accumulate: with circular or reflect padding two kernel entries can land
    # on the same key pixel.
    np.add.at(out, (query[keep], (ir * w + ic)[keep]), values[keep])
    return out


def _check_2d_kernel_and_shape(kernel, shape, padding):
    ker = as_float_array(kernel, "kernel", ndim=2).astype(np.float64)
    check_choice(padding, "padding", PADDINGS)
    h, w = check_shape(shape)
    if ker.shape[0] > h or ker.shape[1] > w:
        raise ValueError(
            f"kernel must not be larger than the image {(h, w)}; got shape {ker.shape}"
        )
    return ker, h, w


def conv_weights(
    kernel: np.ndarray,
    shape: Sequence[int],
    query: tuple[int, int],
    padding: str = "zeros",
) -> np.ndarray:
    """The weight a 2-D kernel gives every key pixel for one query pixel.

    :func:`conv2d` written as attention writes it: the output at the query
    pixel ``i`` is ``sum over key pixels j of a_ij * x_j``, with
    ``a_ij = kernel[delta + K // 2]`` for the offset ``delta = p_j - p_i``
    inside the kernel, and zero for every other key pixel. The map depends on
    the kernel and the position only, never on the image's content.

    Parameters
    ----------
    kernel : ndarray, shape (kh, kw)
    shape : tuple of int
        ``(H, W)`` (or ``(H, W, C)``) of the image.
    query : tuple of int
        ``(row, col)`` of the query pixel; with ``padding="valid"`` a position
        in the smaller output.
    padding : {"zeros", "circular", "reflect", "valid"}
        As in :func:`conv2d`; with ``"circular"`` or ``"reflect"`` the weights
        of padded positions land on the key pixels they copy.

    Returns
    -------
    ndarray, shape (H, W)
        The weight of each key pixel; ``(weights * image).sum()`` equals
        ``conv2d(image, kernel, padding)[row, col]``.

    Examples
    --------
    >>> conv_weights(box_kernel(3) * 9, (3, 4), query=(0, 0))
    array([[1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [0., 0., 0., 0.]])
    """
    ker, h, w = _check_2d_kernel_and_shape(kernel, shape, padding)
    out_h, out_w = (
        (h - ker.shape[0] + 1, w - ker.shape[1] + 1) if padding == "valid" else (h, w)
    )
    row, col = check_pixel(query, (out_h, out_w))
    rows, cols = np.array([row]), np.array([col])
    return _weights_rows(ker, (h, w), rows, cols, padding).reshape(h, w)


def conv_as_matrix(
    kernel: np.ndarray, shape: Sequence[int], padding: str = "zeros"
) -> np.ndarray:
    """The ``(N_out, N)`` matrix of all query-key weights of a 2-D kernel.

    Row ``i`` is :func:`conv_weights` of query pixel ``i`` (row-major),
    flattened, so that ``to_image(M @ to_tokens(image), out_shape)`` equals
    ``conv2d(image, kernel, padding)``. It is the convolution's counterpart of
    the attention matrix: mostly zeros (at most ``kh * kw`` non-zero entries
    per row), and each row is the same pattern shifted. It holds ``N_out * N``
    numbers, so keep the image small.

    Parameters
    ----------
    kernel : ndarray, shape (kh, kw)
    shape : tuple of int
        ``(H, W)`` (or ``(H, W, C)``); ``H * W`` at most 4096.
    padding : {"zeros", "circular", "reflect", "valid"}

    Returns
    -------
    ndarray, shape (N_out, H * W)
        ``N_out = H * W``, or ``(H - kh + 1) * (W - kw + 1)`` for ``"valid"``.

    Examples
    --------
    >>> conv_as_matrix(np.array([[1.0, 2.0, 3.0]]), (1, 3))
    array([[2., 3., 0.],
           [1., 2., 3.],
           [0., 1., 2.]])
    """
    ker, h, w = _check_2d_kernel_and_shape(kernel, shape, padding)
    if h * w > 4096:
        raise ValueError(
            f"shape must have at most 4096 pixels (the matrix has N * N entries); "
            f"got {(h, w)}"
        )
    out_h, out_w = (
        (h - ker.shape[0] + 1, w - ker.shape[1] + 1) if padding == "valid" else (h, w)
    )
    rows, cols = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    return _weights_rows(ker, (h, w), rows.ravel(), cols.ravel(), padding)
