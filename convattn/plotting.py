"""Figure helpers shared by every chapter, so that all figures look alike.

Conventions:

- Maps are drawn fully opaque. Weights and similarity scores use the
  perceptually uniform ``viridis`` (:data:`WEIGHT_CMAP`); signed values use the
  diverging ``RdBu_r`` (:data:`SIGNED_CMAP`) centred at 0 with a labelled
  colour bar (:func:`show_signed`). A photo is never drawn under a map: it is
  shown beside it, or as faint contour lines on top (``image=``).
- A map scaled to its own range gets a colour bar, or its maximum in the title.
- The query pixel is marked by :func:`mark_query` without covering any data:
  a thin outline just outside it (white inside black) when pixels are drawn
  large, carets outside the picture at its row and column when they are
  small.
- Lines use the colour-blind-safe Okabe-Ito palette (:data:`PALETTE`), each
  with its own line style (:data:`LINESTYLES`), and are labelled directly
  (:func:`label_lines`).
- Sizes: :data:`DPI` pixels per inch as the reader sees them, at most
  :data:`MAX_WIDTH` inches wide, text of at least 10 pt; :func:`setup` (run on
  import) asks for PNGs at twice that resolution, for sharp text on high-DPI
  screens.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.patches import Rectangle

from ._validate import (
    as_float_array,
    as_positive_float,
    as_positive_int,
    check_flag,
    check_index,
)
from .images import to_gray

__all__ = [
    "CHANNELS",
    "DPI",
    "LINESTYLES",
    "MAX_WIDTH",
    "MIN_FONT_PT",
    "OKABE_ITO",
    "OUTLINE_MIN_PT",
    "PALETTE",
    "SIGNED_CMAP",
    "WEIGHT_CMAP",
    "draw_contours",
    "image_grid",
    "label_lines",
    "label_regions",
    "mark_query",
    "new_figure",
    "plot_timing",
    "setup",
    "show_image",
    "show_kernel",
    "show_signed",
    "show_table",
    "show_weights",
    "weight_grid",
]

#: Pixels per inch of a figure as the reader sees it (CSS pixels). PNGs in
#: the notebooks are stored at twice this, see :func:`setup`.
DPI = 90
#: Stored pixels per displayed pixel of an inline figure ("retina"): 1.5
#: keeps 10 pt text sharp on high-DPI screens at about half the bytes of 2.
PIXEL_RATIO = 1.5
#: Smallest text in a figure, in points (tick labels, legends, annotations):
#: 12.5 CSS px at :data:`DPI`. On a phone a figure keeps at least 0.8 of its
#: width (``_static/figures.js``), so this text stays at 10 px or more.
MIN_FONT_PT = 10
#: Widest figure, in inches: ``MAX_WIDTH * DPI`` = 630 px fits the book's
#: main column without being scaled down.
MAX_WIDTH = 7.0
#: Colormap for weights and similarity scores (sequential).
WEIGHT_CMAP = "viridis"
#: Colormap for signed values (diverging, centred at 0).
SIGNED_CMAP = "RdBu_r"
#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: Order in which lines take their colours: neighbours differ in lightness as
#: well as hue, so they stay apart for colour-blind readers and in grayscale.
PALETTE = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "black",
        "sky blue",
        "vermillion",
        "reddish purple",
        "bluish green",
        "yellow",
    )
)
#: Line styles taken in step with :data:`PALETTE`.
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), "-", "--")

#: How the colour channels R, G, B are drawn as lines: (label, colour,
#: line style). A dark red, a light green and Okabe-Ito's blue keep the
#: channels' hues and differ in lightness (CIE L* about 37, 74 and 46) and
#: line style, so red and green stay apart for colour-blind readers, for
#: whom equally light red and green lines merge.
CHANNELS = (
    ("R", "#A6290D", "-"),
    ("G", "#7BC86C", "--"),
    ("B", OKABE_ITO["blue"], ":"),
)

_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "figure.titlesize": 12,
    "axes.prop_cycle": mpl.cycler(color=PALETTE, linestyle=LINESTYLES),
    "image.interpolation": "nearest",
    "lines.linewidth": 1.8,
}


@contextlib.contextmanager
def _undrawn_axes_hidden(fig):
    """Hide, while ``fig`` is drawn, the x and y axis of every map drawn
    without them (``ax.set_axis_off()``).

    Matplotlib does not draw those axes, but it still lays out their tick
    labels each time it places an axes' title; in a figure of many maps
    (a grid of weight maps, say) that is most of the drawing time. Hidden,
    they are skipped, and no pixel changes. An x axis with its ticks on top
    is left alone: the title is placed above it.
    """
    hidden = []
    for ax in fig.axes:
        if ax.axison:
            continue
        axes = [ax.yaxis]
        if ax.xaxis.get_ticks_position() not in ("top", "unknown") and (
            ax.xaxis.get_label_position() != "top"
        ):
            axes.append(ax.xaxis)
        hidden += [axis for axis in axes if axis.get_visible()]
    for axis in hidden:
        axis.set_visible(False)
    try:
        yield
    finally:
        for axis in hidden:
            axis.set_visible(True)


def _retina_png(fig, **kwargs):
    """A figure as a high-DPI PNG, with its display width as metadata.

    The PNG has ``PIXEL_RATIO`` times the figure's pixels, so text stays
    sharp on high-DPI screens, and is stored as opaque RGB (the figures have
    a white face), optimised: half the bytes of a 2x RGBA PNG. Only the width
    is given: pages scale images down to their column with
    ``max-width: 100%``, and a fixed ``height`` would then squash them.
    """
    import base64
    import io

    from PIL import Image

    if not fig.axes and not fig.texts and not fig.images:
        return None  # an empty figure: nothing to show
    kwargs = {k: v for k, v in kwargs.items() if k not in ("format", "dpi")}
    # matplotlib's PNG is only read back here: store it uncompressed (fast),
    # the compression that counts is the final one below
    pil_kwargs = {**(kwargs.pop("pil_kwargs", None) or {}), "compress_level": 0}
    buf = io.BytesIO()
    with _undrawn_axes_hidden(fig):
        fig.savefig(
            buf, format="png", dpi=DPI * PIXEL_RATIO, pil_kwargs=pil_kwargs, **kwargs
        )
    picture = Image.open(io.BytesIO(buf.getvalue()))
    opaque = Image.new("RGB", picture.size, "white")
    opaque.paste(picture, mask=picture.convert("RGBA").getchannel("A"))
    out = io.BytesIO()
    # zlib level 8, not 9: measured on the book's 54 figures, 2.7 times faster
    # to write (2.0 s against 5.4 s) for files 1.2 % larger.
    opaque.save(out, format="PNG", compress_level=8)
    width = round(picture.size[0] / PIXEL_RATIO)
    return base64.b64encode(out.getvalue()).decode("ascii"), {"width": width}


def setup() -> None:
    """Set the book's figure style: sizes, fonts, palette, high-DPI PNGs.

    Runs when :mod:`convattn.plotting` is imported; call it again after
    changing matplotlib's settings by hand. Inside IPython, figures are shown
    as PNGs of ``PIXEL_RATIO`` times their pixels ("retina"), so text
    stays sharp on high-DPI screens.
    """
    mpl.rcParams.update(_RC)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plotting without IPython
        return
    shell = get_ipython()
    if shell is None:
        return
    # Resolve the backend now, so that its own set-up of the figure formats
    # runs first and does not replace this one later.
    mpl.get_backend()
    from matplotlib.figure import Figure

    kwargs = {"bbox_inches": "tight"}
    try:
        from matplotlib_inline.config import InlineBackend

        kwargs = dict(InlineBackend.instance().print_figure_kwargs)
    except ImportError:  # pragma: no cover
        pass
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: _retina_png(fig, **kwargs))


def new_figure(nrows: int = 1, ncols: int = 1, size: float = 2.4, **kwargs):
    """A figure of ``nrows x ncols`` square panels of ``size`` inches.

    Panels shrink so that the figure is at most :data:`MAX_WIDTH` wide.
    Returns ``(fig, axes)`` with ``axes`` always a 2-D array.
    """
    size = as_positive_float(size, "size")
    nrows = as_positive_int(nrows, "nrows")
    ncols = as_positive_int(ncols, "ncols")
    size = min(size, MAX_WIDTH / ncols)
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


def _grid_columns(n: int, most: int = 4) -> int:
    """Columns for ``n`` panels: rows of at most ``most``, as even as possible."""
    rows = -(-n // most)
    return -(-n // rows)


def _query_rc(query, width: int | None) -> tuple[float, float]:
    if isinstance(query, int | np.integer):
        if width is None:
            raise ValueError("query given as a token index needs the image width")
        return float(query // width), float(query % width)
    if isinstance(query, Sequence | np.ndarray) and len(query) == 2:
        limit = np.iinfo(np.int64).max
        row = check_index(query[0], "query[0] (the row)", limit)
        col = check_index(query[1], "query[1] (the column)", limit)
        return float(row), float(col)
    raise TypeError(f"query must be (row, col) or a token index; got {query!r}")


#: A query pixel drawn at least this many points wide is outlined; a smaller
#: one is pointed at by carets outside the picture, since any outline would
#: cover its neighbours (a 3 × 3 field around it, say).
OUTLINE_MIN_PT = 8.0
#: Size of those carets and their gap from the picture's edge, in points.
CARET_PT = 7.0
CARET_GAP_PT = 1.5


class _QueryMarker(Artist):
    """The query-pixel marker; what it draws depends on how large pixels are drawn.

    A pixel drawn at least :data:`OUTLINE_MIN_PT` wide gets a thin outline
    just outside its edges (white inside black, ``lw`` points each), offset in
    points, not data units, so it never covers the pixel however large it is
    drawn. A smaller pixel gets two carets outside the picture instead, left
    of its row and below its column (right and above, where the axes have a
    y or an x label), so nothing is drawn over the data at all.
    Neither is clipped, and both report their extent, so that the layout (and
    a tight bounding box) leaves room for them at the picture's edge.
    """

    def __init__(self, row: float, col: float, lw: float, span=(1, 1)):
        super().__init__()
        self.pixel = (row, col)
        self.span = (int(span[0]), int(span[1]))
        self.lw = lw
        self.set_zorder(5)
        self.set_gid("query")
        self.set_clip_on(False)

    def pixel_points(self, renderer) -> float:
        """How wide a data pixel is drawn, in points."""
        ax = self.axes
        (x0, y0), (x1, y1) = ax.transData.transform([(0.0, 0.0), (1.0, 1.0)])
        px = max(min(abs(x1 - x0), abs(y1 - y0)), 1e-9)
        return px / renderer.points_to_pixels(1.0)

    def outlined(self, renderer) -> bool:
        return min(self.span) * self.pixel_points(renderer) >= OUTLINE_MIN_PT

    def _parts(self, renderer) -> list:
        from matplotlib.lines import Line2D
        from matplotlib.transforms import blended_transform_factory, offset_copy

        ax = self.axes
        top, left = self.pixel
        rows_n, cols_n = self.span
        # the centre of the marked block (the pixel itself for a single pixel)
        row, col = top + (rows_n - 1) / 2, left + (cols_n - 1) / 2
        parts = []
        if self.outlined(renderer):
            unit = self.pixel_points(renderer)
            for colour, offset in (("black", 1.5 * self.lw), ("white", 0.5 * self.lw)):
                out = offset / unit
                parts.append(
                    Rectangle(
                        (left - 0.5 - out, top - 0.5 - out),
                        cols_n + 2 * out,
                        rows_n + 2 * out,
                        fill=False,
                        edgecolor=colour,
                        linewidth=self.lw,
                        transform=ax.transData,
                    )
                )
        else:
            out = CARET_GAP_PT + CARET_PT / 2
            rows = blended_transform_factory(ax.transAxes, ax.transData)
            cols = blended_transform_factory(ax.transData, ax.transAxes)
            # left and below, or right and above where an axis label sits
            right = bool(ax.get_ylabel())
            above = bool(ax.get_xlabel())
            for (x, y), base, marker, dx, dy in (
                ((1.0, row), rows, "<", out, 0.0)
                if right
                else ((0.0, row), rows, ">", -out, 0.0),
                ((col, 1.0), cols, "v", 0.0, out)
                if above
                else ((col, 0.0), cols, "^", 0.0, -out),
            ):
                parts.append(
                    Line2D(
                        [x],
                        [y],
                        marker=marker,
                        markersize=CARET_PT,
                        markerfacecolor="black",
                        markeredgecolor="white",
                        markeredgewidth=0.5,
                        linestyle="none",
                        transform=offset_copy(base, ax.figure, dx, dy, units="points"),
                    )
                )
        for part in parts:
            part.set_figure(self.figure)
            part.axes = ax
            part.set_clip_on(False)
            part.set_zorder(self.get_zorder())
        return parts

    def draw(self, renderer):
        if not self.get_visible():
            return
        for part in self._parts(renderer):
            part.draw(renderer)

    def get_window_extent(self, renderer=None):
        from matplotlib.transforms import Bbox

        if renderer is None:
            renderer = self.figure._get_renderer()
        return Bbox.union(
            [p.get_window_extent(renderer) for p in self._parts(renderer)]
        )


def mark_query(
    ax, query, width: int | None = None, size: float = 1.0, span=(1, 1)
) -> None:
    """Mark the query pixel on ``ax``, without covering it or its neighbours.

    A pixel drawn large (at least :data:`OUTLINE_MIN_PT` points) is outlined
    just outside its edges, white inside black, so its value stays visible on
    any background. A small one (a pixel of a 64 × 64 photo, say) is pointed
    at by two carets outside the picture, left of its row and below its
    column: an outline would hide the pixels around it. The marker is never
    clipped, and the figure's layout leaves room for it, so a pixel on the
    border is marked in full.

    Parameters
    ----------
    ax : matplotlib Axes
    query : (row, col) or int
        The query pixel; a token index needs ``width``.
    width : int, optional
        Image width, to convert a token index.
    size : float
        Width of each of the outline's two lines, in points.
    span : (rows, cols)
        Mark the block of ``rows × cols`` pixels whose top-left pixel is
        ``query`` (a window, say) instead of one pixel: it is outlined where
        its shorter side is drawn at least :data:`OUTLINE_MIN_PT` wide, and
        the carets point at its centre otherwise.
    """
    r, c = _query_rc(query, width)
    lw = float(size)
    if not lw > 0:
        raise ValueError(f"size must be a positive line width; got {size!r}")
    if not isinstance(span, Sequence) or len(span) != 2:
        raise TypeError(f"span must be (rows, cols); got {span!r}")
    limit = np.iinfo(np.int64).max
    rows_n = check_index(span[0], "span[0] (rows)", limit)
    cols_n = check_index(span[1], "span[1] (cols)", limit)
    if rows_n < 1 or cols_n < 1:
        raise ValueError(f"span must be at least (1, 1); got {tuple(span)!r}")
    ax.add_artist(_QueryMarker(r, c, lw, (rows_n, cols_n)))


def _title_off_axes(ax, title: str) -> None:
    """Title a picture drawn without axes (``set_axis_off``), just above it.

    Matplotlib places a title above the axes' top tick labels. With the axes
    off there are none, so the title stays at the top edge (``y=1``), where
    it is put here directly: this skips the search over the hidden tick
    labels of both axes, which is most of a figure's layout time.
    """
    ax.set_title(title, y=1.0)


def show_image(ax, image: np.ndarray, title: str | None = None, query=None) -> None:
    """Show an image (RGB as is, 2-D in grayscale) without axes ticks."""
    img = as_float_array(image, "image", ndim=(2, 3))
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", interpolation="nearest")
    else:
        ax.imshow(np.clip(img, 0.0, 1.0), interpolation="nearest")
    ax.set_axis_off()
    if title:
        _title_off_axes(ax, title)
    if query is not None:
        mark_query(ax, query, width=img.shape[1])


def _smooth(gray: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur with edge padding: contours of pixel noise are clutter."""
    k = np.array([1.0, 2.0, 1.0]) / 4.0
    p = np.pad(gray, 1, mode="edge")
    rows = k[0] * p[:-2] + k[1] * p[1:-1] + k[2] * p[2:]
    return k[0] * rows[:, :-2] + k[1] * rows[:, 1:-1] + k[2] * rows[:, 2:]


