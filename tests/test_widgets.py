"""The kernel-free explorer: one self-contained piece of HTML.

The static book has no Python, so `frame_explorer` must (1) store, without
loss, the right pictures for every setting, in the order its script reads
them, (2) offer native range inputs with accessible names and readable
readouts, (3) mark the query pixel outside the pictures, where no encoding
can change its colour, and (4) give the same bytes every time (nbval
compares the HTML, and re-executing a chapter must change nothing). The
script itself is exercised in a real browser by tests/browser/check_site.py.
"""

import io
import itertools
import json
import re
from html.parser import HTMLParser

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import Normalize
from PIL import Image

import convattn as ca
from convattn import widgets

SHAPE = (8, 8)
PHOTO = np.random.default_rng(0).random((*SHAPE, 3))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _panels(row, col, scale=1.0):
    w = np.zeros(SHAPE)
    w[row, col] = scale
    w[0, 0] = 0.3
    return [
        widgets.Panel("photo", PHOTO, kind="image"),
        widgets.Panel(f"scale {scale:g}", w, vmin=0.0, vmax=2.0),
    ]


def _explorer(**kwargs):
    kwargs.setdefault("controls", {"scale": [0.5, 1.0, 2.0]})
    return widgets.frame_explorer(_panels, SHAPE, query=(5, 2), stride=4, **kwargs)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(dict(attrs).get("id") or dict(attrs).get("for") or tag)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.text[self._open[-1]] = self.text.get(self._open[-1], "") + data


def _parse(html):
    p = _Tags()
    p.feed(html)
    return p


def _decode(picture: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(picture))
    assert img.format == "WEBP"
    return np.asarray(img.convert("RGB"))


def test_every_range_input_has_a_label_and_a_readout():
    ex = _explorer(labels={"scale": "scale s"})
    tags = _parse(ex.html).tags
    inputs = [a for t, a in tags if t == "input"]
    labels = {a["for"] for t, a in tags if t == "label"}
    outputs = {a["for"] for t, a in tags if t == "output"}
    assert [a["type"] for a in inputs] == ["range"] * 3
    assert all(a["id"] in labels and a["id"] in outputs for a in inputs)
    assert [label for label, _ in ex.controls] == ["query row", "query col", "scale s"]
    assert [lab for _, lab in ex.controls] == [
        ["1", "5"],
        ["2", "6"],
        ["0.5", "1", "2"],
    ]
    # The inputs start at the starting setting, and say its value in words.
    assert [int(a["value"]) for a in inputs] == [1, 0, 0]
    assert [a["aria-valuetext"] for a in inputs] == ["5", "2", "0.5"]
    assert [int(a["max"]) for a in inputs] == [1, 1, 2]


def test_pictures_are_lossless_and_sit_where_the_script_looks():
    ex = _explorer()
    cmap = colormaps["viridis"]
    norm = Normalize(0.0, 2.0)
    for i, r in enumerate((1, 5)):
        for j, c in enumerate((2, 6)):
            for k, s in enumerate((0.5, 1.0, 2.0)):
                photo, weights = ex.frames[ex.frame_index((i, j, k))]
                np.testing.assert_array_equal(
                    _decode(ex.images[photo["image"]]),
                    np.round(PHOTO * 255).astype(np.uint8),
                )
                expected = _panels(r, c, s)[1].data
                np.testing.assert_array_equal(
                    _decode(ex.images[weights["image"]]),
                    cmap(norm(expected), bytes=True)[..., :3],
                )
                assert weights["title"] == f"scale {s:g}"
                assert weights["range"] == (0.0, 2.0)
                assert f"query row {r}, query col {c}, scale {s:g}" in weights["alt"]
                # and says what the map shows: its range and its peak
                assert weights["alt"].endswith(
                    f"values 0 to {s:.2g}, largest at row {r}, column {c}."
                )
                assert (
                    photo["alt"] == f"photo; query row {r}, query col {c}, scale {s:g}."
                )
    # The photo never changes: it is stored once.
    assert len(ex.images) == 1 + 12


def test_the_page_data_is_the_frames():
    ex = _explorer()
    payload = re.search(
        r'<script type="application/json" class="cax-data">(.*?)</script>',
        ex.html,
        re.S,
    ).group(1)
    data = json.loads(payload)
    assert data["rows"] == [1, 5] and data["cols"] == [2, 6]
    assert len(data["frames"]) == len(ex.frames) == 12
    for stored, frame in zip(data["frames"], ex.frames, strict=True):
        assert [p[0] for p in stored] == [p["image"] for p in frame]
        assert [p[2] for p in stored] == [p["alt"] for p in frame]
    assert data["images"][0].startswith("data:image/webp;base64,")


