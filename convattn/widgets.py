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

:func:`frame_explorer` is the kernel-free variant: it draws every frame of a
coarse grid of query pixels and settings in advance and lets the sliders pick
one with links that run in the browser (``jslink``), so it also responds in
the static HTML book, where no Python runs.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import traitlets

from . import plotting

__all__ = [
    "Panel",
    "frame_explorer",
    "panel_grid",
    "query_explorer",
    "render_png",
]


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


class _Picture(widgets.Image):
    """An ``Image`` whose tooltip (its alt text in the book) works in browsers.

    The browser side of ipywidgets 8 reads ``description`` when it shows a
    tooltip, and ``Image`` has none, so its view fails to render; an empty
    ``description`` fixes that.
    """

    description = traitlets.Unicode("").tag(sync=True)


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
    picture = _Picture(format="png")

    def redraw(**values):
        r, c = values.pop("row"), values.pop("col")
        items = panels(row=r, col=c, **values)
        picture.value = render_png(items, (r, c), size=size)
        picture.tooltip = _describe(items, {"row": r, "col": c, **values})

    widgets.interactive_output(redraw, {"row": row, "col": col, **extra})
    boxes = [widgets.HBox([row, col])]
    if extra:
        boxes.append(widgets.HBox(list(extra.values())))
    return widgets.VBox([*boxes, picture])


def _describe(items: Sequence[Panel], settings: Mapping[str, object]) -> str:
    """Alt text for an explorer picture: its panels and the setting shown.

    The explorers put it in the ``Image`` widget's tooltip (its ``title``),
    which the book's pages also copy into the picture's alt text.

    Examples
    --------
    >>> import numpy as np
    >>> _describe([Panel("photo", np.zeros((2, 2)), kind="image")], {"row": 1, "col": 0})
    'Panels: photo. Query pixel (row 1, col 0).'
    >>> _describe([Panel("w", np.zeros((2, 2)))], {"row": 1, "col": 0, "k": 4})
    'Panels: w. Query pixel (row 1, col 0), k = 4.'
    """
    titles = ", ".join(p.title for p in items)
    text = (
        f"Panels: {titles}. Query pixel (row {settings['row']}, col {settings['col']})"
    )
    extra = [
        f"{k} = {_label(v)}" for k, v in settings.items() if k not in ("row", "col")
    ]
    return text + "".join(f", {e}" for e in extra) + "."


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


def _label(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _control_values(name: str, control) -> tuple[list, list[str], object]:
    """The values a frame explorer offers for one control, their labels, the start."""
    if isinstance(control, widgets.Widget):
        if hasattr(control, "options"):  # SelectionSlider, Dropdown, ToggleButtons ...
            labels = [str(lab) for lab in control._options_labels]
            values = list(control._options_values)
            start = control.value
        elif isinstance(control, widgets.FloatLogSlider):
            exps = np.arange(control.min, control.max + control.step / 2, control.step)
            values = [float(control.base**e) for e in exps]
            labels = [_label(v) for v in values]
            start = control.value
        elif hasattr(control, "step") and hasattr(control, "min"):
            vals = np.arange(control.min, control.max + control.step / 2, control.step)
            if isinstance(control, widgets.IntSlider):
                values = [int(v) for v in vals]
            else:
                values = [float(v) for v in vals]
            labels = [_label(v) for v in values]
            start = control.value
        else:
            raise TypeError(
                f"controls[{name!r}] must be a selection widget, a slider or a "
                f"sequence of values; got {type(control).__name__}"
            )
    elif isinstance(control, Sequence) and not isinstance(control, str):
        values = list(control)
        labels = [_label(v) for v in values]
        start = values[0] if values else None
    else:
        raise TypeError(
            f"controls[{name!r}] must be a widget or a sequence of values; "
            f"got {type(control).__name__}"
        )
    if not values:
        raise ValueError(f"controls[{name!r}] offers no values")
    return values, labels, start


def _nearest(values: Sequence, start) -> int:
    if start in values:
        return list(values).index(start)
    try:
        return int(np.argmin([abs(float(v) - float(start)) for v in values]))
    except (TypeError, ValueError):
        return 0


def _compact_png(data: bytes, colors: int) -> bytes:
    """Re-encode a PNG with a palette of ``colors`` colours (a third the bytes)."""
    if not colors:
        return data
    from PIL import Image  # matplotlib depends on Pillow

    img = Image.open(io.BytesIO(data)).convert("RGB")
    img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=0)
    buf = io.BytesIO()
    img.save(buf, format="png", optimize=True)
    return buf.getvalue()


