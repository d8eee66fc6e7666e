"""The figure helpers: what they draw, checked on the drawn artists and pixels."""

import matplotlib

matplotlib.use("Agg")

import itertools

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

import convattn as ca
from convattn import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rgb(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def _pixel_box(ax, row, col):
    """The display-pixel box of data pixel (row, col), as (x0, x1, y0, y1) in array rows."""
    fig = ax.figure
    h = fig.canvas.get_width_height()[1]
    (x0, y0), (x1, y1) = ax.transData.transform(
        [(col - 0.5, row - 0.5), (col + 0.5, row + 0.5)]
    )
    return (
        round(min(x0, x1)),
        round(max(x0, x1)),
        round(h - max(y0, y1)),
        round(h - min(y0, y1)),
    )


def test_maps_are_opaque_and_the_photo_is_never_under_them():
    img = ca.sample_image("hopper", 16)
    _fig, axes = plotting.new_figure(1, 1)
    ax = axes[0, 0]
    im = plotting.show_weights(ax, np.arange(256.0), shape=(16, 16), image=img)
    assert ax.get_images() == [im]  # one image only: the map
    assert im.get_alpha() in (None, 1.0)
    np.testing.assert_array_equal(im.get_array(), np.arange(256.0).reshape(16, 16))
    assert ax.collections, "the photo should be drawn as contour lines"
    with pytest.raises(ValueError, match="alpha"):
        plotting.show_weights(ax, np.ones(4), shape=(2, 2), alpha=0.8)


def test_a_constant_map_gets_no_photo_and_says_it_is_flat():
    img = ca.sample_image("hopper", 16)
    _fig, axes = plotting.new_figure(1, 1)
    ax = axes[0, 0]
    plotting.show_weights(ax, np.full(256, 0.25), shape=(16, 16), image=img)
    assert not ax.collections  # no contours over a flat map
    assert any("0.25" in t.get_text() for t in ax.texts)


def test_the_map_colour_is_what_the_colourbar_says():
    # An opaque map: the rendered colour of a pixel equals cmap(norm(value)),
    # whatever image is passed; a see-through map would mix in the photo.
    w = np.linspace(0, 1, 64).reshape(8, 8)
    img = np.zeros((8, 8, 3))
    img[:, :4] = 1.0  # half white, half black: any see-through would show
    fig, axes = plotting.new_figure(1, 1, size=3.0)
    ax = axes[0, 0]
    plotting.show_weights(ax, w, image=img, colorbar=True)
    rgb = _rgb(fig)
    for r, c in [(1, 1), (2, 6), (6, 2), (5, 5)]:
        x0, x1, y0, y1 = _pixel_box(ax, r, c)
        centre = rgb[(y0 + y1) // 2, (x0 + x1) // 2]
        want = np.array(mcolors.to_rgb(plt.get_cmap("viridis")(w[r, c]))) * 255
        np.testing.assert_allclose(centre, want, atol=3)


def _marker(ax):
    (m,) = [a for a in ax.artists if a.get_gid() == "query"]
    return m


def _viridis(x: float) -> np.ndarray:
    return np.array(mcolors.to_rgb(plt.get_cmap("viridis")(x))) * 255


def test_a_large_query_pixel_is_outlined_and_it_and_its_neighbours_stay_visible():
    w = np.zeros((9, 9))
    w[4, 6] = 1.0
    fig, axes = plotting.new_figure(1, 1, size=3.0)
    ax = axes[0, 0]
    plotting.show_weights(ax, w, query=(4, 6), vmin=0, vmax=1)
    rgb = _rgb(fig)
    marker = _marker(ax)
    assert marker.outlined(fig.canvas.get_renderer())
    # every display pixel inside the query pixel keeps the map's colour (yellow)
    x0, x1, y0, y1 = _pixel_box(ax, 4, 6)
    inside = rgb[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
    assert np.abs(inside - _viridis(1.0)).max() <= 3
    # the outline is there: white and black pixels right around it
    ring = rgb[y0 - 4 : y1 + 4, x0 - 4 : x1 + 4]
    assert (ring.min(axis=-1) > 240).any() and (ring.max(axis=-1) < 15).any()
    # and each neighbour keeps its colour over most of its width
    for r, c in [(3, 6), (5, 6), (4, 5), (4, 7)]:
        a0, a1, b0, b1 = _pixel_box(ax, r, c)
        cell = rgb[b0 + 1 : b1 - 1, a0 + 1 : a1 - 1]
        kept = (np.abs(cell - _viridis(0.0)).max(axis=-1) <= 3).mean()
        assert kept > 0.6, (r, c, kept)


def test_a_small_query_pixel_is_pointed_at_from_outside_the_picture():
    # A 3 x 3 field on a 64 x 64 map: nothing may be drawn over the map.
    w = np.zeros((64, 64))
    w[21:24, 29:32] = 1 / 9
    drawn = []
    for query in (None, (22, 30)):
        fig, axes = plotting.new_figure(1, 1, size=2.4)
        plotting.show_weights(axes[0, 0], w, query=query, vmin=0, vmax=1 / 9)
        fig.set_layout_engine("none")  # the same axes box in both figures
        drawn.append((_rgb(fig), axes[0, 0]))
    (plain, _), (marked, ax) = drawn
    marker = _marker(ax)
    assert not marker.outlined(ax.figure.canvas.get_renderer())
    x0, _, y0, _ = _pixel_box(ax, 0, 0)
    _, x1, _, y1 = _pixel_box(ax, 63, 63)
    np.testing.assert_array_equal(marked[y0:y1, x0:x1], plain[y0:y1, x0:x1])
    # black carets left of row 22 and below column 30, just outside the map
    _, _, r0, r1 = _pixel_box(ax, 22, 0)
    c0, c1, _, _ = _pixel_box(ax, 0, 30)
    left = marked[r0:r1, x0 - 10 : x0 - 1]
    below = marked[y1 + 1 : y1 + 10, c0:c1]
    assert (left.max(axis=-1) < 40).any() and (below.max(axis=-1) < 40).any()
    assert (plain[r0:r1, x0 - 10 : x0 - 1] > 240).all()


def test_a_block_is_outlined_around_all_its_pixels_and_covers_none():
    # span marks a window of 2 x 3 pixels whose top-left pixel is (2, 1)
    w = np.zeros((8, 8))
    w[2:4, 1:4] = 1.0
    fig, axes = plotting.new_figure(1, 1, size=3.0)
    ax = axes[0, 0]
    plotting.show_weights(ax, w, vmin=0, vmax=1)
    plotting.mark_query(ax, (2, 1), span=(2, 3))
    rgb = _rgb(fig)
    assert _marker(ax).outlined(fig.canvas.get_renderer())
    x0, _, y0, _ = _pixel_box(ax, 2, 1)
    _, x1, _, y1 = _pixel_box(ax, 3, 3)
    assert np.abs(rgb[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] - _viridis(1.0)).max() <= 3
    # white inside black along each of its four sides, just outside them
    # (a display pixel of margin for the rounding of the pixel boxes)
    for side in (
        rgb[y0 - 4 : y0 + 1, x0:x1],
        rgb[y1 - 1 : y1 + 4, x0:x1],
        rgb[y0:y1, x0 - 4 : x0 + 1],
        rgb[y0:y1, x1 - 1 : x1 + 4],
    ):
        assert (side.min(axis=-1) > 240).any() and (side.max(axis=-1) < 60).any()
    with pytest.raises(ValueError, match=r"^span"):
        plotting.mark_query(ax, (2, 1), span=(0, 3))
    with pytest.raises(TypeError, match=r"^span"):
        plotting.mark_query(ax, (2, 1), span=3)


@pytest.mark.parametrize("pixels, query", [(6, (0, 5)), (6, (5, 0)), (64, (63, 0))])
def test_the_query_marker_is_never_clipped_at_the_border(pixels, query, tmp_path):
    fig, axes = plotting.new_figure(1, 1)
    ax = axes[0, 0]
    plotting.show_weights(
        ax, np.ones((pixels, pixels)) * np.arange(pixels), query=query
    )
    marker = _marker(ax)
    assert not marker.get_clip_on()
    fig.canvas.draw()
    box = marker.get_window_extent()
    fig_box = fig.bbox
    assert fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1
    assert fig_box.y0 <= box.y0 and box.y1 <= fig_box.y1
    # a tight bounding box (how notebooks save figures) holds it too
    tight = fig.get_tightbbox(fig.canvas.get_renderer()).transformed(
        fig.dpi_scale_trans
    )
    assert tight.x0 - 1e-6 <= box.x0 and box.x1 <= tight.x1 + 1e-6
    assert tight.y0 - 1e-6 <= box.y0 and box.y1 <= tight.y1 + 1e-6


def test_mark_query_accepts_token_index_and_rejects_bad_input():
    _fig, axes = plotting.new_figure()
    plotting.mark_query(axes[0, 0], 13, width=5)
    assert _marker(axes[0, 0]).pixel == (2.0, 3.0)
    with pytest.raises(ValueError, match="width"):
        plotting.mark_query(axes[0, 0], 13)
    with pytest.raises(TypeError, match="query"):
        plotting.mark_query(axes[0, 0], "centre")
    with pytest.raises(ValueError, match="size"):
        plotting.mark_query(axes[0, 0], (1, 1), size=0)


def test_signed_map_is_diverging_and_centred_at_zero_with_a_labelled_bar():
    v = np.array([[-0.5, 0.0], [0.25, 2.0]])
    fig, axes = plotting.new_figure(1, 1)
    ax = axes[0, 0]
    im = plotting.show_signed(ax, v, label="weight")
    assert im.get_cmap().name == "RdBu_r"
    lo, hi = im.get_clim()
    assert lo == -hi == -2.0
    # 0 is drawn in the middle colour of the map: near white
    assert np.allclose(im.cmap(im.norm(0.0))[:3], plt.get_cmap("RdBu_r")(0.5)[:3])
    bars = [a for a in fig.axes if a is not ax]
    assert len(bars) == 1 and bars[0].get_ylabel() == "weight"
    with pytest.raises(ValueError, match="shape"):
        plotting.show_signed(ax, np.ones(4))


def test_kernel_with_negative_entries_is_signed_and_values_are_written():
    sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    _fig, axes = plotting.new_figure(1, 2)
    im = plotting.show_kernel(axes[0, 0], sobel)
    assert im.get_cmap().name == "RdBu_r" and im.get_clim() == (-2.0, 2.0)
    written = [t.get_text() for t in axes[0, 0].texts]
    assert written == ["1", "0", "-1", "2", "0", "-2", "1", "0", "-1"]
    im = plotting.show_kernel(axes[0, 1], np.full((3, 3), 1 / 9))
    assert im.get_cmap().name == "viridis" and im.get_clim()[0] == 0.0
    assert len(axes[0, 1].texts) == 9


def test_map_on_its_own_scale_has_a_colourbar_or_its_maximum_in_the_title():
    fig, axes = plotting.new_figure(1, 3)
    w = np.arange(16.0) / 100
    plotting.show_weights(axes[0, 0], w, shape=(4, 4), title="a")
    assert axes[0, 0].get_title() == "a\nmax 0.15"
    n_axes = len(fig.axes)
    plotting.show_weights(axes[0, 1], w, shape=(4, 4), title="b", colorbar=True)
    assert axes[0, 1].get_title() == "b" and len(fig.axes) == n_axes + 1
    plotting.show_weights(axes[0, 2], w, shape=(4, 4), title="c", vmin=0, vmax=1)
    assert axes[0, 2].get_title() == "c"
    # scores whose dark end is not 0: the title gives both ends of the scale
    _fig, axes = plotting.new_figure(1, 2)
    plotting.show_weights(axes[0, 0], np.linspace(-2.7, 0.0, 16), shape=(4, 4))
    assert axes[0, 0].get_title() == "\u22122.7 to 0"
    plotting.show_weights(axes[0, 1], np.linspace(0.57, 1.0, 16), shape=(4, 4))
    assert axes[0, 1].get_title() == "0.57 to 1"


def test_weight_grid_on_one_scale_has_one_colourbar():
    maps = [np.arange(16.0), np.arange(16.0) * 2]
    fig, axes = plotting.weight_grid(maps, shape=(4, 4), vmin=0, vmax=30, label="w")
    assert len(fig.axes) == 3  # two maps and one shared bar
    assert all(ax.get_images()[0].get_clim() == (0, 30) for ax in axes.flat)
    fig, axes = plotting.weight_grid(maps, shape=(4, 4))
    assert len(fig.axes) == 4  # each map its own bar


def test_a_colour_bar_that_clips_the_map_says_so_with_a_pointed_end():
    # colours clip where the data leave the limits: the bar's end is pointed
    w = np.linspace(0.0, 0.11, 16)
    _fig, axes = plotting.new_figure(1, 3)
    plotting.show_weights(axes[0, 0], w, shape=(4, 4), colorbar=True, vmin=0, vmax=0.02)
    plotting.show_weights(axes[0, 1], w, shape=(4, 4), colorbar=True, vmin=0.05)
    plotting.show_weights(axes[0, 2], w, shape=(4, 4), colorbar=True)
    bars = [ax.images[0].colorbar for ax in axes.flat]
    assert [b.extend for b in bars] == ["max", "min", "neither"]
    # data floored before the call: the caller says so
    _fig, axes = plotting.new_figure(1, 1)
    floored = np.maximum(np.linspace(-9, 0, 16), -8)
    plotting.show_weights(
        axes[0, 0], floored, shape=(4, 4), colorbar=True, vmin=-8, vmax=0, extend="min"
    )
    assert axes[0, 0].images[0].colorbar.extend == "min"
    with pytest.raises(ValueError, match=r"^extend"):
        plotting.show_weights(axes[0, 0], floored, shape=(4, 4), extend="up")
    maps = [np.arange(16.0), np.arange(16.0) * 2]
    _fig, axes = plotting.weight_grid(maps, shape=(4, 4), vmin=0, vmax=20)
    assert axes[0, 1].images[0].colorbar.extend == "max"  # 30 > 20 on the second


def test_palette_is_okabe_ito_and_the_default_line_cycle():
    okabe_ito = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    assert set(plotting.PALETTE) == okabe_ito and len(plotting.PALETTE) == 8
    _fig, axes = plotting.new_figure()
    lines = [axes[0, 0].plot([0, 1], [i, i])[0] for i in range(3)]
    colours = [mcolors.to_hex(line.get_color()).upper() for line in lines]
    assert colours == list(plotting.PALETTE[:3])
    assert len({str(line.get_linestyle()) for line in lines}) == 3


def test_palette_neighbours_differ_in_lightness():
    # Two lines told apart by hue alone merge for colour-blind readers.
    def lightness(hex_colour):  # CIELAB L*, from sRGB
        c = np.array(mcolors.to_rgb(hex_colour))
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        y = c @ [0.2126, 0.7152, 0.0722]
        return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y

    first = [lightness(c) for c in plotting.PALETTE[:5]]
    assert all(abs(a - b) > 15 for a, b in itertools.pairwise(first))


def test_text_is_at_least_10_px_and_figures_fit_the_column():
    import matplotlib as mpl

    for key in ("font.size", "axes.titlesize", "xtick.labelsize", "legend.fontsize"):
        px = mpl.rcParams[key] * plotting.DPI / 72
        assert px >= 10, key
    fig, _ = plotting.new_figure(2, 9, size=2.0)
    assert fig.get_size_inches()[0] <= plotting.MAX_WIDTH + 1e-9
    assert plotting.MAX_WIDTH * plotting.DPI <= 700


def test_long_strips_are_broken_into_rows():
    imgs = [np.zeros((4, 4))] * 9
    _fig, axes = plotting.image_grid(imgs)
    assert axes.shape == (3, 3)
    _fig, axes = plotting.image_grid(imgs[:6])
    assert axes.shape == (2, 3)
    _fig, axes = plotting.weight_grid(imgs[:4])
    assert axes.shape == (1, 4)


def test_grids_lay_out_panels_and_reject_empty_input():
    imgs = [ca.sample_image(n, 8) for n in ca.IMAGE_NAMES]
    _fig, axes = plotting.image_grid(imgs, titles=list(ca.IMAGE_NAMES), ncols=2)
    assert axes.shape == (2, 2)
    assert [ax.get_title() for ax in axes.flat][:3] == list(ca.IMAGE_NAMES)
    with pytest.raises(ValueError, match="shape"):
        plotting.show_weights(axes[0, 0], np.ones(64))
    with pytest.raises(ValueError, match="images"):
        plotting.image_grid([])
    with pytest.raises(ValueError, match="maps"):
        plotting.weight_grid([])


def test_plot_timing_draws_the_median_and_the_spread():
    from collections import namedtuple

    Timing = namedtuple("Timing", "median low high times")
    runs = [Timing(2.0, 1.0, 3.0, ()), Timing(4.0, 3.5, 6.0, ())]
    _fig, axes = plotting.new_figure()
    ax = axes[0, 0]
    line = plotting.plot_timing(ax, [10, 20], runs, label="x")
    np.testing.assert_array_equal(line.get_ydata(), [2.0, 4.0])
    band = ax.collections[-1].get_paths()[0].vertices
    assert band[:, 1].min() == 1.0 and band[:, 1].max() == 6.0
    line = plotting.plot_timing(ax, [10, 20], [1.0, 2.0], [0.5, 1.5], [2.0, 3.0])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0])
    with pytest.raises(ValueError, match="median"):
        plotting.plot_timing(ax, [10, 20, 30], [1.0, 2.0])


def test_label_lines_writes_each_label_in_its_line_colour():
    _fig, axes = plotting.new_figure()
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], label="L = 4")
    ax.plot([0, 1], [1, 0], label="_hidden")
    plotting.label_lines(ax)
    assert [t.get_text() for t in ax.texts] == ["L = 4"]
    assert ax.texts[0].get_color() == ax.get_lines()[0].get_color()
    assert ax.texts[0].xy == (1.0, 1.0)