def draw_contours(ax, image: np.ndarray, levels: int = 1) -> None:
    """Faint contour lines of ``image``'s brightness, to find one's way on a map."""
    gray = _smooth(to_gray(as_float_array(image, "image", ndim=(2, 3))))
    if np.ptp(gray) == 0:
        return
    qs = np.quantile(gray, np.linspace(0, 1, levels + 2)[1:-1])
    qs = np.unique(qs)
    if qs.size == 0 or qs[0] <= gray.min() or qs[-1] >= gray.max():
        qs = qs[(qs > gray.min()) & (qs < gray.max())]
    if qs.size == 0:
        return
    ax.contour(gray, levels=qs, colors="white", linewidths=0.6, alpha=0.6, zorder=3)


#: How a colour bar's ends may be drawn (matplotlib's ``extend``).
EXTENDS = ("neither", "min", "max", "both")


def _extend(lo: float, hi: float, vmin: float | None, vmax: float | None) -> str:
    """How a colour bar says that data lie outside its limits: a pointed end
    (matplotlib's ``extend``) on each side the colours clip.

    Examples
    --------
    >>> _extend(0.0, 0.11, 0.0, 0.02), _extend(0.0, 1.0, None, None)
    ('max', 'neither')
    >>> _extend(-2.0, 3.0, -1.0, 1.0)
    'both'
    """
    below = vmin is not None and lo < vmin
    above = vmax is not None and hi > vmax
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
        (below, above), "neither"
    )


