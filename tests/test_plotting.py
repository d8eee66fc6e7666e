"""The figure and widget helpers: shapes of what they draw, and bad input."""

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import convattn as ca
from convattn import plotting, widgets


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_core_import_does_not_load_plotting():
    import subprocess
    import sys

    code = "import sys, convattn; print('matplotlib.pyplot' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False False"


def test_show_weights_draws_map_on_image_and_marks_query():
    img = ca.sample_image("shapes", 8)
    _fig, axes = plotting.new_figure(1, 1)
    ax = axes[0, 0]
    plotting.show_weights(ax, np.arange(64.0), shape=(8, 8), image=img, query=(2, 5))
    images = ax.get_images()
    assert len(images) == 2  # grayscale photo, then the map
    np.testing.assert_array_equal(images[1].get_array(), np.arange(64.0).reshape(8, 8))
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_array_equal(offsets, [[5.0, 2.0]])  # x = column, y = row


def test_mark_query_accepts_token_index():
    _fig, axes = plotting.new_figure()
    plotting.mark_query(axes[0, 0], 13, width=5)
    np.testing.assert_array_equal(
        axes[0, 0].collections[-1].get_offsets(), [[3.0, 2.0]]
    )
    with pytest.raises(ValueError, match="width"):
        plotting.mark_query(axes[0, 0], 13)
    with pytest.raises(TypeError, match="query"):
        plotting.mark_query(axes[0, 0], "centre")


def test_grids_lay_out_panels():
    imgs = [ca.sample_image(n, 8) for n in ca.IMAGE_NAMES]
    _fig, axes = plotting.image_grid(imgs, titles=list(ca.IMAGE_NAMES), ncols=2)
    assert axes.shape == (2, 2)
    assert [ax.get_title() for ax in axes.flat][:3] == list(ca.IMAGE_NAMES)
    _fig, axes = plotting.weight_grid([np.ones(64), np.zeros(64)], shape=(8, 8))
    assert axes.shape == (1, 2)
    with pytest.raises(ValueError, match="shape"):
        plotting.show_weights(axes[0, 0], np.ones(64))
    with pytest.raises(ValueError, match="images"):
        plotting.image_grid([])


def _panels(row, col, scale=1.0):
    img = ca.sample_image("shapes", 8)
    w = np.zeros((8, 8))
    w[row, col] = scale
    return [
        widgets.Panel("image", img, kind="image"),
        widgets.Panel("w", w, background=img, vmin=0.0, vmax=2.0),
    ]


def test_panel_grid_one_row_per_setting():
    _fig, axes = widgets.panel_grid(
        _panels, [dict(row=1, col=2), dict(row=3, col=4, scale=2.0)]
    )
    assert axes.shape == (2, 2)
    assert axes[1, 1].get_images()[-1].get_array()[3, 4] == 2.0


def test_query_explorer_redraws_when_a_control_moves():
    scale = ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0)
    box = widgets.query_explorer(
        _panels, (8, 8), query=(1, 1), controls={"scale": scale}
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
