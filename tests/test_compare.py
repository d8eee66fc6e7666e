"""Convolution vs attention: costs against hand counts, receptive fields against
plain loops, equivariance against known symmetries, the long-range task against
its exact construction."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_conv_macs, loop_relative_error

import convattn as ca

small = st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 6))


# --- cost ---------------------------------------------------------------------------


def test_conv_cost_hand_counts():
    # 3x3 kernel, 2 -> 5 channels: 9 * 2 * 5 = 90 weights; 4 * 4 pixels apply all.
    assert ca.conv_cost((4, 4), 3, 2, 5) == (90, 1440)
    assert ca.conv_cost((4, 4, 2), 3, 2, 5).params == 90  # channels in shape ignored
    assert ca.conv_cost((1, 1), 1, 1, 1) == ca.Cost(params=1, macs=1)
    assert ca.conv_cost((10, 20), 7, 3, 16) == (7 * 7 * 3 * 16, 200 * 7 * 7 * 3 * 16)


@pytest.mark.parametrize("h, w, k, c_in, c_out", [(3, 4, 3, 2, 5), (5, 2, 1, 1, 3)])
def test_conv_cost_matches_a_loop_count_and_the_kernel_size(h, w, k, c_in, c_out):
    cost = ca.conv_cost((h, w), k, c_in, c_out)
    assert cost.macs == loop_conv_macs(h, w, k, c_in, c_out)
    kernel = np.zeros((k, k, c_in, c_out))
    assert cost.params == kernel.size
    # The output really is (H, W, C_out): each of its entries took K*K*C_in MACs.
    out = ca.conv2d(np.ones((h, w, c_in)), kernel)
    assert cost.macs == out.size * k * k * c_in


def test_attention_cost_hand_counts():
    # N = 4, C_in = 3, d = 2, d_v = 4, C_out = 1:
    # params 3*2 + 3*2 + 3*4 + 4*1 = 28
    # macs   4*(6 + 6 + 12) + 16*2 + 16*4 + 4*4 = 96 + 32 + 64 + 16 = 208
    assert ca.attention_cost((2, 2), 3, 2, 4, c_out=1) == (28, 208)
    # defaults as in SelfAttention: d_v = d, C_out = C_in
    assert ca.attention_cost((1, 1), 1, 1) == (4, 3 + 1 + 1 + 1)


class CountingAttention:
    """Multi-head self-attention done with explicit matrix products, counting
    the multiply-adds of each product: (a x b) @ (b x c) costs a * b * c."""

    def __init__(self):
        self.macs = 0

    def matmul(self, x, y):
        self.macs += x.shape[0] * x.shape[1] * y.shape[1]
        return x @ y

    def __call__(self, tokens, layer):
        q = self.matmul(tokens, layer.w_q)
        k = self.matmul(tokens, layer.w_k)
        v = self.matmul(tokens, layer.w_v)
        heads = []
        h = layer.num_heads
        for qh, kh, vh in zip(
            np.split(q, h, axis=1),
            np.split(k, h, axis=1),
            np.split(v, h, axis=1),
            strict=True,
        ):
            scores = self.matmul(qh, kh.T) / np.sqrt(qh.shape[1])
            weights = np.exp(scores - scores.max(1, keepdims=True))
            weights /= weights.sum(1, keepdims=True)
            heads.append(self.matmul(weights, vh))
        return self.matmul(np.concatenate(heads, axis=1), layer.w_o)


@pytest.mark.parametrize(
    "shape, c_in, d, d_v, heads, c_out",
    [((2, 3), 3, 4, 6, 1, 5), ((3, 3), 2, 4, 8, 2, 2), ((2, 2), 5, 6, 6, 3, 1)],
)
def test_attention_cost_matches_the_layer(shape, c_in, d, d_v, heads, c_out):
    layer = ca.SelfAttention(c_in, d, d_v, num_heads=heads, channels_out=c_out, rng=1)
    tokens = np.random.default_rng(0).normal(size=(shape[0] * shape[1], c_in))
    counter = CountingAttention()
    out = counter(tokens, layer)
    np.testing.assert_allclose(out, layer(tokens), atol=1e-12)
    cost = ca.attention_cost(shape, c_in, d, d_v, num_heads=heads, c_out=c_out)
    assert cost.macs == counter.macs
    assert cost.params == sum(p.size for p in layer.params.values())


def test_costs_grow_like_n_and_n_squared():
    conv = [ca.conv_cost((s, s), 3, 8, 8).macs for s in (8, 16, 32)]
    attn = [ca.attention_cost((s, s), 8, 8).macs for s in (8, 16, 32)]
    assert conv[1] == 4 * conv[0] and conv[2] == 4 * conv[1]  # N x4 -> MACs x4
    # N x4 -> MACs x16 in the limit (the N^2 terms win over the N terms).
    assert 8 < attn[1] / attn[0] < attn[2] / attn[1] < 16
    assert attn[2] / attn[1] > 14
    # Parameters never depend on the image size.
    assert len({ca.conv_cost((s, s), 3, 8, 8).params for s in (8, 64)}) == 1
    assert len({ca.attention_cost((s, s), 8, 8).params for s in (8, 64)}) == 1


# --- receptive fields ------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["zeros", "circular"])
@pytest.mark.parametrize("query", [(0, 0), (2, 3), (4, 5)])
def test_conv_receptive_field_of_one_kernel_is_conv_weights(padding, query):
    kernel = np.arange(9.0).reshape(3, 3)
    got = ca.effective_receptive_field(kernel, (5, 6), query, padding=padding)
    np.testing.assert_allclose(got, ca.conv_weights(kernel, (5, 6), query, padding))


@pytest.mark.parametrize("padding", ["zeros", "circular"])
def test_conv_receptive_field_of_a_stack_is_a_row_of_the_matrix_product(padding):
    rng = np.random.default_rng(3)
    kernels = [
        rng.normal(size=(3, 3)),
        rng.normal(size=(5, 5)),
        rng.normal(size=(3, 3)),
    ]
    shape = (6, 7)
    total = np.eye(42)
    for kern in kernels:
        total = ca.conv_as_matrix(kern, shape, padding) @ total
    for query in [(0, 0), (3, 3), (5, 6), (2, 0)]:
        got = ca.effective_receptive_field(kernels, shape, query, padding=padding)
        want = total[ca.pixel_index(*query, shape)].reshape(shape)
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_conv_receptive_field_at_the_centre_is_the_effective_receptive_field():
    kernels = [ca.box_kernel(3), ca.gaussian_kernel(5, 1.0), ca.box_kernel(3)]
    np.testing.assert_allclose(
        ca.effective_receptive_field(kernels, (9, 11), (4, 5)),
        ca.effective_receptive_field(kernels, (9, 11)),
        atol=1e-15,
    )
    tent = np.array([0, 1, 2, 3, 2, 1, 0])
    two_boxes = ca.effective_receptive_field([ca.box_kernel(3)] * 2, (7, 7), (3, 3))
    np.testing.assert_allclose(two_boxes, np.outer(tent, tent) / 81)


@settings(max_examples=25)
@given(
    image=hnp.arrays(np.float64, (5, 6), elements=small),
    row=st.integers(0, 4),
    col=st.integers(0, 5),
    padding=st.sampled_from(["zeros", "circular"]),
)
def test_conv_receptive_field_weighs_the_pixels_the_stack_reads(
    image, row, col, padding
):
    kernels = [np.arange(9.0).reshape(3, 3) - 4, np.ones((3, 3)), np.eye(3)]
    out = image
    for kern in kernels:
        out = ca.conv2d(out, kern, padding=padding)
    m = ca.effective_receptive_field(kernels, image.shape, (row, col), padding=padding)
    np.testing.assert_allclose((m * image).sum(), out[row, col], atol=1e-9)


# --- equivariance ---------------------------------------------------------------------


def test_translation_error_matches_a_loop_reference():
    rng = np.random.default_rng(0)
    img = rng.normal(size=(5, 4))
    weights = rng.normal(size=(5, 4))

    def layer(x):
        return x * weights  # position-dependent: not equivariant

    shifted = np.zeros_like(img)
    for r in range(5):
        for c in range(4):
            shifted[(r + 2) % 5, (c - 1) % 4] = img[r, c]
    out = layer(img)
    out_shifted = np.zeros_like(out)
    for r in range(5):
        for c in range(4):
            out_shifted[(r + 2) % 5, (c - 1) % 4] = out[r, c]
    want = loop_relative_error(layer(shifted), out_shifted)
    got = ca.translation_equivariance_error(layer, img, (2, -1))
    assert got == pytest.approx(want, rel=1e-12)
    assert got > 0.1


@settings(max_examples=20)
@given(
    image=hnp.arrays(np.float64, (6, 7, 2), elements=small),
    dr=st.integers(-8, 8),
    dc=st.integers(-8, 8),
)
def test_circular_conv_and_position_free_attention_commute_with_shifts(image, dr, dc):
    kernel = np.random.default_rng(1).normal(size=(3, 3, 2, 2))
    conv = ca.translation_equivariance_error(
        lambda x: ca.conv2d(x, kernel, padding="circular"), image, (dr, dc)
    )
    assert conv < 1e-12
    layer = ca.SelfAttention(2, 4, rng=0)  # a circular shift permutes the pixels
    assert ca.translation_equivariance_error(layer, image, (dr, dc)) < 1e-12


def test_zero_padding_and_absolute_positions_break_translation_equivariance():
    img = np.random.default_rng(2).normal(size=(8, 8))
    kernel = np.random.default_rng(3).normal(size=(3, 3))
    assert (
        ca.translation_equivariance_error(
            lambda x: ca.conv2d(x, kernel, padding="zeros"), img, (0, 2)
        )
        > 0.1
    )
    # No shift, nothing to break.
    assert (
        ca.translation_equivariance_error(
            lambda x: ca.conv2d(x, kernel, padding="zeros"), img, (0, 0)
        )
        == 0.0
    )

    layer = ca.SelfAttention(5, 4, rng=0)

    def with_positions(x):
        tokens = ca.add_positions(ca.to_tokens(x), x.shape, dims=4, base=8.0)
        return ca.to_image(layer(tokens), (8, 8, 5))

    assert ca.translation_equivariance_error(with_positions, img, (1, 3)) > 1e-3


def test_permutation_error_matches_a_loop_reference():
    tokens = np.random.default_rng(0).normal(size=(7, 2))

    def layer(t):
        return np.cumsum(t, axis=0)

    perm = np.random.default_rng(5).permutation(7)
    out = layer(tokens)
    want = loop_relative_error(layer(tokens[perm]), out[perm])
    got = ca.permutation_equivariance_error(layer, tokens, np.random.default_rng(5))
    assert got == pytest.approx(want, rel=1e-12)
    assert ca.permutation_equivariance_error(layer, tokens, 5) == got  # seed


@settings(max_examples=20)
@given(
    tokens=hnp.arrays(np.float64, (12, 3), elements=small),
    seed=st.integers(0, 2**16),
)
def test_attention_without_positions_is_permutation_equivariant(tokens, seed):
    layer = ca.SelfAttention(3, 4, num_heads=2, rng=0)
    assert ca.permutation_equivariance_error(layer, tokens, seed) < 1e-12


def test_conv_and_positions_are_not_permutation_equivariant():
    img = np.random.default_rng(0).normal(size=(6, 6, 1))
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 1))

    def conv_layer(tokens):
        return ca.to_tokens(ca.conv2d(ca.to_image(tokens, (6, 6, 1)), kernel))

    assert ca.permutation_equivariance_error(conv_layer, ca.to_tokens(img), 0) > 0.5
    layer = ca.SelfAttention(5, 4, rng=0)

    def attention_with_positions(tokens):
        return layer(ca.add_positions(tokens, (6, 6), dims=4, base=6.0))

    err = ca.permutation_equivariance_error(attention_with_positions, ca.to_tokens(img))
    assert err > 1e-3


# --- bad input --------------------------------------------------------------------------


def _identity(x):
    return x


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: ca.conv_cost((4,), 3, 1, 1), ValueError, "shape"),
        (lambda: ca.conv_cost((4, 0), 3, 1, 1), ValueError, "shape"),
        (lambda: ca.conv_cost((4, 4), 2, 1, 1), ValueError, "kernel_size"),
        (lambda: ca.conv_cost((4, 4), 3, 0, 1), ValueError, "c_in"),
        (lambda: ca.conv_cost((4, 4), 3, 1, 1.5), TypeError, "c_out"),
        (lambda: ca.attention_cost((4, 4), 3, 0), ValueError, "d"),
        (
            lambda: ca.attention_cost((4, 4), 3, 4, 6, num_heads=4),
            ValueError,
            "num_heads",
        ),
        (lambda: ca.attention_cost((4, 4), 3, 4, d_v=-1), ValueError, "d_v"),
        (lambda: ca.attention_cost((4, 4), 3, 4, c_out=0), ValueError, "c_out"),
        (
            lambda: ca.effective_receptive_field([], (5, 5), (1, 1)),
            TypeError,
            "kernels",
        ),
        (
            lambda: ca.effective_receptive_field(np.ones((3, 3)), (5, 5), (5, 1)),
            ValueError,
            "row",
        ),
        (
            lambda: ca.effective_receptive_field(np.ones((3, 3)), (5, 5), 7),
            TypeError,
            "query",
        ),
        (
            lambda: ca.effective_receptive_field(
                np.ones((3, 3)), (5, 5), (1, 1), "reflect"
            ),
            ValueError,
            "padding",
        ),
        (
            lambda: ca.effective_receptive_field(
                [np.full((3, 3), np.nan)], (5, 5), (1, 1)
            ),
            ValueError,
            "kernels",
        ),
        (
            lambda: ca.effective_receptive_field(np.ones((7, 7)), (5, 5), (1, 1)),
            ValueError,
            "kernel",
        ),
        (
            lambda: ca.attention_map(np.ones((4, 5)), (0, 0), (2, 2)),
            ValueError,
            "weights",
        ),
        (lambda: ca.attention_map(np.ones((4, 4)), (0, 2), (2, 2)), ValueError, "col"),
        (lambda: ca.attention_map(np.ones(4), (0, 0), (2, 2)), ValueError, "weights"),
        (
            lambda: ca.translation_equivariance_error("conv", np.ones((3, 3)), (1, 1)),
            TypeError,
            "layer",
        ),
        (
            lambda: ca.translation_equivariance_error(_identity, np.ones((3, 3)), 1),
            TypeError,
            "shift",
        ),
        (
            lambda: ca.translation_equivariance_error(
                _identity, np.ones((3, 3)), (1.5, 0)
            ),
            TypeError,
            "shift",
        ),
        (
            lambda: ca.translation_equivariance_error(_identity, np.ones(3), (1, 1)),
            ValueError,
            "image",
        ),
        (
            lambda: ca.translation_equivariance_error(
                lambda x: x[1:], np.ones((3, 3)), (1, 1)
            ),
            ValueError,
            "layer",
        ),
        (
            lambda: ca.permutation_equivariance_error(_identity, np.ones((3, 2)), "x"),
            TypeError,
            "rng",
        ),
        (
            lambda: ca.permutation_equivariance_error(
                _identity, np.full((3, 2), np.nan)
            ),
            ValueError,
            "tokens",
        ),
        (
            lambda: ca.permutation_equivariance_error(
                lambda t: t.sum(0), np.ones((3, 2))
            ),
            ValueError,
            "layer",
        ),
        (
            lambda: ca.permutation_equivariance_error(None, np.ones((3, 2))),
            TypeError,
            "layer",
        ),
        (lambda: ca.long_range_task(np.ones((2, 4)), 4), ValueError, "distance"),
        (lambda: ca.long_range_task(np.ones((2, 4)), -1), ValueError, "distance"),
        (lambda: ca.long_range_task(np.ones(4), 1), ValueError, "image"),
        (lambda: ca.conv_stack_solution(1, 4, 2), ValueError, "kernel_size"),
        (lambda: ca.conv_stack_solution(1, 3, 0), ValueError, "layers"),
        (lambda: ca.conv_stack_solution(3, 3, 2), ValueError, "distance"),
        (lambda: ca.conv_stack_best_error(40, 3, 2), ValueError, "distance"),
        (
            lambda: ca.conv_stack_best_error(1, 3, 2, num_images=0),
            ValueError,
            "num_images",
        ),
        (
            lambda: ca.conv_stack_best_error(1, 3, 12, num_images=1),
            ValueError,
            "num_images",
        ),
        (lambda: ca.conv_stack_best_error(1, 3, 1, rng=-1), ValueError, "rng"),
        (lambda: ca.conv_stack_best_error(1, 3, 1, shape=(4,)), ValueError, "shape"),
        (
            lambda: ca.long_range_attention_bias((2, 3), 1, sharpness=0),
            ValueError,
            "sharpness",
        ),
        (lambda: ca.long_range_attention_bias((2, 3), 3), ValueError, "distance"),
        (
            lambda: ca.attention_long_range_error(1, num_images=0),
            ValueError,
            "num_images",
        ),
        (lambda: ca.long_range_sweep(3, [1]), TypeError, "distances"),
        (lambda: ca.long_range_sweep([], [1]), ValueError, "distances"),
        (lambda: ca.long_range_sweep([1], []), ValueError, "layers"),
        (lambda: ca.long_range_sweep([1], [0]), ValueError, "layers"),
        (
            lambda: ca.long_range_sweep([1], [1], kernel_size=2),
            ValueError,
            "kernel_size",
        ),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
