"""The kernel-free explorer: frames drawn in advance, chosen by browser-side links.

The static book has no Python, so `frame_explorer` must (1) store a distinct
picture for each setting, (2) link every slider to the stacks of its level
with a `jslink` that the saved widget state carries, and (3) put each frame
at the stack position its slider index points to.
"""

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from ipywidgets.embed import embed_data
from ipywidgets.widgets.widget_link import Link

from convattn import widgets

SHAPE = (8, 8)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _panels(row, col, scale=1.0):
    w = np.zeros(SHAPE)
    w[row, col] = scale
    return [widgets.Panel(f"scale {scale:g}", w, vmin=0.0, vmax=2.0)]


def _sliders(box):
    return [s for hbox in box.children[:-1] for s in hbox.children]


def _visible(box, indices):
    """Follow the stacks as the browser would, with slider ``i`` at ``indices[i]``."""
    level_of = {id(s): i for i, s in enumerate(_sliders(box))}
    index_of_stack = {
        id(link.target[0]): indices[level_of[id(link.source[0])]]
        for link in box.frame_links
    }
    node = box.children[-1]
    while isinstance(node, ipywidgets.Stack):
        node = node.children[index_of_stack[id(node)]]
    assert isinstance(node, ipywidgets.Image)
    return node


def _explorer(**kwargs):
    kwargs.setdefault("controls", {"scale": [0.5, 1.0, 2.0]})
    return widgets.frame_explorer(_panels, SHAPE, query=(5, 2), stride=4, **kwargs)


def test_sliders_offer_the_grid_through_the_query_pixel():
    box = _explorer()
    row, col, scale = _sliders(box)
    assert [row.description, col.description, scale.description] == [
        "query row",
        "query col",
        "scale",
    ]
    assert row._options_labels == ("1", "5") and row.index == 1
    assert col._options_labels == ("2", "6") and col.index == 0
    assert scale._options_labels == ("0.5", "1", "2") and scale.index == 0


def test_every_stack_is_jslinked_to_the_slider_of_its_level():
    box = _explorer()
    sliders = _sliders(box)
    links = box.frame_links
    assert all(isinstance(link, Link) for link in links)
    assert all(link.source[1] == "index" for link in links)
    assert all(link.target[1] == "selected_index" for link in links)
    per_slider = [sum(link.source[0] is s for link in links) for s in sliders]
    assert per_slider == [1, 2, 4]  # 1 row stack, 2 col stacks, 2 * 2 scale stacks
    stacks = []

    def walk(w):
        if isinstance(w, ipywidgets.Stack):
            stacks.append(w)
            for c in w.children:
                walk(c)

    walk(box.children[-1])
    assert {id(s) for s in stacks} == {id(link.target[0]) for link in links}
    # The links and stacks are in the state a notebook saves for a static page.
    state = embed_data(views=[box])["manager_state"]["state"]
    assert len(links) == 7
    for link in links:
        model = state[link.model_id]
        assert model["model_name"] == "LinkModel"
        source, target = model["state"]["source"], model["state"]["target"]
        assert source == [f"IPY_MODEL_{link.source[0].model_id}", "index"]
        assert target == [f"IPY_MODEL_{link.target[0].model_id}", "selected_index"]
        assert state[link.target[0].model_id]["model_name"] == "StackModel"


def test_frames_differ_and_sit_where_their_indices_point():
    box = _explorer()
    seen = set()
    for i, r in enumerate((1, 5)):
        for j, c in enumerate((2, 6)):
            for k, s in enumerate((0.5, 1.0, 2.0)):
                frame = _visible(box, (i, j, k)).value
                # An explorer with that one setting draws its single frame
                # independently: it must be the same picture.
                alone = widgets.frame_explorer(
                    _panels, SHAPE, query=(r, c), stride=8, controls={"scale": [s]}
                )
                assert frame == _visible(alone, (0, 0, 0)).value
                seen.add(frame)
    assert len(seen) == 12


def test_starting_frame_matches_the_starting_setting():
    box = _explorer(
        controls={"scale": ipywidgets.FloatSlider(1.0, min=0.5, max=2.0, step=0.5)}
    )
    indices = [s.index for s in _sliders(box)]
    assert indices == [1, 0, 1]
    alone = widgets.frame_explorer(
        _panels, SHAPE, query=(5, 2), stride=8, controls={"scale": [1.0]}
    )
    assert _visible(box, indices).value == _visible(alone, (0, 0, 0)).value


def test_identical_frames_share_one_image_widget():
    def same(row, col, scale=1.0):
        return [widgets.Panel("flat", np.ones(SHAPE), mark=False)]

    box = widgets.frame_explorer(same, SHAPE, stride=4, controls={"scale": [1, 2]})
    images = {
        id(_visible(box, (i, j, k))) for i in (0, 1) for j in (0, 1) for k in (0, 1)
    }
    assert len(images) == 1


@pytest.mark.parametrize(
    "control, labels, start",
    [
        (ipywidgets.IntSlider(value=5, min=3, max=9, step=2), ("3", "5", "7", "9"), 1),
        (ipywidgets.SelectionSlider(options=[1, 4, 16], value=4), ("1", "4", "16"), 1),
        (ipywidgets.Dropdown(options=["a", "b"], value="b"), ("a", "b"), 1),
        (
            ipywidgets.FloatLogSlider(value=0.1, base=10, min=-2, max=0, step=1),
            ("0.01", "0.1", "1"),
            1,
        ),
        ([0.25, 0.5], ("0.25", "0.5"), 0),
    ],
)
def test_controls_become_selection_sliders(control, labels, start):
    def panels(row, col, setting=None):
        return [widgets.Panel("w", np.zeros(SHAPE))]

    box = widgets.frame_explorer(
        panels, SHAPE, stride=8, controls={"setting": control}, colors=0
    )
    slider = _sliders(box)[-1]
    assert isinstance(slider, ipywidgets.SelectionSlider)
    assert slider._options_labels == labels
    assert slider.index == start


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
    ],
)
def test_bad_input_is_rejected_by_name(kwargs, error, name):
    args = {"panels": _panels, "shape": SHAPE, "stride": 4, **kwargs}
    with pytest.raises(error, match=f"^{name}"):
        widgets.frame_explorer(**args)