def _colorbar(ax, im, label: str | None, extend: str = "neither"):
    cb = ax.figure.colorbar(
        im, ax=ax, shrink=0.85, fraction=0.06, pad=0.03, extend=extend
    )
    if label:
        cb.set_label(label)
    return cb


def show_weights(
    ax,
    weights: np.ndarray,
    shape: Sequence[int] | None = None,
    image: np.ndarray | None = None,
    query=None,
    title: str | None = None,
    colorbar: bool = False,
    alpha: float = 1.0,
    vmin: float | None = None,
    vmax: float | None = None,
    label: str | None = None,
    cmap: str | None = None,
    norm=None,
    extend: str | None = None,
):
    """Show one query's weights (or scores) over all pixels as an opaque map.

    Parameters
    ----------
    ax : matplotlib Axes
    weights : ndarray, shape (N,) or (H, W)
        One number per pixel; a 1-D array needs ``shape``.
    shape : (H, W), optional
    image : ndarray, optional
        The photo the map belongs to, drawn as faint contour lines over the
        map (never under it), so that the map can be read against it.
    query : (row, col) or int, optional
        Outlined with :func:`mark_query`.
    title : str, optional
    colorbar : bool
        Add a colour bar. Without one, and without ``vmax``, the title ends
        with the map's maximum, so that its scale is never hidden.
    alpha : float
        Opacity of the map; must be 1. Kept so that older calls still run:
        a map laid see-through over a photo misreads its colour bar.
    vmin, vmax : float, optional
        Colour limits, to put several maps on one scale.
    label : str, optional
        Label of the colour bar.
    cmap : str, optional
        Colormap, :data:`WEIGHT_CMAP` by default.
    norm : matplotlib Normalize, optional
        A colour scale such as ``LogNorm(1e-6, 1)``; replaces ``vmin``/``vmax``.
    extend : {"neither", "min", "max", "both"}, optional
        Which ends of the colour bar are pointed, to say that values beyond
        them are drawn in its end colours; by default where the map's values
        lie outside ``vmin``/``vmax``. Give it for data clipped before the
        call (``np.log10(np.maximum(w, 1e-8))`` with ``vmin=-8``).

    Returns
    -------
    The ``AxesImage`` of the map.
    """
    if alpha != 1.0:
        raise ValueError(f"alpha must be 1 (maps are drawn opaque); got {alpha!r}")
    w = as_float_array(weights, "weights", ndim=(1, 2))
    if w.ndim == 1:
        if shape is None:
            raise ValueError("shape must be given (H, W) when weights is 1-D")
        h, wd = (as_positive_int(n, "shape") for n in tuple(shape)[:2])
        if w.size != h * wd:
            raise ValueError(
                f"weights has {w.size} entries, but shape {tuple(shape)} needs {h * wd}"
            )
        w = w.reshape(h, wd)
    # a pointed end on the colour bar where the limits clip the map
    if extend is None:
        extend = (
            _extend(w.min(), w.max(), norm.vmin, norm.vmax)
            if norm is not None
            else _extend(w.min(), w.max(), vmin, vmax)
        )
    elif extend not in EXTENDS:
        raise ValueError(f"extend must be one of {EXTENDS}; got {extend!r}")
    if norm is not None:
        if isinstance(norm, mpl.colors.LogNorm) and norm.vmin is not None:
            # weights that underflow to 0 would be masked (drawn blank) on a log
            # scale: draw them in the lowest colour, as "at most vmin"
            w = np.maximum(w, norm.vmin)
        im = ax.imshow(w, cmap=cmap or WEIGHT_CMAP, norm=norm, interpolation="nearest")
        vmin, vmax = norm.vmin, norm.vmax
    else:
        im = ax.imshow(
            w, cmap=cmap or WEIGHT_CMAP, interpolation="nearest", vmin=vmin, vmax=vmax
        )
    flat = np.ptp(w) == 0
    if image is not None and not flat:
        draw_contours(ax, image)
    ax.set_axis_off()
    if flat and vmin is None and vmax is None:
        ax.text(
            0.5,
            0.5,
            f"flat: every\nvalue = {_number(w.flat[0], 1.0)}",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="white",
            bbox=dict(facecolor="black", alpha=0.6, edgecolor="none"),
        )
    # Without a colour bar the title gives the scale: the maximum, which is the
    # bright end, and the minimum too where the dark end is not 0 (scores
    # from -2.7 to 0 say more than "max 0"). A title that already gives the
    # maximum (as in "so far (max 0.01)") keeps it.
    if not colorbar and vmax is None and not flat and "max" not in (title or ""):
        scale = np.abs(w).max()
        low = w.min() if vmin is None else vmin
        top = (
            f"{_number(low, scale)} to {_number(w.max(), scale)}"
            if abs(low) > 1e-9 * max(scale, 1.0)
            else f"max {_number(w.max(), scale)}"
        )
        title = f"{title}\n{top}" if title else top
    if title:
        _title_off_axes(ax, title)
    if query is not None:
        mark_query(ax, query, width=w.shape[1])
    if colorbar:
        cb = _colorbar(ax, im, label, extend)
        # a flat map's scale says nothing; keep its room, so panels line up
        cb.ax.set_visible(not (flat and vmin is None and vmax is None))
    return im