def test_query_marker_is_drawn_on_top_at_the_query_pixel():
    ex = _explorer()
    tags = _parse(ex.html).tags
    rings = [a for t, a in tags if t == "rect" and "cax-ring-in" in a["class"]]
    assert len(rings) == 2  # one per marked panel
    assert all((a["x"], a["y"], a["width"]) == ("2", "5", "1") for a in rings)
    # Ticks beside each picture mark the query pixels on offer, the current one on.
    ticks = [a for t, a in tags if t == "line"]
    on = {(a["data-axis"], a["data-v"]) for a in ticks if "cax-tick-on" in a["class"]}
    assert on == {("row", "5"), ("col", "2")}
    assert {a["data-v"] for a in ticks if a["data-axis"] == "col"} == {"2", "6"}
    # The picture shown before any script runs is the starting frame.
    imgs = [a for t, a in tags if t == "img"]
    start = ex.frames[ex.frame_index(ex.start)]
    assert [a["alt"] for a in imgs] == [p["alt"] for p in start]


def _crop_panels(row, col):
    # a 3 x 3 crop around the query pixel: its centre (1, 1) is the query pixel
    framed = np.pad(PHOTO[..., 0], 1)
    return [
        widgets.Panel("photo", PHOTO, kind="image"),
        widgets.Panel("crop", framed[row : row + 3, col : col + 3], mark=(1, 1)),
        widgets.Panel("window", PHOTO, kind="image", mark=(0, row + 1, 0, col + 2)),
    ]


def test_a_panel_can_mark_a_pixel_or_a_block_of_its_own():
    # Where the query pixel's coordinates do not fit a panel (a crop around
    # it, a window), the panel outlines its own pixel or block instead, with
    # no ticks (they give the query grid, in the image's coordinates).
    ex = widgets.frame_explorer(_crop_panels, SHAPE, query=(5, 2), stride=4)
    start = ex.frames[ex.frame_index(ex.start)]
    assert [p["mark"] for p in start] == [True, [1, 2, 1, 2], [0, 6, 0, 4]]
    panels = re.findall(r'<figure class="cax-panel">(.*?)</figure>', ex.html, re.S)
    rings = [
        [a for t, a in _parse(html).tags if t == "rect" and "cax-ring-in" in a["class"]]
        for html in panels
    ]
    assert [(a["x"], a["y"], a["width"], a["height"]) for (a,) in rings] == [
        ("2", "5", "1", "1"),  # the query pixel (5, 2)
        ("1", "1", "1", "1"),  # the crop's centre
        ("0", "0", "4", "6"),  # the window: rows 0-5, columns 0-3
    ]
    hidden = [
        [
            "visibility:hidden" in a.get("style", "")
            for t, a in _parse(html).tags
            if t == "svg"
        ]
        for html in panels
    ]
    # [top ticks, left ticks, outline] per panel
    assert hidden == [[False] * 3, [True, True, False], [True, True, False]]
    # the page data carries each frame's block, for the script to follow
    payload = re.search(r'class="cax-data">(.*?)</script>', ex.html, re.S).group(1)
    frames = json.loads(payload)["frames"]
    assert [p[5] for p in frames[ex.frame_index(ex.start)]] == [
        True,
        [1, 2, 1, 2],
        [0, 6, 0, 4],
    ]
    assert [p[5] for p in frames[0]][2] == [0, 2, 0, 4]  # query (1, 2)


@pytest.mark.parametrize(
    "mark, error",
    [
        ("centre", TypeError),
        ((1, 2, 3), TypeError),
        ((3, 0), ValueError),
        ((1.5, 0), TypeError),
        ((0, 0, 0, 2), ValueError),
        ((0, 4, 0, 2), ValueError),
    ],
)
def test_a_bad_mark_is_rejected_by_name(mark, error):
    def panels(row, col):
        return [widgets.Panel("crop", np.zeros((3, 3)), mark=mark)]

    with pytest.raises(error, match=r"^Panel\.mark"):
        widgets.frame_explorer(panels, SHAPE, stride=4)
    with pytest.raises(error, match=r"^Panel\.mark"):
        widgets.panel_grid(panels, [dict(row=1, col=1)])