def frame_explorer(
    panels: PanelsFn,
    shape: Sequence[int],
    query: tuple[int, int] | None = None,
    controls: Mapping[str, object] | None = None,
    stride: int = 16,
    size: float = 1.8,
    max_frames: int = 64,
    colors: int = 64,
) -> widgets.VBox:
    """An explorer that needs no kernel: every frame drawn in advance.

    The same ``panels`` function as :func:`query_explorer`; the query pixel
    moves on a grid of every ``stride``-th pixel (through the starting query
    pixel), and each control offers a few values. Every combination is drawn
    once, here, into an ``Image`` widget; nested ``Stack`` widgets hold them,
    and each slider's ``index`` is linked in the browser (``jslink``) to the
    ``selected_index`` of the stacks of its level. Moving a slider therefore
    changes the picture in a static HTML page as well as in Jupyter, with no
    Python running.

    Parameters
    ----------
    panels : callable
        ``panels(row, col, **controls) -> list of Panel``.
    shape : (H, W)
        Image size.
    query : (row, col), optional
        Starting query pixel; the centre by default. The grid passes through it.
    controls : dict of str to widget or sequence, optional
        The values each extra control offers: a ``SelectionSlider`` or
        ``Dropdown`` (its options), an ``IntSlider``/``FloatSlider`` (``min`` to
        ``max`` in steps of ``step``), a ``FloatLogSlider`` (its exponents), or a
        plain list of values. The widget's value is the starting value. Each
        becomes a ``SelectionSlider`` with the control's description.
    stride : int
        Spacing of the query grid in pixels.
    size : float
        Inches per panel.
    max_frames : int
        Refuse to draw more frames than this. Every frame is stored in the
        notebook and in the page (5-13 kB each at the defaults, up to about
        0.8 MB for 64 frames), and drawing one takes about 0.1 s.
    colors : int
        Palette size of the stored PNGs; 0 keeps full colour.

    Returns
    -------
    ipywidgets.VBox
        Sliders, then the picture. Its attribute ``frame_links`` lists the
        ``jslink`` links, from a slider's ``index`` to a stack's
        ``selected_index``.

    Examples
    --------
    >>> import numpy as np
    >>> def panels(row, col, scale=1.0):
    ...     w = np.zeros((8, 8))
    ...     w[row, col] = scale
    ...     return [Panel("w", w, vmin=0, vmax=2)]
    >>> box = frame_explorer(panels, (8, 8), stride=4, controls={"scale": [1.0, 2.0]})
    >>> [s.description for s in box.children[0].children + box.children[1].children]
    ['query row', 'query col', 'scale']
    >>> len(box.frame_links)  # 1 row stack, 2 col stacks, 4 scale stacks
    7
    """
    if not callable(panels):
        raise TypeError(f"panels must be callable; got {type(panels).__name__}")
    if len(shape) < 2:
        raise ValueError(f"shape must be (H, W, ...); got {tuple(shape)!r}")
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"shape must be positive; got {tuple(shape)!r}")
    if isinstance(stride, bool) or not isinstance(stride, int | np.integer):
        raise TypeError(f"stride must be an int; got {type(stride).__name__}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1; got {stride}")
    r0, c0 = query if query is not None else (h // 2, w // 2)
    if not (0 <= r0 < h and 0 <= c0 < w):
        raise ValueError(f"query must lie inside the image {h}x{w}; got {query!r}")

    names = ["row", "col"]
    descriptions = ["query row", "query col"]
    axes_values = [
        list(range(r0 % stride, h, stride)),
        list(range(c0 % stride, w, stride)),
    ]
    axes_labels = [[str(v) for v in vals] for vals in axes_values]
    starts = [axes_values[0].index(r0), axes_values[1].index(c0)]
    for name, control in (controls or {}).items():
        values, labels, start = _control_values(name, control)
        names.append(name)
        desc = getattr(control, "description", "") or name
        descriptions.append(desc)
        axes_values.append(values)
        axes_labels.append(labels)
        starts.append(_nearest(values, start))
    n_frames = int(np.prod([len(v) for v in axes_values]))
    if n_frames > max_frames:
        counts = " x ".join(
            f"{n}: {len(v)}" for n, v in zip(names, axes_values, strict=True)
        )
        raise ValueError(
            f"max_frames is {max_frames} but the explorer needs {n_frames} frames "
            f"({counts}); raise stride or offer fewer values"
        )

    style = {"description_width": "initial"}
    sliders = [
        widgets.SelectionSlider(
            options=list(zip(labels, range(len(labels)), strict=True)),
            index=start,
            description=desc,
            style=style,
            continuous_update=True,
        )
        for labels, start, desc in zip(axes_labels, starts, descriptions, strict=True)
    ]

    pictures: dict[bytes, widgets.Image] = {}

    def picture(settings: dict) -> widgets.Image:
        r, c = settings["row"], settings["col"]
        items = panels(**settings)
        png = _compact_png(render_png(items, (r, c), size=size), colors)
        if png not in pictures:  # identical frames share one widget
            pictures[png] = _Picture(
                value=png, format="png", tooltip=_describe(items, settings)
            )
        return pictures[png]

    links: list[widgets.Widget] = []

    def build(level: int, settings: dict):
        if level == len(names):
            return picture(settings)
        children = [
            build(level + 1, {**settings, names[level]: v}) for v in axes_values[level]
        ]
        stack = widgets.Stack(children=children, selected_index=starts[level])
        links.append(
            widgets.jslink((sliders[level], "index"), (stack, "selected_index"))
        )
        return stack

    root = build(0, {})
    boxes = [widgets.HBox(sliders[:2])]
    if len(sliders) > 2:
        boxes.append(widgets.HBox(sliders[2:]))
    # Classes by which the book's browser test finds kernel-free explorers.
    root.add_class("convattn-frames")
    box = widgets.VBox([*boxes, root])
    box.add_class("convattn-frame-explorer")
    box.frame_links = links
    return box
