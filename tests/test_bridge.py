import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_conv2d, loop_local, paper_bound, series_theta3

import convattn as ca

coord = st.floats(-2, 2).map(lambda x: round(x, 6))


# --- independent references, written for clarity -------------------------------


@pytest.fixture
def image(rng):
    return rng.uniform(0, 1, size=(9, 11))


KERNELS = {
    "sobel": ca.sobel_kernel("x"),
    "gaussian": ca.gaussian_kernel(3, 1.0),
    "random": np.random.default_rng(1).normal(size=(3, 3)),
}


# --- attention_as_conv ------------------------------------------------------------


@pytest.mark.parametrize("name", list(KERNELS))
def test_attention_as_conv_exact_at_alpha_32(name, image):
    kernel = KERNELS[name]
    out = ca.attention_as_conv(kernel, alpha=32.0)(image)
    assert out.shape == image.shape
    assert np.abs(out - loop_conv2d(image, kernel, "zeros")).max() < 1e-10
    assert np.abs(out - ca.conv2d(image, kernel, padding="zeros")).max() < 1e-10


@pytest.mark.parametrize("name", list(KERNELS))
def test_attention_as_conv_error_falls_like_exp_minus_alpha(name, image):
    kernel = KERNELS[name]
    want = ca.conv2d(image, kernel)
    alphas = np.arange(6.0, 19.0, 2.0)
    errors = [
        np.abs(ca.attention_as_conv(kernel, a)(image) - want).max() for a in alphas
    ]
    slope = np.polyfit(alphas, np.log(errors), 1)[0]
    assert -1.05 < slope < -0.95
    # each step of 2 in alpha divides the error by about e^2
    np.testing.assert_allclose(np.diff(np.log(errors)), -2.0, atol=0.1)


@pytest.mark.parametrize("alpha", [0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 24.0])
@pytest.mark.parametrize("name", list(KERNELS))
def test_attention_as_conv_within_bound(alpha, name, image):
    kernel = KERNELS[name]
    layer = ca.attention_as_conv(kernel, alpha)
    error = np.abs(layer(image) - ca.conv2d(image, kernel)).max()
    bound = paper_bound(image, kernel, alpha)
    assert error <= bound
    np.testing.assert_allclose(layer.error_bound(image), bound, rtol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3, 2, 4), (5, 5, 3, 1), (1, 1, 2, 2)])
def test_attention_as_conv_multichannel(shape, rng):
    kernel = rng.normal(size=shape)
    x = rng.uniform(size=(7, 6, shape[2]))
    layer = ca.attention_as_conv(kernel, alpha=40.0)
    assert layer.num_heads == shape[0] ** 2
    out = layer(x)
    assert out.shape == (7, 6, shape[3])
    np.testing.assert_allclose(out, loop_conv2d(x, kernel, "zeros"), atol=1e-10)
    soft = ca.attention_as_conv(kernel, alpha=3.0)
    error = np.abs(soft(x) - loop_conv2d(x, kernel, "zeros")).max()
    assert error <= soft.error_bound(x) == pytest.approx(paper_bound(x, kernel, 3.0))


def test_attention_as_conv_2d_kernel_filters_each_channel(rng):
    x = rng.uniform(size=(6, 5, 3))
    kernel = KERNELS["random"]
    out = ca.attention_as_conv(kernel, alpha=40.0)(x)
    np.testing.assert_allclose(out, ca.conv2d(x, kernel), atol=1e-10)


def test_attention_as_conv_4d_kernel_on_gray_image(rng):
    x = rng.uniform(size=(6, 5))
    kernel = rng.normal(size=(3, 3, 1, 2))
    out = ca.attention_as_conv(kernel, alpha=40.0)(x)
    assert out.shape == (6, 5, 2)
    np.testing.assert_allclose(out, ca.conv2d(x, kernel), atol=1e-10)