def test_label_lines_puts_a_label_near_the_top_below_its_point():
    _fig, axes = plotting.new_figure()
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], label="rising")  # ends at the top of the axes
    ax.plot([0, 1], [0.5, 0.1], label="falling")  # ends low
    plotting.label_lines(ax)
    rising, falling = ax.texts
    assert rising.get_va() == "top" and rising.xyann[1] < 0
    assert falling.get_va() == "bottom" and falling.xyann[1] > 0


def test_show_table_is_a_markdown_table():
    md = plotting.show_table([("box", 21.456), ("a|b", 3)], ["method", "PSNR (dB)"])
    assert md.data.splitlines() == [
        "| method | PSNR (dB) |",
        "|---|---|",
        "| box | 21.5 |",
        "| a\\|b | 3 |",
    ]
    signed = plotting.show_table([(-0.165, -3, "-x")], ["a", "b", "c"])
    assert signed.data.splitlines()[-1] == "| \u22120.165 | \u22123 | -x |"
    with pytest.raises(ValueError, match="row"):
        plotting.show_table([(1, 2, 3)], ["a", "b"])
    with pytest.raises(ValueError, match="headers"):
        plotting.show_table([], [])


def test_a_temperature_series_can_share_one_log_scale():
    from matplotlib.colors import LogNorm

    maps = [np.full(16, 1 / 16), np.eye(4).ravel() / 4]
    fig, axes = plotting.weight_grid(maps, shape=(4, 4), norm=LogNorm(1e-6, 1))
    assert len(fig.axes) == 3
    # zero weights are drawn in the lowest colour, not left out (masked)
    drawn = axes[0, 1].get_images()[0].get_array()
    assert not np.ma.is_masked(drawn) and drawn.min() == 1e-6
    norms = [ax.get_images()[0].norm for ax in axes.flat]
    assert norms[0] is norms[1] and (norms[0].vmin, norms[0].vmax) == (1e-6, 1)


