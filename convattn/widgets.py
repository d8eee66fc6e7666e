"""Live explorers for Jupyter, and the static stand-ins the rendered book shows.

Every explorer in the book has the same shape: you choose a query pixel (and
perhaps a temperature, a k, a kernel size ...), and a row of panels redraws:
images, or weight maps over the image with the query pixel marked.

A chapter describes its panels once, as a function::

    def panels(row, col, **settings):
        return [Panel("similarity", scores_map, kind="weights"), ...]

and gets both views from it: :func:`query_explorer` (sliders, live in
Jupyter) and :func:`panel_grid` (a static figure of several settings, for the
rendered book, where no Python runs). Explorers redraw a PNG inside an
``Image`` widget and never print or display, so that stored notebooks
re-check cleanly under nbval.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from . import plotting

__all__ = ["Panel", "panel_grid", "query_explorer", "render_png"]


@dataclass
class Panel:
    """One picture in an explorer.

    Attributes
    ----------
    title : str
    data : ndarray
        An image ``(H, W)`` / ``(H, W, 3)`` (``kind="image"``) or one number
        per pixel ``(H, W)`` (``kind="weights"``).
    kind : {"image", "weights"}
        Images are shown as they are; weights in viridis over ``background``.
    background : ndarray, optional
        Image drawn in grayscale under a weight map.
    mark : bool
        Mark the query pixel on this panel.
    vmin, vmax : float, optional
        Colour limits of a weight map.
    """

    title: str
    data: np.ndarray
    kind: str = "weights"
    background: np.ndarray | None = None
    mark: bool = True
    vmin: float | None = None
    vmax: float | None = None


PanelsFn = Callable[..., Sequence[Panel]]


def _draw(axes_row, panels: Sequence[Panel], query: tuple[int, int]) -> None:
    for ax, p in zip(axes_row, panels, strict=False):
        q = query if p.mark else None
        if p.kind == "image":
            plotting.show_image(ax, p.data, p.title, query=q)
        elif p.kind == "weights":
            plotting.show_weights(
                ax,
                p.data,
                image=p.background,
                query=q,
                title=p.title,
                vmin=p.vmin,
                vmax=p.vmax,
            )
        else:
            raise ValueError(f"Panel.kind must be 'image' or 'weights'; got {p.kind!r}")
    for ax in axes_row[len(panels) :]:
        ax.set_axis_off()


def panel_grid(
    panels: PanelsFn,
    settings: Sequence[Mapping[str, object]],
    size: float = 2.2,
    row_titles: Sequence[str] | None = None,
):
    """The static stand-in of an explorer: one row of panels per setting.

    Parameters
    ----------
    panels : callable
        ``panels(row=..., col=..., **other) -> list of Panel``.
    settings : sequence of dict
        Keyword arguments for ``panels``, each with ``row`` and ``col``.
    size : float
        Inches per panel.
    row_titles : sequence of str, optional
        A label printed left of each row.

    Returns
    -------
    (fig, axes)
    """
    if not settings:
        raise ValueError("settings must hold at least one setting")
    rows = [list(panels(**s)) for s in settings]
    ncols = max(len(r) for r in rows)
    fig, axes = plotting.new_figure(len(rows), ncols, size=size)
    for i, (s, r) in enumerate(zip(settings, rows, strict=True)):
        _draw(axes[i], r, (s["row"], s["col"]))
        if row_titles:
            axes[i, 0].text(
                -0.08,
                0.5,
                row_titles[i],
                transform=axes[i, 0].transAxes,
                rotation=90,
                va="center",
                ha="right",
                fontsize=9,
            )
    return fig, axes


def query_explorer(
    panels: PanelsFn,
    shape: Sequence[int],
    query: tuple[int, int] | None = None,
    controls: Mapping[str, widgets.Widget] | None = None,
    size: float = 2.6,
) -> widgets.VBox:
    """A live explorer: sliders for the query pixel (and ``controls``), a row of panels.

    Parameters
    ----------
    panels : callable
        ``panels(row, col, **controls) -> list of Panel``.
    shape : (H, W)
        Image size, for the ranges of the row and column sliders.
    query : (row, col), optional
        Starting query pixel; the centre by default.
    controls : dict of str to Widget, optional
        Extra controls, passed to ``panels`` by name (a temperature slider ...).
    size : float
        Inches per panel.

    Returns
    -------
    ipywidgets.VBox
        Display it (make it the last expression of a cell). The picture is an
        ``Image`` widget redrawn by a live kernel; in a static page it shows
        the starting query.
    """
    h, w = int(shape[0]), int(shape[1])
    r0, c0 = query if query is not None else (h // 2, w // 2)
    style = {"description_width": "initial"}
    row = widgets.IntSlider(
        value=r0, min=0, max=h - 1, description="query row", style=style
    )
    col = widgets.IntSlider(
        value=c0, min=0, max=w - 1, description="query col", style=style
    )
    extra = dict(controls or {})
    picture = widgets.Image(format="png")

    def redraw(**values):
        r, c = values.pop("row"), values.pop("col")
        picture.value = render_png(panels(row=r, col=c, **values), (r, c), size=size)

    widgets.interactive_output(redraw, {"row": row, "col": col, **extra})
    boxes = [widgets.HBox([row, col])]
    if extra:
        boxes.append(widgets.HBox(list(extra.values())))
    return widgets.VBox([*boxes, picture])


def render_png(
    items: Sequence[Panel], query: tuple[int, int], size: float = 2.6
) -> bytes:
    """Draw one row of panels and return it as PNG bytes.

    The explorers show these bytes in an ``Image`` widget rather than drawing
    into an ``Output`` widget: then redrawing sends no display messages, the
    cell's only output is the widget, and the picture lives in the widget's
    state, where a static page can show it too.
    """
    fig, axes = plotting.new_figure(1, len(items), size=size)
    _draw(axes[0], items, query)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=plotting.DPI)
    plt.close(fig)
    return buf.getvalue()