def test_without_zero_keys_the_border_reads_the_nearest_pixel(image):
    # The zeros of the padding are not key pixels: a head whose target lies
    # outside the image ends up on the nearest image pixel. The interior is
    # still exact; the border converges to edge-replicating padding instead.
    kernel = KERNELS["random"]
    out = ca.attention_as_conv(kernel, alpha=40.0, pad_keys=False)(image)
    zeros = loop_conv2d(image, kernel, "zeros")
    edge = loop_conv2d(image, kernel, "edge")
    np.testing.assert_allclose(out[1:-1, 1:-1], zeros[1:-1, 1:-1], atol=1e-10)
    np.testing.assert_allclose(out, edge, atol=1e-10)
    assert np.abs(out - zeros).max() > 0.1


def test_head_scores_and_weights_by_hand():
    layer = ca.attention_as_conv(np.ones((3, 3)), alpha=2.0)
    # head 5 owns the offset Delta = (0, 1), the pixel to the right
    assert layer.offsets.tolist()[5] == [0, 1]
    np.testing.assert_allclose(layer.head_queries[5], [-2.0, 0.0, 4.0])
    s = layer.scores((4, 5), (1, 2))
    assert s.shape == (9, 6, 7)  # the image plus a 1-pixel border of zero keys
    for r in range(6):
        for c in range(7):
            dr, dc = (r - 1) - 1, (c - 1) - 2
            want = -2.0 * ((dr - 0) ** 2 + (dc - 1) ** 2 - 1)
            assert s[5, r, c] == pytest.approx(want)
    w = layer.weights((4, 5), (1, 2))
    np.testing.assert_allclose(w.sum(axis=(1, 2)), 1.0)
    # every head's weight peaks on its own offset
    for h, (dr, dc) in enumerate(layer.offsets):
        assert np.unravel_index(w[h].argmax(), w[h].shape) == (1 + 1 + dr, 1 + 2 + dc)


@pytest.mark.parametrize("x", [0.0, 0.1, 0.5, math.exp(-1), 0.9])
def test_theta3_matches_the_series(x):
    assert ca.theta3(x) == pytest.approx(series_theta3(x), rel=1e-12)


def test_quadratic_encoding_by_hand():
    np.testing.assert_array_equal(
        ca.quadratic_encoding(np.array([[[2, -1]], [[0, 3]]])),
        [[[5, 2, -1]], [[9, 0, 3]]],
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"kernel": np.ones((2, 2))}, ValueError, "kernel"),
        ({"kernel": np.ones((3, 5))}, ValueError, "kernel"),
        ({"kernel": np.ones(3)}, ValueError, "kernel"),
        ({"kernel": np.ones((3, 3, 2))}, ValueError, "kernel"),
        ({"kernel": np.full((3, 3), np.nan)}, ValueError, "kernel"),
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": "big"}, TypeError, "alpha"),
        ({"pad_keys": 1}, TypeError, "pad_keys"),
    ],
)
def test_attention_as_conv_rejects_bad_input(kwargs, error, name):
    args = {"kernel": np.ones((3, 3)), "alpha": 1.0}
    args.update(kwargs)
    with pytest.raises(error, match=f"^{name}"):
        ca.attention_as_conv(**args)


@pytest.mark.parametrize(
    ("image", "error", "name"),
    [
        (np.ones(5), ValueError, "image"),
        (np.ones((4, 4, 3)), ValueError, "image"),  # kernel wants C_in = 2
        (np.full((4, 4, 2), np.inf), ValueError, "image"),
    ],
)
def test_layer_rejects_bad_image(image, error, name):
    layer = ca.attention_as_conv(np.ones((3, 3, 2, 1)), alpha=1.0)
    with pytest.raises(error, match=f"^{name}"):
        layer(image)


def test_layer_rejects_bad_query():
    layer = ca.attention_as_conv(np.ones((3, 3)), alpha=1.0)
    with pytest.raises(ValueError, match=r"^query"):
        layer.scores((4, 4), (4, 0))
    with pytest.raises(ValueError, match=r"^shape"):
        layer.scores((4,), (0, 0))


@pytest.mark.parametrize(
    ("x", "error"), [(1.0, ValueError), (-0.1, ValueError), ("a", TypeError)]
)
def test_theta3_rejects_bad_input(x, error):
    with pytest.raises(error, match=r"^x"):
        ca.theta3(x)