def test_label_regions_writes_each_label_inside_its_region():
    labels = np.zeros((6, 6), int)
    labels[:, 4:] = 1
    labels[5, :4] = 2  # an L-shaped region 0 and two bars
    _fig, axes = plotting.new_figure()
    ax = axes[0, 0]
    plotting.label_regions(ax, labels)
    placed = {t.get_text(): t.get_position() for t in ax.texts}
    assert sorted(placed) == ["0", "1", "2"]
    for text, (x, y) in placed.items():
        assert labels[int(y), int(x)] == int(text)
    with pytest.raises(ValueError, match="labels"):
        plotting.label_regions(ax, np.zeros(4))
    # a pixel to avoid (say a marker at the centre of region 1) is not written on
    avoid = np.zeros((6, 6), bool)
    x, y = placed["1"]
    avoid[int(y), int(x)] = True
    plotting.label_regions(ax, labels, avoid=avoid)
    x1, y1 = ax.texts[-2].get_position()  # label 1 of the second call
    assert ax.texts[-2].get_text() == "1" and not avoid[int(y1), int(x1)]
    assert labels[int(y1), int(x1)] == 1
    with pytest.raises(ValueError, match="avoid"):
        plotting.label_regions(ax, labels, avoid=np.zeros((2, 2), bool))


