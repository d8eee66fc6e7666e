"""The synthetic tasks: the marker task checked pixel by pixel, the long-range
task against its exact construction and the receptive-field bound."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import loop_bias

import convattn as ca

# --- the marker task ------------------------------------------------------------------


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