def test_the_static_grid_outlines_a_panel_s_own_block():
    _fig, axes = widgets.panel_grid(_crop_panels, [dict(row=5, col=2)])
    markers = [
        [(a.pixel, a.span) for a in ax.artists if a.get_gid() == "query"]
        for ax in axes[0]
    ]
    assert markers == [[((5, 2), (1, 1))], [((1, 1), (1, 1))], [((0, 0), (6, 4))]]


def test_titles_never_break_inside_a_setting():
    def panels(row, col, alpha=0.5):
        return [widgets.Panel(f"kernel, α = {alpha:g}, max 2e+00", np.zeros(SHAPE))]

    ex = widgets.frame_explorer(panels, SHAPE, stride=4, controls={"alpha": [0.5, 2.0]})
    titles = [t for t in _parse(ex.html).text.values() if t.startswith("kernel")]
    assert titles == ["kernel, α\u00a0=\u00a00.5, max\u00a02e+00"]
    assert "α\u00a0=\u00a02" in ex.html  # the other frame's title, in the page data
    assert ex.frames[0][0]["alt"].startswith("kernel, α = 0.5")  # alt text as written


def test_same_input_same_bytes_and_no_random_ids():
    a, b = _explorer().html, _explorer().html
    assert a == b
    other = _explorer(controls={"scale": [0.5, 1.0]}).html
    ids = re.findall(r'id="(cax-[0-9a-f]+)"', a)
    assert ids and ids[0] not in other


def test_caption_and_figure_number():
    ex = _explorer(caption="Weights & more.", number="3.2")
    text = _parse(ex.html).text
    assert any("Explorer 3.2." in t for t in text.values())
    assert "Weights &amp; more." in ex.html


def test_colour_bar_ends_show_no_rounding_noise():
    def panels(row, col):
        data = np.linspace(0.0, 0.5, 16).reshape(4, 4)
        data[0, 0] = -3.47e-18  # what a sum of weights minus its mean leaves
        return [widgets.Panel("map", data)]

    ex = widgets.frame_explorer(panels, (4, 4), stride=4)
    bars = re.findall(r'<div class="cax-cbar"[^>]*><span>([^<]*)</span>', ex.html)
    assert bars == ["0"]
    assert "e-18" not in ex.html
    assert widgets._range_labels(-0.25, 0.5) == ("\u22120.25", "0.5")  # a true minus
    assert widgets._range_labels(0.0, 0.00167) == ("0", "0.0017")  # as a title's max


def test_controls_as_widgets_or_lists():
    for control, labels, start in [
        (ipywidgets.IntSlider(value=5, min=3, max=9, step=2), ["3", "5", "7", "9"], 1),
        (ipywidgets.SelectionSlider(options=[1, 4, 16], value=4), ["1", "4", "16"], 1),
        (ipywidgets.Dropdown(options=["a", "b"], value="b"), ["a", "b"], 1),
        (
            ipywidgets.FloatLogSlider(value=0.1, base=10, min=-2, max=0, step=1),
            ["0.01", "0.1", "1"],
            1,
        ),
        ([0.25, 0.5], ["0.25", "0.5"], 0),
    ]:

        def panels(row, col, s=None):
            return [widgets.Panel("w", np.zeros(SHAPE))]

        ex = widgets.frame_explorer(panels, SHAPE, stride=8, controls={"s": control})
        assert ex.controls[-1][1] == labels
        assert ex.start[-1] == start


def test_start_picks_the_starting_value_of_a_list():
    ex = _explorer(start={"scale": 1.0})
    assert ex.start == [1, 0, 1]
    tags = _parse(ex.html).tags
    assert [a["value"] for t, a in tags if t == "input"] == ["1", "0", "1"]


def test_identical_pictures_are_stored_once():
    def same(row, col, scale=1.0):
        return [widgets.Panel("flat", np.ones(SHAPE), mark=False)]

    ex = widgets.frame_explorer(same, SHAPE, stride=4, controls={"scale": [1, 2]})
    assert len(ex.frames) == 8 and len(ex.images) == 1