def test_figures_are_numbered_per_chapter():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from figure_numbers import chapter_numbers

    # Sphinx's numbers run through the whole book; a chapter restarts at 1.
    book_wide = {"figure": {"fig-b": (18,), "fig-a": (17,), "fig-c": (19,)}}
    assert chapter_numbers(book_wide, "book/03_soft_attention") == {
        "figure": {"fig-a": (3, 1), "fig-b": (3, 2), "fig-c": (3, 3)}
    }
    assert chapter_numbers({"figure": {"s": (1,)}}, "book/intro") == {
        "figure": {"s": (1,)}
    }
    assert chapter_numbers({"figure": {"x": (5,)}}, "book/notation") == {
        "figure": {"x": (1,)}
    }


def test_direct_labels_stay_inside_the_axes():
    fig, axes = plotting.new_figure(1, 2, size=3.0)
    for ax in axes[0]:
        ax.loglog([10, 100, 1000], [1, 10, 100], label="a long label")
        plotting.label_lines(ax)
    fig.canvas.draw()
    for ax in axes[0]:
        box, text = ax.get_window_extent(), ax.texts[0].get_window_extent()
        assert box.x0 <= text.x0 and text.x1 <= box.x1


def test_inline_png_is_high_dpi_opaque_and_has_only_a_width():
    import base64
    import io

    from PIL import Image

    fig, _ = plotting.new_figure(1, 2, size=2.0)  # 4 x 2 inches
    data, metadata = plotting._retina_png(fig, bbox_inches=None)
    png = Image.open(io.BytesIO(base64.b64decode(data)))
    ratio = plotting.PIXEL_RATIO
    assert ratio >= 1.5
    assert png.size == (
        round(ratio * 4 * plotting.DPI),
        round(ratio * 2 * plotting.DPI),
    )
    assert png.mode == "RGB"
    assert metadata == {"width": 4 * plotting.DPI}


