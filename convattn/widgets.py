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

:func:`frame_explorer` is the kernel-free variant: it computes every frame
of a coarse grid of query pixels and settings in advance and returns one
self-contained piece of HTML (lossless pictures, native labelled range
inputs, a few lines of script), so it also responds in the static HTML book,
where no Python runs, and in any notebook front end, with no widget library.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from . import plotting
from ._validate import as_int, check_index, check_pixel, check_shape

if TYPE_CHECKING:
    import ipywidgets as widgets

__all__ = [
    "RING_MIN_PX",
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
    mark : bool, (row, col) or (first row, end row, first col, end col)
        ``True`` marks the query pixel on this panel; a pixel or a block of
        this panel's own pixels marks that instead (the centre of a crop
        around the query pixel, or a window), where the query pixel's
        coordinates would not fit the picture.
    vmin, vmax : float, optional
        Colour limits of a weight map.
    cmap : str, optional
        Colour map of a weight map (``"RdBu_r"``, centred by ``vmin = -vmax``,
        for signed values; ``"gray"`` for an image on a stated scale);
        viridis by default.
    extend : {"neither", "min", "max", "both"}, optional
        Pointed ends of the map's colour bar, for values beyond its limits;
        by default where the data lie outside ``vmin``/``vmax``. Give it for
        data clipped before (a log of weights floored at ``vmin``).
    """

    title: str
    data: np.ndarray
    kind: str = "weights"
    background: np.ndarray | None = None
    mark: bool | tuple[int, ...] = True
    vmin: float | None = None
    vmax: float | None = None
    cmap: str | None = None
    extend: str | None = None


PanelsFn = Callable[..., Sequence[Panel]]


@cache
def _picture_widget():
    """The ``Image`` widget class of live explorers, made on first use.

    ipywidgets is imported only here (and by the caller's own controls): the
    frame explorers and static figures of the book do not need it.
    """
    import ipywidgets as widgets
    import traitlets

    class _Picture(widgets.Image):
        """An ``Image`` whose tooltip (its alt text in the book) works in browsers.

        The browser side of ipywidgets 8 reads ``description`` when it shows
        a tooltip, and ``Image`` has none, so its view fails to render; an
        empty ``description`` fixes that.
        """

        description = traitlets.Unicode("").tag(sync=True)

    return _Picture


def _marked(mark, shape) -> bool | list[int]:
    """A panel's ``mark``, checked: ``True`` (the query pixel), ``False``, or
    the block ``[first row, end row, first col, end col]`` of its pixels."""
    if isinstance(mark, bool | np.bool_):
        return bool(mark)
    if (
        isinstance(mark, str)
        or not isinstance(mark, Sequence)
        or len(mark) not in (2, 4)
    ):
        raise TypeError(
            "Panel.mark must be True, False, a pixel (row, col) or a block "
            f"(first row, end row, first col, end col); got {mark!r}"
        )
    h, w = int(shape[0]), int(shape[1])
    if len(mark) == 2:
        r, c = check_pixel(mark, (h, w), "Panel.mark")
        return [r, r + 1, c, c + 1]
    r0 = check_index(mark[0], "Panel.mark[0] (the first row)", h)
    c0 = check_index(mark[2], "Panel.mark[2] (the first column)", w)
    r1 = as_int(mark[1], "Panel.mark[1] (the end row)")
    c1 = as_int(mark[3], "Panel.mark[3] (the end column)")
    if not (r0 < r1 <= h and c0 < c1 <= w):
        raise ValueError(
            f"Panel.mark must be a block inside the picture {h}×{w} with "
            f"first < end; got {tuple(mark)!r}"
        )
    return [r0, r1, c0, c1]


def _draw(axes_row, panels: Sequence[Panel], query: tuple[int, int]) -> None:
    for ax, p in zip(axes_row, panels, strict=False):
        mark = _marked(p.mark, np.shape(p.data))
        q = query if mark is True else None
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
                cmap=p.cmap,
                extend=_checked_extend(p),
            )
        else:
            raise ValueError(f"Panel.kind must be 'image' or 'weights'; got {p.kind!r}")
        if isinstance(mark, list):
            r0, r1, c0, c1 = mark
            plotting.mark_query(ax, (r0, c0), span=(r1 - r0, c1 - c0))
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
    if not callable(panels):
        raise TypeError(f"panels must be a function returning Panels; got {panels!r}")
    rows = [list(panels(**s)) for s in settings]
    ncols = max(len(r) for r in rows)
    fig, axes = plotting.new_figure(len(rows), ncols, size=size)
    for i, (s, r) in enumerate(zip(settings, rows, strict=True)):
        _draw(axes[i], r, (s["row"], s["col"]))
        if row_titles:
            # clear of the query marker's carets left of the picture
            axes[i, 0].annotate(
                row_titles[i],
                (0.0, 0.5),
                xycoords="axes fraction",
                xytext=(-(plotting.CARET_GAP_PT + plotting.CARET_PT + 3.0), 0.0),
                textcoords="offset points",
                rotation=90,
                va="center",
                ha="right",
                fontsize=plotting.MIN_FONT_PT,
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
    import ipywidgets as widgets

    if not callable(panels):
        raise TypeError(f"panels must be a function returning Panels; got {panels!r}")
    h, w = check_shape(shape)
    r0, c0 = check_pixel(query, (h, w)) if query is not None else (h // 2, w // 2)
    style = {"description_width": "initial"}
    row = widgets.IntSlider(
        value=r0, min=0, max=h - 1, description="query row", style=style
    )
    col = widgets.IntSlider(
        value=c0, min=0, max=w - 1, description="query col", style=style
    )
    extra = dict(controls or {})
    picture = _picture_widget()(format="png")

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
    # a widget means ipywidgets is loaded already: no need to import it here
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None and isinstance(control, widgets.Widget):
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


# --- The kernel-free explorer: precomputed frames behind native range inputs ---

#: The explorers draw the query ring only where a data pixel is drawn at
#: least this many screen pixels wide (as :data:`convattn.plotting.OUTLINE_MIN_PT`
#: for the static figures); smaller, the ticks beside the picture mark it.
RING_MIN_PX = 8

_CSS = """\
.convattn-frame-explorer{margin:1rem 0;max-width:100%}
.cax-controls{display:grid;grid-template-columns:max-content minmax(6rem,18rem) \
max-content;gap:.35rem .75rem;align-items:center;margin:0 0 .6rem}
.cax-controls label{font-weight:600}
.cax-controls input[type=range]{width:100%;margin:0;min-height:24px}
.cax-controls output{font-variant-numeric:tabular-nums;white-space:nowrap}
@media (max-width:34rem){.cax-controls{grid-template-columns:max-content minmax(0,1fr)}\
.cax-controls output{grid-column:2;margin-top:-.3rem}}
.cax-panels{display:flex;flex-wrap:wrap;gap:.6rem .5rem;align-items:flex-start}
.cax-panel{margin:0;flex:1 1 8.5rem;max-width:calc(var(--cax-w) + 7px)}
.cax-title{font-size:.85rem;line-height:1.25;margin:0 0 .2rem;color:inherit;\
text-align:left;min-height:2.5em;padding:0;white-space:pre-line}
.cax-frame{display:grid;grid-template-columns:7px minmax(0,1fr);grid-template-rows:7px auto}
.cax-frame svg{display:block;overflow:visible}
.cax-tl{position:relative;display:block}
.cax-tl svg{position:absolute;inset:0;width:100%;height:100%}
.cax-tick{stroke:currentColor;stroke-width:1px;vector-effect:non-scaling-stroke}
.cax-tick-on{stroke:#e00000;stroke-width:4px}
.cax-pic{position:relative;line-height:0;width:100%;\
outline:1px solid color-mix(in srgb,currentColor 35%,transparent)}
.cax-pic img{width:100%;height:auto;image-rendering:pixelated;margin:0;\
padding:0!important;border:0!important;border-radius:0!important;\
background:none!important;filter:none!important}
.cax-pic svg{position:absolute;inset:0;width:100%;height:100%}
.cax-ring{fill:none;vector-effect:non-scaling-stroke}
.cax-ring-out{stroke:#fff;stroke-width:4px}
.cax-ring-in{stroke:#e00000;stroke-width:2px}
.cax-cbar{display:flex;gap:.3rem;align-items:center;font-size:.75rem;\
margin:.25rem 0 0 7px}
.cax-cbar i{flex:1;height:.6rem;min-width:2rem}
.cax-cbar i.cax-lo{clip-path:polygon(0 50%,.45rem 0,100% 0,100% 100%,.45rem 100%)}
.cax-cbar i.cax-hi{clip-path:polygon(0 0,calc(100% - .45rem) 0,100% 50%,\
calc(100% - .45rem) 100%,0 100%)}
.cax-cbar i.cax-lo.cax-hi{clip-path:polygon(0 50%,.45rem 0,calc(100% - .45rem) 0,\
100% 50%,calc(100% - .45rem) 100%,.45rem 100%)}
.cax-caption{font-size:.9rem;margin:.6rem 0 0;color:inherit;text-align:left}
"""

_SCRIPT = """\
(function () {
  var me = document.currentScript;
  var root = (me && me.closest(".convattn-frame-explorer")) ||
    document.getElementById("%(id)s");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var d = JSON.parse(root.querySelector("script.cax-data").textContent);
  var inputs = root.querySelectorAll("input.cax-range");
  var panels = root.querySelectorAll(".cax-panel");
  function show() {
    var f = 0;
    inputs.forEach(function (inp, a) {
      var i = Number(inp.value), text = d.labels[a][i];
      f = f * d.labels[a].length + i;
      inp.setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + inp.id + "']").textContent = text;
    });
    var r = d.rows[inputs[0].value], c = d.cols[inputs[1].value];
    d.frames[f].forEach(function (p, k) {
      var el = panels[k], img = el.querySelector("img");
      img.src = d.images[p[0]];
      img.alt = p[2];
      el.querySelector(".cax-title").textContent = p[1];
      var bar = el.querySelector(".cax-cbar");
      if (bar) {
        bar.hidden = p[3] === null;
        bar.firstChild.textContent = p[3];
        bar.lastChild.textContent = p[4];
        if (p[6] !== null) bar.children[1].style.background = d.gradients[p[6]];
        bar.children[1].className = p[7];  // the classes that point its ends
      }
      // p[5]: true marks the query pixel (ticks and outline), a block
      // [first row, end row, first col, end col] of the panel's own pixels
      // is outlined alone, false marks nothing.
      var block = Array.isArray(p[5]) ? p[5] : null;
      el.querySelectorAll(".cax-q").forEach(function (m) {
        var ring = m.parentNode.classList.contains("cax-pic");
        m.style.visibility = p[5] === true || (block && ring) ? "visible" : "hidden";
        var s = Number(m.getAttribute("data-s"));
        var x = c + 0.5 - s / 2, y = r + 0.5 - s / 2, w = s, h = s, least = 1;
        if (block) {
          y = block[0]; h = block[1] - block[0];
          x = block[2]; w = block[3] - block[2];
          least = Math.min(w, h);
        }
        // The ring lies outside the query's square, never over its pixels:
        // 2 screen pixels out, however large the picture is drawn. Where a
        // pixel is drawn smaller than %(ring_min)s screen pixels, a ring would
        // cover its neighbours (a 3 x 3 field, say): then the red ticks
        // beside the picture alone mark the query pixel.
        var box = m.getBoundingClientRect(), vb = m.viewBox.baseVal;
        var px = box.width ? 2 * vb.width / box.width : 0;
        var py = box.height ? 2 * vb.height / box.height : 0;
        var big = least * box.width >= %(ring_min)s * vb.width;
        m.querySelectorAll("rect").forEach(function (q) {
          q.style.display = big ? "" : "none";
          q.setAttribute("x", x - px);
          q.setAttribute("y", y - py);
          q.setAttribute("width", w + 2 * px);
          q.setAttribute("height", h + 2 * py);
        });
      });
      el.querySelectorAll(".cax-tick").forEach(function (t) {
        var v = Number(t.getAttribute("data-v"));
        var on = t.getAttribute("data-axis") === "row" ? v === r : v === c;
        t.classList.toggle("cax-tick-on", on);
      });
    });
  }
  inputs.forEach(function (inp) { inp.addEventListener("input", show); });
  window.addEventListener("resize", show);
  show();
})();
"""


def _lut(name: str | None = None) -> np.ndarray:
    """The 256 colours of a matplotlib colour map (viridis by default), as bytes."""
    from matplotlib import colormaps

    cmap = colormaps[name or plotting.WEIGHT_CMAP]
    if cmap.N != 256:
        raise ValueError(f"cmap must have 256 colours; {name!r} has {cmap.N}")
    return cmap(np.arange(cmap.N), bytes=True)[:, :3]


def _weight_indices(data: np.ndarray, vmin, vmax) -> tuple[np.ndarray, float, float]:
    """Colour-map indices 0..255 of a weight map, as matplotlib computes them.

    ``Normalize(vmin, vmax)`` then ``Colormap.__call__``: ``floor(x * N)``,
    the top value folded into the last colour, clipped; a constant map
    (``vmin == vmax``) normalises to 0.
    """
    lo = float(np.min(data)) if vmin is None else float(vmin)
    hi = float(np.max(data)) if vmax is None else float(vmax)
    if hi > lo:
        scaled = (data - lo) / (hi - lo) * 256.0
    else:
        scaled = np.zeros_like(data)
    idx = np.clip(np.floor(scaled), 0, 255).astype(np.uint8)
    return idx, lo, hi


def _encode(pixels: np.ndarray) -> bytes:
    """Lossless WebP of a uint8 ``(H, W)`` gray or ``(H, W, 3)`` RGB array.

    WebP's lossless mode keeps every value exactly (at effort 4, about 1.5 ms
    for 64 x 64 pixels and 15% smaller than PNG; effort 6 is 20% smaller
    again but a hundred times slower); every browser the book targets shows
    it.
    """
    from PIL import Image  # matplotlib depends on Pillow

    buf = io.BytesIO()
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels, mode).convert("RGB").save(
        buf, format="webp", lossless=True, quality=100, method=4, exact=True
    )
    return buf.getvalue()


def _picture(panel: Panel) -> tuple[bytes, tuple[float, float] | None]:
    """One panel as a lossless picture at one pixel per data pixel, and its range.

    Images keep every colour (RGB, or 8-bit gray); a weight map is stored in
    the 256 colours of its colour map (viridis, or ``panel.cmap``), exactly
    the ones matplotlib draws it with. The query marker is not in the picture
    at all: the page draws it on top (an SVG outline), so no encoding can
    change its colour.
    """
    data = np.asarray(panel.data, dtype=float)
    if not np.all(np.isfinite(data)):
        raise ValueError(f"Panel {panel.title!r}: data holds NaN or infinite values")
    if panel.kind == "image":
        if not (data.ndim == 2 or (data.ndim == 3 and data.shape[2] == 3)):
            raise ValueError(
                f"Panel {panel.title!r}: an image must be (H, W) or (H, W, 3); "
                f"got shape {data.shape}"
            )
        pixels = np.round(np.clip(data, 0.0, 1.0) * 255).astype(np.uint8)
        return _encode(pixels), None
    if panel.kind == "weights":
        if data.ndim != 2:
            raise ValueError(
                f"Panel {panel.title!r}: weights must be (H, W); got shape {data.shape}"
            )
        idx, lo, hi = _weight_indices(data, panel.vmin, panel.vmax)
        return _encode(_lut(panel.cmap)[idx]), (lo, hi)
    raise ValueError(f"Panel.kind must be 'image' or 'weights'; got {panel.kind!r}")


def _what(panel: Panel) -> str:
    """What a weight map shows, for its alt text: its range and where its
    largest value lies (one pixel, or the rows and columns of the block of
    pixels that share it, as on a plateau); nothing for an image, which the
    title names.

    Examples
    --------
    >>> w = np.zeros((3, 4)); w[2, 1] = 0.5
    >>> _what(Panel("w", w))
    '; values 0 to 0.5, largest at row 2, column 1'
    >>> w[1:3, 0:2] = 0.5
    >>> _what(Panel("w", w))
    '; values 0 to 0.5, largest on 4 pixels in rows 1–2, columns 0–1'
    >>> _what(Panel("flat", np.full((2, 2), 0.25)))
    '; every value 0.25'
    >>> _what(Panel("photo", np.zeros((2, 2)), kind="image"))
    ''
    """
    if panel.kind != "weights":
        return ""
    data = np.asarray(panel.data, dtype=float)
    lo, hi = float(data.min()), float(data.max())
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-12 * max(scale, 1e-300):
        return f"; every value {_fmt(hi)}"
    rows, cols = np.nonzero(data >= hi - 1e-12 * scale)
    said = f"; values {_fmt(lo, scale)} to {_fmt(hi, scale)}, "
    if rows.size == 1:
        return said + f"largest at row {rows[0]}, column {cols[0]}"

    def span(v, one: str, many: str) -> str:
        if v.min() == v.max():
            return f"{one} {v.min()}"
        return f"{many} {v.min()}–{v.max()}"

    return said + (
        f"largest on {rows.size} pixels in {span(rows, 'row', 'rows')}, "
        f"{span(cols, 'column', 'columns')}"
    )


def _checked_extend(panel: Panel) -> str | None:
    """``panel.extend``, refused by name if it is not one of plotting.EXTENDS."""
    if panel.extend is not None and panel.extend not in plotting.EXTENDS:
        raise ValueError(
            f"Panel.extend must be one of {plotting.EXTENDS}; got {panel.extend!r}"
        )
    return panel.extend


def _bar_ends(panel: Panel, rng) -> str | None:
    """Which ends of a weight map's colour bar are pointed (see Panel.extend)."""
    if rng is None:
        return None
    if _checked_extend(panel) is not None:
        return panel.extend
    data = np.asarray(panel.data, dtype=float)
    return plotting._extend(data.min(), data.max(), panel.vmin, panel.vmax)


def _gradient_css(name: str | None = None) -> str:
    lut = _lut(name)
    stops = ", ".join(
        "#{:02x}{:02x}{:02x}".format(*lut[i])
        for i in np.linspace(0, 255, 9).astype(int)
    )
    return f"linear-gradient(to right, {stops})"


@dataclass
class FrameExplorer:
    """What :func:`frame_explorer` returns: a self-contained HTML explorer.

    Display it (the last expression of a cell): Jupyter shows ``html``
    (``_repr_html_``), and the plain-text form names what it holds.

    Attributes
    ----------
    html : str
        The whole explorer: frames, range inputs, caption, style and script.
    frames : list of list of dict
        For each frame (the settings in row-major order of the controls), one
        dict per panel: ``image`` (index into ``images``), ``title``, ``alt``,
        ``range`` (``(vmin, vmax)`` of a weight map, else ``None``), ``mark``.
    images : list of bytes
        The distinct pictures, lossless WebP (identical panels are stored once).
    controls : list of (label, list of str)
        Each control's label and the readout of each of its values; the first
        two are the query row and column.
    values : list of list
        The values behind each control.
    """

    html: str
    frames: list
    images: list
    controls: list
    values: list
    start: list

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        sizes = " × ".join(f"{label}: {len(v)}" for label, v in self.controls)
        kb = sum(len(b) for b in self.images) / 1000
        return (
            f"<frame explorer: {len(self.frames)} frames ({sizes}), "
            f"{len(self.frames[0])} panels, {len(self.images)} pictures, {kb:.0f} kB>"
        )

    def frame_index(self, indices: Sequence[int]) -> int:
        """The frame shown with control ``a`` at position ``indices[a]``."""
        f = 0
        for (_, labels), i in zip(self.controls, indices, strict=True):
            f = f * len(labels) + int(i)
        return f


def _data_uri(png: bytes) -> str:
    import base64

    return "data:image/webp;base64," + base64.b64encode(png).decode("ascii")


def frame_explorer(
    panels: PanelsFn,
    shape: Sequence[int],
    query: tuple[int, int] | None = None,
    controls: Mapping[str, object] | None = None,
    stride: int = 16,
    size: float = 1.8,
    max_frames: int = 64,
    colors: int = 0,
    caption: str | None = None,
    number: str | None = None,
    labels: Mapping[str, str] | None = None,
    start: Mapping[str, object] | None = None,
) -> FrameExplorer:
    """An explorer that needs no kernel: every frame computed in advance.

    The same ``panels`` function as :func:`query_explorer`; the query pixel
    moves on a grid of every ``stride``-th pixel (through the starting query
    pixel), and each control offers a few values. Every combination is
    computed once, here. The result is one self-contained piece of HTML:
    native, labelled ``<input type="range">`` controls, the pictures (lossless
    WebP, one pixel per data pixel, scaled up sharply by the browser), a few
    lines of script that swap them, ticks beside each picture at the query
    pixels on offer, and a caption. It works the same in the static book,
    JupyterLab, VS Code and Colab, with no kernel and no widget library, and
    the same inputs always give the same bytes.

    Weight maps are drawn opaque in viridis (the photo is a panel of its own),
    each with a colour bar giving its range; on every panel with
    ``mark=True`` red ticks beside the picture mark the query pixel's row and
    column, and a red outline just outside it is added where its pixels are
    drawn at least :data:`RING_MIN_PX` screen pixels wide (a smaller ring would
    cover the pixels around it). A panel whose ``mark`` is a pixel or a
    block of its own (a crop around the query pixel, a window) gets that
    outline alone, around that block. Each picture's alt text names its
    panel and the setting shown, and follows the controls.

    Parameters
    ----------
    panels : callable
        ``panels(row, col, **controls) -> list of Panel``; every call returns
        the same number of panels.
    shape : (H, W)
        Image size.
    query : (row, col), optional
        Starting query pixel; the centre by default. The grid passes through it.
    controls : dict of str to widget or sequence, optional
        The values each extra control offers: a ``SelectionSlider`` or
        ``Dropdown`` (its options), an ``IntSlider``/``FloatSlider`` (``min`` to
        ``max`` in steps of ``step``), a ``FloatLogSlider`` (its exponents), or a
        plain list of values (the first is the starting value). A widget's
        value is the starting value and its description the label.
    stride : int
        Spacing of the query grid in pixels.
    size : float
        Displayed width of each panel, in inches of 90 px (it shrinks to fit
        a narrow screen).
    max_frames : int
        Refuse to compute more frames than this (each is stored in the
        notebook and the page).
    colors : int
        Kept for compatibility; frames are always stored without loss.
    caption : str, optional
        The figure's caption, shown under it.
    number : str, optional
        Its figure number, e.g. ``"3.2"``: the caption then starts
        "Explorer 3.2." (static figures are "Fig. 3.2").
    labels : dict of str to str, optional
        Readable labels of the controls, by name (``{"alpha": "α"}``); by
        default a widget's description, else the name with spaces.
    start : dict of str to value, optional
        Starting values of controls given as lists, by name (a widget's own
        value is its start).

    Returns
    -------
    FrameExplorer

    Examples
    --------
    >>> import numpy as np
    >>> def panels(row, col, scale=1.0):
    ...     w = np.zeros((8, 8))
    ...     w[row, col] = scale
    ...     return [Panel("w", w, vmin=0, vmax=2)]
    >>> ex = frame_explorer(panels, (8, 8), stride=4, controls={"scale": [1.0, 2.0]})
    >>> len(ex.frames), len(ex.images)  # 2 rows x 2 columns x 2 scales
    (8, 8)
    >>> [label for label, _ in ex.controls]
    ['query row', 'query col', 'scale']
    >>> ex.html.count('type="range"')
    3
    """
    del colors  # frames are lossless
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
    if labels is not None and not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a dict; got {type(labels).__name__}")
    if caption is not None and not isinstance(caption, str):
        raise TypeError(f"caption must be a str; got {type(caption).__name__}")
    labels = dict(labels or {})
    unknown = set(labels) - set(controls or {}) - {"row", "col"}
    if unknown:
        raise ValueError(f"labels names no control: {sorted(unknown)}")
    if start is not None and not isinstance(start, Mapping):
        raise TypeError(f"start must be a dict; got {type(start).__name__}")
    start = dict(start or {})
    if set(start) - set(controls or {}):
        raise ValueError(
            f"start names no control: {sorted(set(start) - set(controls or {}))}"
        )

    names = ["row", "col"]
    titles = [labels.get("row", "query row"), labels.get("col", "query col")]
    axes_values = [
        list(range(r0 % stride, h, stride)),
        list(range(c0 % stride, w, stride)),
    ]
    axes_labels = [[str(v) for v in vals] for vals in axes_values]
    starts = [axes_values[0].index(r0), axes_values[1].index(c0)]
    for name, control in (controls or {}).items():
        values, value_labels, first = _control_values(name, control)
        if name in start:
            if start[name] not in values:
                raise ValueError(
                    f"start[{name!r}] must be one of {values}; got {start[name]!r}"
                )
            first = start[name]
        names.append(name)
        desc = getattr(control, "description", "") or name.replace("_", " ")
        titles.append(labels.get(name, desc))
        axes_values.append(values)
        axes_labels.append(value_labels)
        starts.append(_nearest(values, first))
    n_frames = int(np.prod([len(v) for v in axes_values]))
    if n_frames > max_frames:
        counts = " × ".join(
            f"{n}: {len(v)}" for n, v in zip(names, axes_values, strict=True)
        )
        raise ValueError(
            f"max_frames is {max_frames} but the explorer needs {n_frames} frames "
            f"({counts}); raise stride or offer fewer values"
        )

    images: list[bytes] = []
    where: dict[bytes, int] = {}
    encoded: dict[tuple, tuple[bytes, tuple[float, float] | None]] = {}
    frames: list[list[dict]] = []
    shapes: list[tuple[int, int]] | None = None
    for combo in np.ndindex(*[len(v) for v in axes_values]):
        settings = {n: v[i] for n, v, i in zip(names, axes_values, combo, strict=True)}
        items = list(panels(**settings))
        if not items or not all(isinstance(p, Panel) for p in items):
            raise TypeError("panels must return a non-empty list of Panel")
        these = [tuple(np.shape(p.data)[:2]) for p in items]
        if shapes is None:
            shapes = these
        elif these != shapes:
            raise ValueError(
                "panels must return the same panels (number and shapes) for "
                f"every setting; got {these} and {shapes}"
            )
        said = ", ".join(
            f"{t} {lab[i]}"
            for t, lab, i in zip(titles, axes_labels, combo, strict=True)
        )
        frame = []
        for p in items:
            # Panels that repeat from frame to frame (the photo, an output that
            # does not depend on the query) are encoded once.
            data = np.asarray(p.data, dtype=float)
            key = (p.kind, repr((p.cmap, p.vmin, p.vmax)), data.shape, data.tobytes())
            if key not in encoded:
                encoded[key] = _picture(p)
            png, rng = encoded[key]
            if png not in where:
                where[png] = len(images)
                images.append(png)
            frame.append(
                {
                    "image": where[png],
                    "title": p.title,
                    "alt": f"{' '.join(p.title.split())}; {said}{_what(p)}.",
                    "range": rng,
                    "mark": _marked(p.mark, np.shape(p.data)),
                    "cmap": p.cmap,
                    "extend": _bar_ends(p, rng),
                }
            )
        frames.append(frame)

    controls_out = [(t, lab) for t, lab in zip(titles, axes_labels, strict=True)]
    ex = FrameExplorer(
        html="",
        frames=frames,
        images=images,
        controls=controls_out,
        values=axes_values,
        start=starts,
    )
    ex.html = _explorer_html(ex, shapes, size, caption, number)
    return ex


def _fmt(v: float, scale: float = 0.0) -> str:
    """``v`` to 2 significant digits (as the titles give a maximum), with a
    true minus sign; 0 if it is rounding noise next to ``scale`` (the larger
    end of a colour bar), not "-3.47e-18"."""
    if abs(v) <= 1e-9 * abs(scale):
        return "0"
    return f"{v:.2g}".replace("-", "\u2212")


def _unbroken(title: str) -> str:
    """A panel title that wraps between its phrases, never inside a setting.

    Narrow panels wrap their titles; no-break spaces keep ``α = 0.5`` and
    ``max 2e+00`` on one line.

    Examples
    --------
    >>> _unbroken("effective kernel, α = 0.5") == "effective kernel, α\u00a0=\u00a00.5"
    True
    >>> _unbroken("log |error|, max 2e+00").endswith("max\u00a02e+00")
    True
    """
    return title.replace(" = ", "\u00a0=\u00a0").replace("max ", "max\u00a0")


def _ends_class(extend: str | None) -> str:
    """The CSS classes that point a colour bar's ends."""
    return {"min": "cax-lo", "max": "cax-hi", "both": "cax-lo cax-hi"}.get(
        extend or "neither", ""
    )


def _range_labels(lo: float, hi: float) -> tuple[str, str]:
    scale = max(abs(lo), abs(hi))
    return _fmt(lo, scale), _fmt(hi, scale)


def _explorer_html(ex: FrameExplorer, shapes, size: float, caption, number) -> str:
    import hashlib
    import html as html_lib
    import json

    esc = html_lib.escape
    uris = [_data_uri(png) for png in ex.images]
    rows, cols = ex.values[0], ex.values[1]
    # the colour bars' gradients, each stored once: a panel may change its
    # colour map from frame to frame (a signed output, then an image's gray)
    gradients: list[str] = []
    for frame in ex.frames:
        for p in frame:
            css = _gradient_css(p["cmap"])
            if p["range"] is not None and css not in gradients:
                gradients.append(css)

    def gradient(p):
        return None if p["range"] is None else gradients.index(_gradient_css(p["cmap"]))

    data = {
        "labels": [lab for _, lab in ex.controls],
        "rows": rows,
        "cols": cols,
        "images": uris,
        "gradients": gradients,
        "frames": [
            [
                [
                    p["image"],
                    _unbroken(p["title"]),
                    p["alt"],
                    None if p["range"] is None else _range_labels(*p["range"])[0],
                    None if p["range"] is None else _range_labels(*p["range"])[1],
                    p["mark"],
                    gradient(p),
                    _ends_class(p["extend"]),
                ]
                for p in frame
            ]
            for frame in ex.frames
        ],
    }
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("</", "<\\/")
    uid = "cax-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    start = ex.frames[ex.frame_index(ex.start)]
    r, c = rows[ex.start[0]], cols[ex.start[1]]
    width = round(size * 90)

    out = [
        f'<figure class="convattn-frame-explorer" id="{uid}" '
        f'style="--cax-w:{width}px">',
        f"<style>{_CSS}</style>",
        '<div class="cax-controls">',
    ]
    for a, (title, value_labels) in enumerate(ex.controls):
        i = ex.start[a]
        out.append(
            f'<label for="{uid}-{a}">{esc(title)}</label>'
            f'<input type="range" class="cax-range" id="{uid}-{a}" min="0" '
            f'max="{len(value_labels) - 1}" step="1" value="{i}" '
            f'aria-valuetext="{esc(value_labels[i])}">'
            f'<output for="{uid}-{a}" style="min-width:'
            f'{max(len(v) for v in value_labels)}ch">{esc(value_labels[i])}</output>'
        )
    out.append("</div>")
    out.append('<div class="cax-panels">')
    for k, (p, (ph, pw)) in enumerate(zip(start, shapes, strict=True)):
        # ticks beside the picture for the query pixel, an outline for it or
        # for the panel's own marked block
        hide = ' style="visibility:hidden"'
        ticks_hidden = "" if p["mark"] is True else hide
        ring_hidden = "" if p["mark"] is not False else hide
        s = max(1.0, round(max(ph, pw) / 40))
        if isinstance(p["mark"], list):
            y, y1, x, x1 = p["mark"]
            box = (x, y, x1 - x, y1 - y)
        else:
            box = (c + 0.5 - s / 2, r + 0.5 - s / 2, s, s)
        top = "".join(
            f'<line class="cax-tick{" cax-tick-on" if v == c else ""}" '
            f'data-axis="col" data-v="{v}" x1="{v + 0.5}" x2="{v + 0.5}" y1="0" y2="1"/>'
            for v in cols
            if v < pw
        )
        left = "".join(
            f'<line class="cax-tick{" cax-tick-on" if v == r else ""}" '
            f'data-axis="row" data-v="{v}" y1="{v + 0.5}" y2="{v + 0.5}" x1="0" x2="1"/>'
            for v in rows
            if v < ph
        )
        rings = "".join(
            f'<rect class="cax-ring {cls}" x="{box[0]:g}" '
            f'y="{box[1]:g}" width="{box[2]:g}" height="{box[3]:g}"/>'
            for cls in ("cax-ring-out", "cax-ring-in")
        )
        # a colour bar where any frame shows a weight map in this panel,
        # hidden while the frame shown has none
        bar = ""
        ranged = [f[k] for f in ex.frames if f[k]["range"] is not None]
        if ranged:
            shown = p if p["range"] is not None else ranged[0]
            lo, hi = _range_labels(*shown["range"])
            hidden_bar = "" if p["range"] is not None else " hidden"
            bar = (
                f'<div class="cax-cbar" aria-hidden="true"{hidden_bar}><span>{lo}</span>'
                f'<i class="{_ends_class(shown["extend"])}" '
                f'style="background:{_gradient_css(shown["cmap"])}"></i>'
                f"<span>{hi}</span></div>"
            )
        out.append(
            '<figure class="cax-panel">'
            f'<figcaption class="cax-title">{esc(_unbroken(p["title"]))}</figcaption>'
            '<div class="cax-frame"><span></span>'
            f'<span class="cax-tl"><svg class="cax-q" data-s="{s:g}" viewBox="0 0 {pw} 1" '
            f'preserveAspectRatio="none" aria-hidden="true"{ticks_hidden}>'
            f"{top}</svg></span>"
            f'<span class="cax-tl"><svg class="cax-q" data-s="{s:g}" viewBox="0 0 1 {ph}" '
            f'preserveAspectRatio="none" aria-hidden="true"{ticks_hidden}>'
            f"{left}</svg></span>"
            f'<div class="cax-pic"><img src="{uris[p["image"]]}" '
            f'alt="{esc(p["alt"])}" width="{width}">'
            f'<svg class="cax-q" data-s="{s:g}" viewBox="0 0 {pw} {ph}" '
            f'preserveAspectRatio="none" aria-hidden="true"{ring_hidden}>{rings}</svg>'
            f"</div></div>{bar}</figure>"
        )
    out.append("</div>")
    if caption or number:
        lead = f"<strong>Explorer {esc(number)}.</strong> " if number else ""
        out.append(
            f'<figcaption class="cax-caption">{lead}{esc(caption or "")}</figcaption>'
        )
    out.append(f'<script type="application/json" class="cax-data">{payload}</script>')
    out.append(f"<script>{_SCRIPT % {'id': uid, 'ring_min': RING_MIN_PX}}</script>")
    out.append("</figure>")
    return "\n".join(out)
