"""The figure and widget helpers: shapes of what they draw, and bad input."""

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import convattn as ca
from convattn import widgets


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


# The plotting helpers themselves are tested in test_plotting.py.


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