@pytest.mark.parametrize("title", ["one line", "two\nlines"])
def test_a_picture_s_title_sits_where_matplotlib_would_put_it(title):
    # show_image and show_weights place the title of an axes-off picture
    # themselves (at y = 1, skipping matplotlib's search); it must land where
    # matplotlib's own placement puts it, on the same figure drawn by hand.
    rng = np.random.default_rng(0)
    w, img = rng.random((6, 6)), rng.random((6, 6, 3))
    fig, axes = plotting.new_figure(2, 2, size=2.0)
    plotting.show_image(axes[0, 0], img, title)
    plotting.show_weights(axes[0, 1], w, title=title, colorbar=True)
    # the same panels, titled by matplotlib (automatic placement)
    axes[1, 0].imshow(img, interpolation="nearest")
    axes[1, 0].set_axis_off()
    axes[1, 0].set_title(title)
    im = axes[1, 1].imshow(w, cmap=plotting.WEIGHT_CMAP, interpolation="nearest")
    axes[1, 1].set_axis_off()
    axes[1, 1].set_title(title)
    plotting._colorbar(axes[1, 1], im, None)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for top, bottom in zip(axes[0], axes[1], strict=True):
        assert bottom._autotitlepos is not False  # matplotlib placed this one
        mine, auto = (a.title.get_window_extent(r) for a in (top, bottom))
        frame_mine, frame_auto = (a.get_window_extent(r) for a in (top, bottom))
        # the same height above the picture's top edge, to a hundredth of a pixel
        gap_mine, gap_auto = mine.y0 - frame_mine.y1, auto.y0 - frame_auto.y1
        assert abs(gap_mine - gap_auto) < 0.01
        assert gap_auto > 0  # above the picture, not on it