def test_a_panel_shown_again_is_encoded_once_and_a_changed_one_again(monkeypatch):
    encoded = []
    encode = widgets._encode
    monkeypatch.setattr(widgets, "_encode", lambda px: encoded.append(px) or encode(px))

    def panels(row, col, scale=1.0):
        w = np.zeros(SHAPE)
        w[row, col] = 1.0
        return [
            widgets.Panel("photo", PHOTO, kind="image"),  # the same in every frame
            widgets.Panel("w", w, vmin=0.0, vmax=2.0 * scale),  # its range changes
            widgets.Panel("w, own range", w),  # the same for both scales
        ]

    ex = widgets.frame_explorer(panels, SHAPE, stride=4, controls={"scale": [1, 2]})
    # 1 photo + 4 query pixels x 2 ranges + 4 query pixels
    assert len(ex.frames) == 8 and len(encoded) == 1 + 8 + 4
    assert len(ex.images) == len(encoded)
    for frame, (row, col, scale) in zip(
        ex.frames, itertools.product([0, 4], [0, 4], [1, 2]), strict=True
    ):
        want = np.zeros(SHAPE)
        want[row, col] = 1.0
        for panel, vmax in zip(frame[1:], [2.0 * scale, 1.0], strict=True):
            idx, _, _ = widgets._weight_indices(want, 0.0, vmax)
            got = _decode(ex.images[panel["image"]])
            np.testing.assert_array_equal(got, widgets._lut()[idx])


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"panels": "not a function"}, TypeError, "panels"),
        ({"shape": (8,)}, ValueError, "shape"),
        ({"shape": (0, 8)}, ValueError, "shape"),
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": 2.5}, TypeError, "stride"),
        ({"query": (8, 0)}, ValueError, "query"),
        ({"controls": {"scale": 3}}, TypeError, "controls"),
        ({"controls": {"scale": []}}, ValueError, "controls"),
        ({"stride": 1, "max_frames": 10}, ValueError, "max_frames"),
        ({"labels": {"sigma": "σ"}}, ValueError, "labels"),
        ({"caption": 3}, TypeError, "caption"),
        ({"start": {"sigma": 1}}, ValueError, "start"),
        (
            {"start": {"scale": 7.0}, "controls": {"scale": [1.0]}},
            ValueError,
            r"start\['scale'\]",
        ),
    ],
)
def test_bad_input_is_rejected_by_name(kwargs, error, name):
    args = {"panels": _panels, "shape": SHAPE, "stride": 4, **kwargs}
    with pytest.raises(error, match=f"^{name}"):
        widgets.frame_explorer(**args)


def test_panels_must_keep_their_shape():
    def changing(row, col):
        return [widgets.Panel("w", np.zeros((row + 1, 4)))]

    with pytest.raises(ValueError, match=r"^panels"):
        widgets.frame_explorer(changing, SHAPE, stride=4)


# --- the live (kernel-driven) explorer and the static stand-in grid ----------


def _live_panels(row, col, scale=1.0):
    img = ca.sample_image("shapes", 8)
    w = np.zeros((8, 8))
    w[row, col] = scale
    return [
        widgets.Panel("image", img, kind="image"),
        widgets.Panel("w", w, background=img, vmin=0.0, vmax=2.0),
    ]


def test_panel_grid_one_row_per_setting():
    _fig, axes = widgets.panel_grid(
        _live_panels, [dict(row=1, col=2), dict(row=3, col=4, scale=2.0)]
    )
    assert axes.shape == (2, 2)
    assert axes[1, 1].get_images()[-1].get_array()[3, 4] == 2.0


def test_query_explorer_redraws_when_a_control_moves():
    scale = ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0)
    box = widgets.query_explorer(
        _live_panels, (8, 8), query=(1, 1), controls={"scale": scale}
    )
    picture = box.children[-1]
    assert isinstance(picture, ipywidgets.Image)
    first = bytes(picture.value)
    assert first.startswith(b"\x89PNG")
    row_slider = box.children[0].children[0]
    row_slider.value = 6
    assert bytes(picture.value) != first
    second = bytes(picture.value)
    scale.value = 2.0
    assert bytes(picture.value) != second


def test_panel_kind_is_checked():
    with pytest.raises(ValueError, match="kind"):
        widgets.render_png([widgets.Panel("x", np.ones((4, 4)), kind="map")], (0, 0))