def _number(x: float, scale: float) -> str:
    """``x`` to 3 significant digits with a true minus sign, rounding noise
    around 0 written as 0."""
    x = float(x)
    if abs(x) <= 1e-9 * max(float(scale), 1.0):
        x = 0.0
    return f"{x + 0.0:.3g}".replace("-", "\u2212")


def show_signed(
    ax,
    values: np.ndarray,
    shape: Sequence[int] | None = None,
    query=None,
    title: str | None = None,
    label: str = "value",
    vmax: float | None = None,
    colorbar: bool = True,
    annotate: bool = False,
    fmt: str = "{:.2g}",
):
    """Show signed values as a diverging map centred at 0, with a colour bar.

    Parameters
    ----------
    ax : matplotlib Axes
    values : ndarray, shape (N,) or (H, W)
    shape : (H, W), optional
        Needed when ``values`` is 1-D.
    query : (row, col) or int, optional
    title : str, optional
    label : str
        Label of the colour bar.
    vmax : float, optional
        The colour limits are ``-vmax`` and ``vmax``; by default the largest
        absolute value.
    colorbar : bool
    annotate : bool
        Write each value in its cell (for small kernels).
    fmt : str
        Format of the written values.

    Returns
    -------
    The ``AxesImage`` of the map.
    """
    v = as_float_array(values, "values", ndim=(1, 2))
    if v.ndim == 1:
        if shape is None:
            raise ValueError("shape must be given (H, W) when values is 1-D")
        v = v.reshape(int(shape[0]), int(shape[1]))
    if vmax is None:
        vmax = float(np.abs(v).max()) or 1.0
    im = ax.imshow(v, cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if annotate:
        _annotate(ax, v, fmt, lambda x: "white" if abs(x) > 0.6 * vmax else "black")
    if title:
        ax.set_title(title)
    if query is not None:
        mark_query(ax, query, width=v.shape[1])
    if colorbar:
        _colorbar(ax, im, label)
    return im


def _annotate(ax, v: np.ndarray, fmt: str, ink) -> None:
    """Write each value in its cell, in the colour ``ink(value)``."""
    for (r, c), x in np.ndenumerate(v):
        ax.text(
            c,
            r,
            fmt.format(x),
            ha="center",
            va="center",
            color=ink(x),
            fontsize=MIN_FONT_PT,
        )


def show_kernel(
    ax,
    kernel: np.ndarray,
    title: str | None = None,
    label: str = "weight",
    annotate: bool = True,
    colorbar: bool = True,
    fmt: str = "{:.2g}",
):
    """Show a small kernel cell by cell, each value written in its cell.

    Kernels with negative entries get the diverging :data:`SIGNED_CMAP`
    centred at 0; non-negative ones :data:`WEIGHT_CMAP` from 0.
    """
    k = as_float_array(kernel, "kernel", ndim=2)
    if (k < 0).any():
        return show_signed(
            ax,
            k,
            title=title,
            label=label,
            colorbar=colorbar,
            annotate=annotate,
            fmt=fmt,
        )
    vmax = float(k.max()) or 1.0
    im = ax.imshow(k, cmap=WEIGHT_CMAP, vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if annotate:
        cmap = mpl.colormaps[WEIGHT_CMAP]
        _annotate(
            ax, k, fmt, lambda x: "black" if sum(cmap(x / vmax)[:3]) > 1.5 else "white"
        )
    if title:
        ax.set_title(title)
    if colorbar:
        _colorbar(ax, im, label)
    return im


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 2.4,
    query=None,
    suptitle: str | None = None,
):
    """Show several images, in rows of at most four; returns ``(fig, axes)``."""
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image")
    ncols = _grid_columns(n) if ncols is None else as_positive_int(ncols, "ncols")
    if titles is not None and len(titles) != n:
        raise ValueError(
            f"titles must have one entry per image ({n}); got {len(titles)}"
        )
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, size=size)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(ax, images[i], titles[i] if titles else None, query=query)
        else:
            ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
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
    vmin: float | None = None,
    vmax: float | None = None,
    label: str | None = None,
    norm=None,
):
    """Show several weight or score maps, in rows of at most four.

    Each map gets its own colour scale (and colour bar), because different
    similarities live on different scales; give ``vmin`` and ``vmax`` to put
    them all on one scale, with one colour bar for the whole grid (or
    ``norm``, e.g. a shared ``LogNorm``).

    Returns ``(fig, axes)``.
    """
    n = len(maps)
    if n == 0:
        raise ValueError("maps must hold at least one map")
    colorbar = check_flag(colorbar, "colorbar")
    ncols = _grid_columns(n) if ncols is None else as_positive_int(ncols, "ncols")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per map ({n}); got {len(titles)}")
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, size=size)
    shared = norm is not None or (vmin is not None and vmax is not None)
    im = None
    for i, ax in enumerate(axes.flat):
        if i < n:
            im = show_weights(
                ax,
                maps[i],
                shape=shape,
                image=image,
                query=query,
                title=titles[i] if titles else None,
                colorbar=colorbar and not shared,
                vmin=vmin,
                vmax=vmax,
                label=label,
                norm=norm,
            )
        else:
            ax.set_axis_off()
    if shared and colorbar:
        lo = min(float(np.min(m)) for m in maps)
        hi = max(float(np.max(m)) for m in maps)
        limits = (norm.vmin, norm.vmax) if norm is not None else (vmin, vmax)
        cb = fig.colorbar(
            im,
            ax=axes,
            shrink=0.85,
            fraction=0.05,
            pad=0.02,
            extend=_extend(lo, hi, *limits),
        )
        if label:
            cb.set_label(label)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes


