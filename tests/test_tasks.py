"""The synthetic tasks: the marker task checked pixel by pixel, the long-range
task against its exact construction and the receptive-field bound; the digits,
their variants and the same-colour task, checked from the outside."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import loop_bias

import convattn as ca

# --- the marker task ------------------------------------------------------------------


def _simulated_lab(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """CIELAB of sRGB colours as seen with a colour-vision deficiency
    (Machado, Oliveira and Fernandes 2009, severity 1), written out here."""
    machado = {
        "deutan": [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ],
        "protan": [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ],
        "none": np.eye(3),
    }[deficiency]
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(lin @ np.asarray(machado).T, 0, 1)
    xyz = (
        lin
        @ np.array(
            [
                [0.4124, 0.3576, 0.1805],
                [0.2126, 0.7152, 0.0722],
                [0.0193, 0.1192, 0.9505],
            ]
        ).T
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1
    )


def test_marker_colours_are_okabe_ito_and_stay_apart_for_colour_blind_readers():
    okabe_ito = {
        tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))
        for h in ca.plotting.OKABE_ITO.values()
    }
    palette = ca.MARKER_PALETTE
    assert {tuple(np.round(c * 255).astype(int)) for c in palette} <= okabe_ito
    assert len({tuple(c) for c in palette}) == len(palette) == 6
    lightness = _simulated_lab(palette, "none")[:, 0]
    for deficiency in ("deutan", "protan"):
        lab = _simulated_lab(palette, deficiency)
        for i in range(6):
            for j in range(i):
                gap = np.linalg.norm(lab[i] - lab[j])
                assert gap > 15, (deficiency, i, j, gap)
                # the pairs that come closest also differ in lightness
                if gap < 25:
                    assert abs(lightness[i] - lightness[j]) > 8, (deficiency, i, j)


def test_marker_task_is_consistent():
    task = ca.marker_task(5, size=7, rng=3)
    x, idx = task["inputs"], task["target_index"]
    assert x.shape == (5, 49, 7)
    for b in range(5):
        flags = x[b, :, 6]
        assert flags.sum() == 3
        for label in range(3):
            marker = task["markers"][b, label]
            assert flags[marker] == 1 and task["labels"][b, marker] == label
            colour = x[b, marker, 3:6]
            # every pixel of that label must output the marker's colour
            rows = task["labels"][b] == label
            np.testing.assert_array_equal(
                task["targets"][b, rows], np.tile(colour, (rows.sum(), 1))
            )
            assert np.all(ca.MARKER_PALETTE[idx[b, rows]] == colour)
        # markers of one image have three different colours
        assert len({tuple(x[b, m, 3:6]) for m in task["markers"][b]}) == 3
        # ordinary pixels have no colour
        assert np.all(x[b, flags == 0, 3:6] == 0)


def test_trained_layer_solves_the_marker_task():
    train, test = ca.marker_task(64, size=8, rng=0), ca.marker_task(50, size=8, rng=1)
    layer = ca.SelfAttention(7, d=8, channels_out=3, rng=0)
    ca.fit(
        layer,
        train["inputs"],
        train["targets"],
        steps=300,
        lr=0.05,
        batch_size=16,
        verbose=False,
    )
    acc = ca.nearest_colour_accuracy(layer(test["inputs"][0]), test["target_index"][0])
    out = ca.multi_head_attention(test["inputs"], **layer.params)
    assert ca.nearest_colour_accuracy(out, test["target_index"]) > 0.99
    assert acc > 0.99


def test_nearest_colour_accuracy_by_hand():
    out = ca.MARKER_PALETTE[[0, 1, 2, 3]] + 0.05
    assert ca.nearest_colour_accuracy(out, [0, 1, 2, 5]) == 0.75


# --- the long-range task ----------------------------------------------------------------


def test_long_range_task_by_hand():
    img = np.arange(12.0).reshape(2, 6)
    target, valid = ca.long_range_task(img, 4)
    np.testing.assert_array_equal(target, [[4, 5, 0, 0, 0, 0], [10, 11, 0, 0, 0, 0]])
    np.testing.assert_array_equal(valid[1], [True, True, False, False, False, False])
    target, valid = ca.long_range_task(np.ones((3, 4, 2)), 0)
    assert target.shape == (3, 4, 2) and valid.all()


@settings(max_examples=30)
@given(
    k=st.sampled_from([1, 3, 5, 7]),
    layers=st.integers(1, 4),
    data=st.data(),
)
def test_conv_stack_solution_solves_the_task_exactly_within_reach(k, layers, data):
    reach = layers * (k // 2)
    distance = data.draw(st.integers(0, reach))
    kernels = ca.conv_stack_solution(distance, k, layers)
    assert len(kernels) == layers and all(kern.shape == (k, k) for kern in kernels)
    img = np.random.default_rng(distance).normal(size=(9, 16))
    out = img
    for kern in kernels:
        out = ca.conv2d(out, kern, padding="zeros")
    target, valid = ca.long_range_task(img, distance)
    np.testing.assert_array_equal(out[valid], target[valid])
    with pytest.raises(ValueError, match="distance"):
        ca.conv_stack_solution(reach + 1, k, layers)


def test_conv_stack_best_error_is_zero_within_reach_and_one_beyond():
    for k, layers in [(3, 1), (3, 3), (5, 2)]:
        reach = layers * (k - 1) // 2
        for distance in range(reach + 4):
            err = ca.conv_stack_best_error(distance, k, layers)
            if distance <= reach:
                assert err < 1e-20, (k, layers, distance, err)
            else:
                assert 0.95 < err < 1.15, (k, layers, distance, err)


def test_conv_stack_best_error_beats_any_single_kernel():
    # Least squares is the best R x R kernel: no hand-made kernel does better on
    # the images it was fitted to, so on fresh images it is also close to the
    # best possible error of 1 (predict 0).
    err = ca.conv_stack_best_error(6, 3, 2, num_images=64)
    assert 0.99 < err < 1.02


def test_long_range_attention_bias_matches_a_loop():
    np.testing.assert_allclose(
        ca.long_range_attention_bias((3, 4), 2, 7.0), loop_bias((3, 4), 2, 7.0)
    )


def test_one_attention_layer_solves_the_task_at_every_distance():
    for distance in [0, 1, 5, 17, 31]:
        assert ca.attention_long_range_error(distance) < 1e-15
    # With a soft bias the layer blurs its copy: the error shows it.
    blurred = ca.attention_long_range_error(5, sharpness=0.5)
    assert 0.1 < blurred < 2.0
    # The weights are one-hot on the key pixel D columns to the right.
    bias = ca.long_range_attention_bias((4, 9), 3)
    flat = np.zeros((36, 1))
    _, weights = ca.scaled_dot_product_attention(
        flat, flat, np.eye(36), bias=bias, return_weights=True
    )
    query = ca.pixel_index(2, 4, (4, 9))
    assert ca.attention_map(weights, (2, 4), (4, 9))[2, 7] == pytest.approx(1.0)
    assert weights[query].argmax() == ca.pixel_index(2, 7, (4, 9))


def test_long_range_sweep_boundary_is_the_receptive_field():
    sweep = ca.long_range_sweep(range(0, 9), [1, 2, 3, 4], kernel_size=3)
    np.testing.assert_array_equal(sweep.receptive_fields, [3, 5, 7, 9])
    solved = sweep.conv_error < 1e-12
    reach = (sweep.receptive_fields[:, None] - 1) // 2
    np.testing.assert_array_equal(solved, sweep.distances[None, :] <= reach)
    assert (sweep.conv_error[~solved] > 0.9).all()
    assert (sweep.attention_error < 1e-12).all()
    again = ca.long_range_sweep(range(0, 9), [1, 2, 3, 4], kernel_size=3)
    np.testing.assert_array_equal(again.conv_error, sweep.conv_error)


# --- the digits, their variants and the same-colour task ----------------------


def test_load_digits_are_the_bundled_digits_scaled_to_one():
    images, labels = ca.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and np.issubdtype(labels.dtype, np.integer)
    # raw values are ink counts 0 ... 16, divided by 16
    counts = images * 16
    np.testing.assert_array_equal(counts, np.round(counts))
    assert counts.min() == 0 and counts.max() == 16
    assert set(np.unique(labels)) == set(range(10))
    # every class is present about equally often (174 to 183 images each)
    assert np.bincount(labels).min() >= 170
    # the first image is a zero: blank in the middle, ink around it
    assert images[0, 3:5, 3:5].max() < images[0].max()


def test_digits_on_canvas_puts_each_image_whole_at_its_offset(rng):
    images = rng.uniform(0.1, 1.0, size=(30, 3, 4))
    canvas, offsets = ca.digits_on_canvas(images, size=7, rng=3)
    assert canvas.shape == (30, 7, 7)
    assert offsets.min() >= 0
    assert (offsets[:, 0] <= 4).all() and (offsets[:, 1] <= 3).all()
    for n in range(30):
        r, c = offsets[n]
        np.testing.assert_array_equal(canvas[n, r : r + 3, c : c + 4], images[n])
        rest = canvas[n].copy()
        rest[r : r + 3, c : c + 4] = 0
        assert not rest.any()
    # the places vary: more than one distinct offset
    assert len({tuple(o) for o in offsets}) > 1
    again, offsets_again = ca.digits_on_canvas(images, size=7, rng=3)
    np.testing.assert_array_equal(again, canvas)
    np.testing.assert_array_equal(offsets_again, offsets)


def test_digits_on_canvas_of_the_same_size_is_the_identity(rng):
    images = rng.uniform(size=(3, 5, 5))
    canvas, offsets = ca.digits_on_canvas(images, size=5)
    np.testing.assert_array_equal(canvas, images)
    assert not offsets.any()


def test_permute_pixels_moves_pixels_by_one_fixed_permutation(rng):
    images = rng.uniform(size=(6, 3, 4))
    permuted, perm = ca.permute_pixels(images, rng=5)
    assert sorted(perm.tolist()) == list(range(12))
    for n in range(6):
        for i in range(12):
            r, c = divmod(i, 4)
            src_r, src_c = divmod(int(perm[i]), 4)
            assert permuted[n, r, c] == images[n, src_r, src_c]
    # argsort undoes it; the same permutation applies to new images
    flat = permuted.reshape(6, 12)[:, np.argsort(perm)]
    np.testing.assert_array_equal(flat.reshape(6, 3, 4), images)
    other = rng.uniform(size=(2, 3, 4))
    again, perm_again = ca.permute_pixels(other, permutation=perm)
    np.testing.assert_array_equal(perm_again, perm)
    np.testing.assert_array_equal(again.reshape(2, 12), other.reshape(2, 12)[:, perm])


def test_same_colour_task_labels_follow_the_two_marker_colours():
    task = ca.same_colour_task(200, shape=(4, 16), rng=0)
    images, labels = task["images"], task["labels"]
    assert images.shape == (200, 4, 16, 3)
    assert np.bincount(labels).tolist() == [100, 100]
    for n in range(200):
        lit = np.argwhere(images[n].any(axis=-1))
        assert len(lit) == 2  # exactly two marker pixels
        (r1, c1), (r2, c2) = sorted(lit.tolist(), key=lambda p: p[1])
        assert c1 < 4 and c2 >= 12  # left and right quarters
        assert c2 - c1 >= 16 - 2 * 4 + 1
        same = bool(np.array_equal(images[n, r1, c1], images[n, r2, c2]))
        assert labels[n] == int(same)
        np.testing.assert_array_equal(task["markers"][n], [[r1, c1], [r2, c2]])
        for colour in (images[n, r1, c1], images[n, r2, c2]):
            assert any(np.array_equal(colour, p) for p in ca.SAME_COLOUR_PALETTE)


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: ca.digits_on_canvas(np.zeros((2, 8, 8)), size=6), ValueError, "size"),
        (lambda: ca.digits_on_canvas(np.zeros((8, 8)), size=12), ValueError, "images"),
        (lambda: ca.digits_on_canvas(np.zeros((2, 8, 8)), rng=-1), ValueError, "rng"),
        (lambda: ca.digits_on_canvas(np.zeros((2, 8, 8)), rng=1.5), TypeError, "rng"),
        (lambda: ca.digits_on_canvas(np.zeros((2, 8, 8)), size=9.0), TypeError, "size"),
        (lambda: ca.digits_on_canvas(np.zeros((0, 8, 8))), ValueError, "images"),
        (
            lambda: ca.permute_pixels(np.zeros((2, 2, 2)), [0, 1, 2]),
            ValueError,
            "permutation",
        ),
        (
            lambda: ca.permute_pixels(np.zeros((2, 2, 2)), [0, 1, 1, 2]),
            ValueError,
            "permutation",
        ),
        (
            lambda: ca.permute_pixels(np.zeros((2, 2, 2)), [0.0, 1, 2, 3]),
            TypeError,
            "permutation",
        ),
        (lambda: ca.permute_pixels(np.full((1, 2, 2), np.nan)), ValueError, "images"),
        (lambda: ca.permute_pixels(np.zeros((1, 2, 2)), rng="x"), TypeError, "rng"),
        (lambda: ca.same_colour_task(0), ValueError, "num_images"),
        (lambda: ca.same_colour_task(4, shape=(4, 3)), ValueError, "shape"),
        (lambda: ca.same_colour_task(4, shape=(4,)), ValueError, "shape"),
        (lambda: ca.same_colour_task(4, rng=-2), ValueError, "rng"),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()