def test_a_two_line_title_breaks_in_the_picture_and_reads_as_one_line_in_alt():
    def panels(row, col):
        return [widgets.Panel("log₁₀ weight\nH = 5.67 nats", np.eye(4))]

    ex = widgets.frame_explorer(panels, (4, 4), stride=4)
    alt = ex.frames[0][0]["alt"]
    assert "\n" not in alt and alt.startswith("log₁₀ weight H = 5.67 nats;")
    # The title keeps its line break, and the page draws it (pre-line).
    assert ex.frames[0][0]["title"] == "log₁₀ weight\nH = 5.67 nats"
    assert "white-space:pre-line" in ex.html


def test_frame_explorers_do_not_need_ipywidgets():
    # ipywidgets is imported for the live explorer only: a frame explorer
    # (what the book shows) is made without it.
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from convattn import widgets\n"
        "assert 'ipywidgets' not in sys.modules, 'imported with the module'\n"
        "p = lambda row, col, k: [widgets.Panel('w', k * np.outer(np.eye(4)[row], np.ones(4)) + col)]\n"
        "x = widgets.frame_explorer(p, (4, 4), controls={'k': [1, 2]}, stride=2)\n"
        "assert 'ipywidgets' not in sys.modules, 'imported by frame_explorer'\n"
        "print(len(x.frames))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "8"  # 2 rows x 2 columns x 2 values of k


def test_a_colour_bar_follows_the_colour_map_of_the_frame_shown():
    # One panel: a signed map in RdBu_r for one setting, a gray image on a 0-to-1
    # bar for another, and no bar at all for a third (an image).
    def panels(row, col, kind="signed"):
        w = np.linspace(-1.0, 1.0, 64).reshape(SHAPE)
        if kind == "signed":
            return [widgets.Panel("out", w, vmin=-1, vmax=1, cmap="RdBu_r")]
        if kind == "gray":
            return [widgets.Panel("out", (w + 1) / 2, vmin=0, vmax=1, cmap="gray")]
        return [widgets.Panel("out", PHOTO, kind="image")]

    controls = {"kind": ["image", "signed", "gray"]}
    ex = widgets.frame_explorer(panels, SHAPE, stride=8, controls=controls)
    payload = re.search(r'class="cax-data">(.*?)</script>', ex.html, re.S).group(1)
    data = json.loads(payload)
    assert len(data["gradients"]) == 2  # RdBu_r and gray, each stored once
    assert [f[0][6] for f in data["frames"]] == [None, 0, 1]
    assert data["gradients"][0] == widgets._gradient_css("RdBu_r")
    assert data["gradients"][1] == widgets._gradient_css("gray")
    # the start frame is the image: its bar is on the page, hidden until needed
    bars = re.findall(r'<div class="cax-cbar"[^>]*>', ex.html)
    assert bars == ['<div class="cax-cbar" aria-hidden="true" hidden>']


def test_colour_bar_ends_are_pointed_where_values_lie_beyond_them():
    # clipped by the panel's limits (inferred), or floored before (given)
    def panels(row, col, case="clipped"):
        w = np.linspace(-9.0, 0.0, 64).reshape(SHAPE)
        if case == "clipped":
            return [widgets.Panel("log w", w, vmin=-8, vmax=0)]
        if case == "floored":
            floored = np.maximum(w, -8.0)
            return [widgets.Panel("log w", floored, vmin=-8, vmax=0, extend="min")]
        return [widgets.Panel("log w", w, vmin=-9, vmax=0)]

    controls = {"case": ["clipped", "floored", "inside"]}
    ex = widgets.frame_explorer(panels, SHAPE, stride=8, controls=controls)
    payload = re.search(r'class="cax-data">(.*?)</script>', ex.html, re.S).group(1)
    # each frame carries the classes its bar takes (the script sets them)
    ends = [f[0][7] for f in json.loads(payload)["frames"]]
    assert ends == ["cax-lo", "cax-lo", ""]
    assert '<i class="cax-lo"' in ex.html  # the start frame's bar
    with pytest.raises(ValueError, match=r"^Panel\.extend"):  # the static grid too
        widgets.panel_grid(
            lambda row, col: [widgets.Panel("w", np.zeros(SHAPE), extend="up")],
            [dict(row=1, col=1)],
        )
    with pytest.raises(ValueError, match=r"^Panel\.extend"):
        widgets.frame_explorer(
            lambda row, col: [widgets.Panel("w", np.zeros(SHAPE), vmin=0, extend="up")],
            SHAPE,
            stride=8,
        )