def label_regions(
    ax, labels: np.ndarray, avoid: np.ndarray | None = None, fontsize: float = 10
) -> None:
    """Write each region's label in it, so that no colour has to be told apart.

    ``labels`` is an ``(H, W)`` integer map; each label is written at its pixel
    nearest to the label's centroid (a pixel of the region even when the
    region is not convex), skipping the pixels where ``avoid`` (an ``(H, W)``
    boolean map) is true, such as pixels the reader must see.
    """
    lab = np.asarray(labels)
    if lab.ndim != 2:
        raise ValueError(f"labels must be an (H, W) map; got shape {lab.shape}")
    free = np.ones(lab.shape, bool)
    if avoid is not None:
        free = ~np.asarray(avoid, bool)
        if free.shape != lab.shape:
            raise ValueError(f"avoid must have the shape of labels {lab.shape}")
    for value in np.unique(lab):
        rows, cols = np.nonzero((lab == value) & free)
        if rows.size == 0:
            continue
        k = np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2)
        ax.text(
            cols[k],
            rows[k],
            str(value),
            ha="center",
            va="center",
            fontsize=fontsize,
            bbox=dict(
                boxstyle="round,pad=0.15", facecolor="white", edgecolor="black", lw=0.5
            ),
        )


def label_lines(ax, xpos: str = "end", pad: float = 4.0, **kwargs) -> None:
    """Write each labelled line's label at its last (or first) point, in its colour.

    The label sits just above the point, on the inner side, so it stays
    inside the axes; a point in the top fifth of the axes gets its label just
    below it instead, clear of the title. Direct labels spare the reader the
    trip to a legend and do not rely on colour alone.
    """
    if xpos not in ("end", "start"):
        raise ValueError(f"xpos must be 'end' or 'start'; got {xpos!r}")
    ax.get_ylim()  # settle the limits, so that "the top fifth" is known
    to_axes = ax.transData + ax.transAxes.inverted()
    for line in ax.get_lines():
        text = line.get_label()
        if not text or text.startswith("_"):
            continue
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        x, y = x[ok], y[ok]
        i = -1 if xpos == "end" else 0
        high = to_axes.transform((x[i], y[i]))[1] > 0.8
        ax.annotate(
            text,
            (x[i], y[i]),
            xytext=(-pad if xpos == "end" else pad, -pad if high else pad),
            textcoords="offset points",
            ha="right" if xpos == "end" else "left",
            va="top" if high else "bottom",
            color=line.get_color(),
            # a light backing keeps the label legible where a line crosses it
            bbox={
                "boxstyle": "square,pad=0.1",
                "fc": "white",
                "ec": "none",
                "alpha": 0.8,
            },
            **kwargs,
        )


