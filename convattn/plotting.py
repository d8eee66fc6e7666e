"""Figure helpers shared by every chapter, so that all figures look alike.

Conventions: images are shown as they are (RGB) or in grayscale; weights and
similarity maps use the perceptually uniform ``viridis`` colormap, drawn over a
grayscale copy of the image when one is given; the query pixel is always
marked by :func:`mark_query` (a red ring with a white edge). Figures are small
(``DPI``) so that notebooks stay light.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ._validate import as_float_array
from .images import to_gray

__all__ = [
    "DPI",
    "WEIGHT_CMAP",
    "image_grid",
    "mark_query",
    "new_figure",
    "show_image",
    "show_weights",
    "weight_grid",
]

#: Resolution of every figure in the book.
DPI = 90
#: Colormap for weights and similarity scores.
WEIGHT_CMAP = "viridis"


def new_figure(nrows: int = 1, ncols: int = 1, size: float = 2.4, **kwargs):
    """A figure of ``nrows x ncols`` square panels of ``size`` inches.

    Returns ``(fig, axes)`` with ``axes`` always a 2-D array.
    """
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, size * nrows),
        dpi=DPI,
        squeeze=False,
        layout="constrained",
        **kwargs,
    )
    return fig, axes


def _query_rc(query, width: int | None) -> tuple[float, float]:
    if isinstance(query, int | np.integer):
        if width is None:
            raise ValueError("query given as a token index needs the image width")
        return float(query // width), float(query % width)
    if isinstance(query, Sequence) and len(query) == 2:
        return float(query[0]), float(query[1])
    raise TypeError(f"query must be (row, col) or a token index; got {query!r}")


def mark_query(ax, query, width: int | None = None, size: float = 90.0) -> None:
    """Mark the query pixel on ``ax``: a red ring with a white edge.

    Parameters
    ----------
    ax : matplotlib Axes
    query : (row, col) or int
        The query pixel; a token index needs ``width``.
    width : int, optional
        Image width, to convert a token index.
    """
    r, c = _query_rc(query, width)
    ax.scatter([c], [r], s=size, facecolors="none", edgecolors="white", linewidths=3.0)
    ax.scatter([c], [r], s=size, facecolors="none", edgecolors="red", linewidths=1.5)


def show_image(ax, image: np.ndarray, title: str | None = None, query=None) -> None:
    """Show an image (RGB as is, 2-D in grayscale) without axes ticks."""
    img = as_float_array(image, "image", ndim=(2, 3))
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", interpolation="nearest")
    else:
        ax.imshow(np.clip(img, 0.0, 1.0), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if query is not None:
        mark_query(ax, query, width=img.shape[1])


def show_weights(
    ax,
    weights: np.ndarray,
    shape: Sequence[int] | None = None,
    image: np.ndarray | None = None,
    query=None,
    title: str | None = None,
    colorbar: bool = False,
    alpha: float = 0.8,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Show one query's weights (or scores) over all pixels as a map.

    Parameters
    ----------
    ax : matplotlib Axes
    weights : ndarray, shape (N,) or (H, W)
        One number per pixel; a 1-D array needs ``shape``.
    shape : (H, W), optional
    image : ndarray, optional
        Drawn in grayscale underneath, so the map can be read against it.
    query : (row, col) or int, optional
        Marked with :func:`mark_query`.
    title : str, optional
    colorbar : bool
        Add a colorbar for the map.
    alpha : float
        Opacity of the map over the image.
    vmin, vmax : float, optional
        Colour limits, to put several maps on one scale.

    Returns
    -------
    The ``AxesImage`` of the map.
    """
    w = as_float_array(weights, "weights", ndim=(1, 2))
    if w.ndim == 1:
        if shape is None:
            raise ValueError("shape must be given (H, W) when weights is 1-D")
        w = w.reshape(int(shape[0]), int(shape[1]))
    if image is not None:
        ax.imshow(to_gray(image), cmap="gray", interpolation="nearest")
    im = ax.imshow(
        w,
        cmap=WEIGHT_CMAP,
        alpha=alpha if image is not None else 1.0,
        interpolation="nearest",
        vmin=vmin,
        vmax=vmax,
    )
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if query is not None:
        mark_query(ax, query, width=w.shape[1])
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return im


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 2.4,
    query=None,
    suptitle: str | None = None,
):
    """Show several images side by side; returns ``(fig, axes)``."""
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image")
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, size=size)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(ax, images[i], titles[i] if titles else None, query=query)
        else:
            ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig, axes


def weight_grid(
    maps: Sequence[np.ndarray],
    shape: Sequence[int] | None = None,
    titles: Sequence[str] | None = None,
    image: np.ndarray | None = None,
    query=None,
    ncols: int | None = None,
    size: float = 2.4,
    colorbar: bool = True,
    suptitle: str | None = None,
):
    """Show several weight or score maps side by side; returns ``(fig, axes)``.

    Each map gets its own colour scale (and colorbar), because different
    similarities live on different scales.
    """
    n = len(maps)
    if n == 0:
        raise ValueError("maps must hold at least one map")
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, size=size)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_weights(
                ax,
                maps[i],
                shape=shape,
                image=image,
                query=query,
                title=titles[i] if titles else None,
                colorbar=colorbar,
            )
        else:
            ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig, axes