# --- local attention ------------------------------------------------------------------


@st.composite
def local_problems(draw):
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    d, d_v = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    size = draw(st.sampled_from([1, 3, 5]))
    arrays = [
        draw(hnp.arrays(np.float64, (h * w, d), elements=coord)),
        draw(hnp.arrays(np.float64, (h * w, d), elements=coord)),
        draw(hnp.arrays(np.float64, (h * w, d_v), elements=coord)),
        draw(hnp.arrays(np.float64, (size, size), elements=coord)),
    ]
    return (*arrays, (h, w), size)


@given(local_problems())
def test_local_attention_matches_loop(problem):
    q, k, v, bias, shape, size = problem
    out, weights = ca.local_attention(q, k, v, shape, size, bias, return_weights=True)
    np.testing.assert_allclose(out, loop_local(q, k, v, shape, size, bias), atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=(1, 2)), 1.0)
    assert np.all(weights >= 0)


@given(local_problems())
def test_local_attention_with_whole_image_window_is_global_attention(problem):
    q, k, v, _, (h, w), _ = problem
    size = 2 * max(h, w) - 1
    table = np.random.default_rng(h * 7 + w).normal(size=(size, size))
    r = size // 2
    global_table = table[r - (h - 1) : r + h, r - (w - 1) : r + w]
    bias = ca.relative_position_bias((h, w), global_table)
    want = ca.scaled_dot_product_attention(q, k, v, bias=bias)
    got = ca.local_attention(q, k, v, (h, w), size, table)
    np.testing.assert_allclose(got, want, atol=1e-12)
    # a larger window changes nothing: every key pixel is already seen
    got2 = ca.local_attention(q, k, v, (h, w), size + 2, np.pad(table, 1))
    np.testing.assert_allclose(got2, want, atol=1e-12)


def test_local_attention_window_one_copies_values(rng):
    q, k, v = (
        rng.normal(size=(12, 2)),
        rng.normal(size=(12, 2)),
        rng.normal(size=(12, 3)),
    )
    np.testing.assert_allclose(ca.local_attention(q, k, v, (3, 4), 1), v)


def test_local_attention_float32_stays_float32(rng):
    q = rng.normal(size=(12, 2)).astype(np.float32)
    assert ca.local_attention(q, q, q, (3, 4), 3).dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"q": np.ones((5, 2))}, ValueError, "q"),
        ({"k": np.ones((6, 3))}, ValueError, "q and k"),
        ({"v": np.ones((5, 1))}, ValueError, "v"),
        ({"v": np.full((6, 1), np.nan)}, ValueError, "v"),
        ({"shape": (2, 2)}, ValueError, "q"),
        ({"shape": 6}, ValueError, "shape"),
        ({"window_size": 2}, ValueError, "window_size"),
        ({"window_size": 0}, ValueError, "window_size"),
        ({"window_size": 3.0}, TypeError, "window_size"),
        ({"position_bias": np.ones((5, 5))}, ValueError, "position_bias"),
        ({"return_weights": "yes"}, TypeError, "return_weights"),
    ],
)
def test_local_attention_rejects_bad_input(kwargs, error, name):
    args = {
        "q": np.ones((6, 2)),
        "k": np.ones((6, 2)),
        "v": np.ones((6, 1)),
        "shape": (2, 3),
        "window_size": 3,
    }
    args.update(kwargs)
    with pytest.raises(error, match=f"^{name}"):
        ca.local_attention(**args)


def test_quadratic_encoding_keeps_float32_and_any_leading_shape():
    d = np.random.default_rng(0).normal(size=(4, 5, 2)).astype(np.float32)
    r = ca.quadratic_encoding(d)
    assert r.dtype == np.float32 and r.shape == (4, 5, 3)
    for i, j in itertools.product(range(4), range(5)):
        a, b = (float(x) for x in d[i, j])
        np.testing.assert_allclose(r[i, j], [a * a + b * b, a, b], rtol=1e-6)