def plot_timing(
    ax,
    n: Sequence[float],
    median,
    low=None,
    high=None,
    label: str | None = None,
    color: str | None = None,
    linestyle=None,
    marker: str = "o",
):
    """Plot timings: the median of repeats as a line, their spread as a band.

    ``median`` is either numbers (then ``low`` and ``high`` give the spread) or
    timing results with ``median``, ``low`` and ``high`` attributes.

    Returns the median's ``Line2D``.
    """
    n = as_float_array(n, "n", ndim=1)
    if low is None and high is None and len(median) and hasattr(median[0], "median"):
        timings = list(median)
        median = [t.median for t in timings]
        low = [t.low for t in timings]
        high = [t.high for t in timings]
    med = as_float_array(median, "median", ndim=1)
    if med.shape != n.shape:
        raise ValueError(f"median must have one value per n ({n.size}); got {med.size}")
    (line,) = ax.plot(
        n, med, marker=marker, label=label, color=color, linestyle=linestyle
    )
    if low is not None and high is not None:
        lo = as_float_array(low, "low", ndim=1)
        hi = as_float_array(high, "high", ndim=1)
        if lo.shape != n.shape or hi.shape != n.shape:
            raise ValueError("low and high must have one value per n")
        ax.fill_between(n, lo, hi, color=line.get_color(), alpha=0.25, linewidth=0)
    return line


def show_table(
    rows: Sequence[Sequence], headers: Sequence[str], floatfmt: str = "{:.3g}"
):
    """A Markdown table for display in a notebook (``IPython.display.Markdown``).

    Numbers are written with ``floatfmt``, negative ones with a true minus
    sign (−); other cells with ``str``.
    """
    from IPython.display import Markdown

    if not headers:
        raise ValueError("headers must name at least one column")

    def cell(x) -> str:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            return str(x).replace("|", "\\|")
        text = (
            floatfmt.format(float(x)) if isinstance(x, float | np.floating) else str(x)
        )
        return text.replace("-", "\u2212")  # a true minus sign

    lines = ["| " + " | ".join(str(h) for h in headers) + " |"]
    lines.append("|" + "|".join(["---"] * len(headers)) + "|")
    for r in rows:
        if len(r) != len(headers):
            raise ValueError(f"every row must have {len(headers)} cells; got {len(r)}")
        lines.append("| " + " | ".join(cell(x) for x in r) + " |")
    return Markdown("\n".join(lines))


setup()
