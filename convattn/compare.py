"""Convolution and attention side by side: cost and equivariance.

Everything here measures one of the differences between a convolution and a
self-attention layer for the same query pixel:

- *cost*: :func:`conv_cost` and :func:`attention_cost` count parameters and
  multiply-adds exactly, as the image (``N = H * W``) and the channels grow;
- *equivariance*: :func:`translation_equivariance_error` and
  :func:`permutation_equivariance_error` measure how far a layer is from
  commuting with a shift of the image or a shuffle of its pixels.

The receptive fields are :func:`convattn.conv.effective_receptive_field` (the
weight every key pixel gets from a stack of linear convolutions) and
:func:`convattn.attention.attention_map` (the weights of an attention layer);
the task that measures how far each reads, the long-range task, is in
:mod:`convattn.tasks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ._validate import (
    as_float_array,
    as_int,
    as_odd_int,
    as_positive_int,
    check_heads,
    check_image,
    check_rng,
    check_shape,
)

__all__ = [
    "Cost",
    "attention_cost",
    "conv_cost",
    "permutation_equivariance_error",
    "translation_equivariance_error",
]


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
    k = as_odd_int(kernel_size, "kernel_size")
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
    check_heads(num_heads, d=d, d_v=d_v)
    c_o = c_in if c_out is None else as_positive_int(c_out, "c_out")
    n = h * w
    proj = c_in * (2 * d + d_v)
    out = d_v * c_o
    return Cost(params=proj + out, macs=n * proj + n * n * (d + d_v) + n * out)


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
    img = check_image(image)
    if isinstance(shift, str) or not isinstance(shift, Sequence) or len(shift) != 2:
        raise TypeError(f"shift must be a pair of integers (rows, cols); got {shift!r}")
    dr, dc = as_int(shift[0], "shift[0]"), as_int(shift[1], "shift[1]")
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
    gen = check_rng(rng)
    perm = gen.permutation(toks.shape[0])
    out = np.asarray(layer(toks), dtype=float)
    out_perm_in = np.asarray(layer(toks[perm]), dtype=float)
    if out.ndim != 2 or out.shape[0] != toks.shape[0] or out_perm_in.shape != out.shape:
        raise ValueError(
            f"layer must return one row per token ({toks.shape[0]}, C_out); "
            f"got {out.shape}"
        )
    return _relative_error(out_perm_in, out[perm])