def _maps_figure():
    fig, axes = plotting.new_figure(2, 3, size=1.5)
    rng = np.random.default_rng(0)
    for n, ax in enumerate(axes.flat):
        plotting.show_weights(ax, rng.random((5, 5)), title=f"map {n}")
    axes[1, 2].set_axis_on()  # a map whose axes are drawn keeps its ticks
    axes[1, 2].set_ylabel("row")
    axes[0, 2].xaxis.tick_top()  # ticks on top: the title is placed above them
    fig.colorbar(axes[0, 0].images[0], ax=axes[:, -1])
    return fig, axes


def test_inline_png_draws_maps_as_matplotlib_does_and_leaves_their_axes_alone():
    import base64
    import io

    from PIL import Image

    fig, axes = _maps_figure()
    data, _ = plotting._retina_png(fig, bbox_inches="tight")
    got = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
    for ax in axes.flat:
        assert ax.xaxis.get_visible() and ax.yaxis.get_visible()
    # matplotlib's own drawing of the same figure, nothing hidden
    buf = io.BytesIO()
    _maps_figure()[0].savefig(
        buf, format="png", dpi=plotting.DPI * plotting.PIXEL_RATIO, bbox_inches="tight"
    )
    plain = Image.open(buf).convert("RGBA")
    white = Image.new("RGBA", plain.size, "white")
    want = np.asarray(Image.alpha_composite(white, plain).convert("RGB"))
    np.testing.assert_array_equal(got, want)
