import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_conv2d

import convattn as ca

PADDINGS = ("zeros", "circular", "reflect", "valid")
small = st.floats(-10, 10, allow_nan=False, allow_infinity=False).map(
    lambda x: round(x, 4)
)


# --- plain-loop references, written for clarity, not speed -------------------


# --- conv2d against the loop ----------------------------------------------------


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("ksize", [(1, 1), (3, 3), (2, 2), (4, 3), (1, 5), (5, 5)])
def test_conv2d_matches_loop_single_channel(rng, padding, ksize):
    image = rng.normal(size=(6, 7))
    kernel = rng.normal(size=ksize)
    got = ca.conv2d(image, kernel, padding)
    np.testing.assert_allclose(got, loop_conv2d(image, kernel, padding), atol=1e-12)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("ksize", [(3, 3), (2, 4)])
def test_conv2d_matches_loop_per_channel(rng, padding, ksize):
    image = rng.normal(size=(5, 6, 3))
    kernel = rng.normal(size=ksize)
    got = ca.conv2d(image, kernel, padding)
    assert got.shape[2] == 3
    np.testing.assert_allclose(got, loop_conv2d(image, kernel, padding), atol=1e-12)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("ksize", [(3, 3), (2, 2), (1, 3)])
def test_conv2d_matches_loop_multi_channel(rng, padding, ksize):
    image = rng.normal(size=(5, 6, 3))
    kernel = rng.normal(size=(*ksize, 3, 4))
    got = ca.conv2d(image, kernel, padding)
    np.testing.assert_allclose(got, loop_conv2d(image, kernel, padding), atol=1e-12)


def test_conv2d_multi_channel_on_grayscale(rng):
    image = rng.normal(size=(4, 5))
    kernel = rng.normal(size=(3, 3, 1, 2))
    got = ca.conv2d(image, kernel)
    assert got.shape == (4, 5, 2)
    np.testing.assert_allclose(got, loop_conv2d(image[:, :, None], kernel, "zeros"))


def test_conv2d_exact_hand_values():
    image = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]])
    kernel = np.array([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 0.0]])
    # centre pixel: 2*1 + up 2 + left 0 + right 3 + down 0 = 7
    assert ca.conv2d(image, kernel)[1, 1] == 7.0
    # top-left with zeros: 2*1 + right 2 + down 0 = 4
    assert ca.conv2d(image, kernel)[0, 0] == 4.0
    # no flip: a kernel reading the left neighbour
    left = np.array([[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(
        ca.conv2d(image, left), [[0, 1, 2], [0, 0, 1], [0, 2, 0]]
    )


def test_conv2d_even_kernel_centre_is_k_over_2():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.zeros((2, 2))
    kernel[1, 1] = 1.0  # entry K // 2 is the centre: the identity
    np.testing.assert_array_equal(ca.conv2d(image, kernel), image)


def test_conv2d_keeps_float32(rng):
    image = rng.random((8, 8, 3)).astype(np.float32)
    assert ca.conv2d(image, ca.box_kernel(3)).dtype == np.float32
    kernel = rng.normal(size=(3, 3, 3, 2))
    assert ca.conv2d(image, kernel).dtype == np.float32
    assert ca.conv2d(image.astype(np.float64), kernel).dtype == np.float64


def test_conv2d_integer_input():
    out = ca.conv2d(np.ones((3, 3), dtype=int), np.ones((1, 1), dtype=int))
    assert out.dtype == np.float64


@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(3, 7), st.integers(3, 7)), elements=small
    ),
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 3), st.integers(1, 3)), elements=small
    ),
    st.integers(-8, 8),
    st.integers(-8, 8),
)
def test_circular_conv_commutes_with_roll(image, kernel, dr, dc):
    rolled_then_conv = ca.conv2d(
        np.roll(image, (dr, dc), axis=(0, 1)), kernel, "circular"
    )
    conv_then_rolled = np.roll(
        ca.conv2d(image, kernel, "circular"), (dr, dc), axis=(0, 1)
    )
    np.testing.assert_allclose(rolled_then_conv, conv_then_rolled, atol=1e-9)


@given(
    st.sampled_from(PADDINGS),
    hnp.arrays(np.float64, (5, 4, 2), elements=small),
    hnp.arrays(np.float64, (5, 4, 2), elements=small),
    hnp.arrays(np.float64, (3, 2, 2, 3), elements=small),
    small,
    small,
)
def test_conv2d_is_linear(padding, x, y, kernel, s, t):
    left = ca.conv2d(s * x + t * y, kernel, padding)
    right = s * ca.conv2d(x, kernel, padding) + t * ca.conv2d(y, kernel, padding)
    np.testing.assert_allclose(left, right, atol=1e-6)


# --- kernels --------------------------------------------------------------------


def test_kernel_library_values():
    np.testing.assert_array_equal(ca.box_kernel(3), np.full((3, 3), 1 / 9))
    g = ca.gaussian_kernel(5, 1.5)
    assert g.shape == (5, 5)
    np.testing.assert_allclose(g.sum(), 1.0)
    np.testing.assert_allclose(g[2, 3] / g[2, 2], np.exp(-1 / (2 * 1.5**2)))
    np.testing.assert_allclose(g, g.T)
    np.testing.assert_array_equal(ca.sobel_kernel("y"), ca.sobel_kernel("x").T)
    assert ca.laplacian_kernel().sum() == 0.0
    assert ca.sharpen_kernel(2.0).sum() == 1.0
    assert ca.sharpen_kernel(2.0)[1, 1] == 9.0


def test_sobel_sign_on_a_ramp():
    ramp = np.tile(np.arange(6.0), (6, 1))  # brighter to the right
    gx = ca.conv2d(ramp, ca.sobel_kernel("x"), "valid")
    gy = ca.conv2d(ramp, ca.sobel_kernel("y"), "valid")
    np.testing.assert_array_equal(gx, 8.0)
    np.testing.assert_array_equal(gy, 0.0)


@pytest.mark.parametrize("dr, dc", [(0, 1), (-2, 1), (1, -1), (0, 0)])
def test_shift_kernel_reads_the_offset_pixel(rng, dr, dc):
    image = rng.normal(size=(7, 7))
    out = ca.conv2d(image, ca.shift_kernel(dr, dc), "circular")
    np.testing.assert_array_equal(out, np.roll(image, (-dr, -dc), axis=(0, 1)))


def test_shift_kernel_sizes():
    assert ca.shift_kernel(0, 0).shape == (1, 1)
    assert ca.shift_kernel(0, 0, size=5)[2, 2] == 1.0
    assert ca.shift_kernel(-1, 3).shape == (7, 7)
    assert ca.shift_kernel(-1, 3)[2, 6] == 1.0


def test_box_blur_keeps_constant_image_with_reflect():
    out = ca.conv2d(np.full((6, 6, 3), 0.3), ca.box_kernel(5), "reflect")
    np.testing.assert_allclose(out, 0.3)


# --- receptive fields -----------------------------------------------------------


def test_theoretical_receptive_field():
    assert ca.theoretical_receptive_field(3, 1) == 3
    assert ca.theoretical_receptive_field(3, 5) == 11
    assert ca.theoretical_receptive_field(7, 2) == 13
    assert ca.theoretical_receptive_field(1, 9) == 1


def test_erf_two_box_kernels_exact():
    erf = ca.effective_receptive_field([ca.box_kernel(3)] * 2, (7, 7))
    tri = np.array([0, 1, 2, 3, 2, 1, 0])
    np.testing.assert_allclose(erf, np.outer(tri, tri) / 81, atol=1e-15)


@pytest.mark.parametrize("k, layers", [(3, 1), (3, 4), (5, 3), (2, 3), (4, 2)])
def test_erf_support_is_theoretical(rng, k, layers):
    kernels = [rng.random((k, k)) + 0.1 for _ in range(layers)]  # positive weights
    erf = ca.effective_receptive_field(kernels, (21, 21))
    rows, cols = np.nonzero(erf)
    side = ca.theoretical_receptive_field(k, layers)
    assert rows.max() - rows.min() + 1 == side
    assert cols.max() - cols.min() + 1 == side


@pytest.mark.parametrize("query", [None, (0, 0), (5, 2)])
@pytest.mark.parametrize("ksizes", [[(3, 3), (3, 3)], [(2, 2), (4, 3), (3, 2)]])
def test_erf_is_the_gradient_of_the_stack(rng, ksizes, query):
    """Pixel by pixel: the query output of the stack applied to impulses."""
    shape = (6, 7)
    kernels = [rng.normal(size=s) for s in ksizes]
    erf = ca.effective_receptive_field(kernels, shape, query)
    r0, c0 = (3, 3) if query is None else query
    expected = np.zeros(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            x = np.zeros(shape)
            x[r, c] = 1.0
            for k in kernels:
                x = loop_conv2d(x, k, "zeros")
            expected[r, c] = x[r0, c0]
    np.testing.assert_allclose(erf, expected, atol=1e-12)


def test_erf_accepts_one_kernel_and_3d_stack():
    one = ca.effective_receptive_field(ca.box_kernel(3), (5, 5))
    assert one.sum() == pytest.approx(1.0)
    stack = ca.effective_receptive_field(np.stack([ca.box_kernel(3)] * 2), (5, 5))
    np.testing.assert_allclose(
        stack, ca.effective_receptive_field([ca.box_kernel(3)] * 2, (5, 5))
    )


# --- convolution as attention-style weights -------------------------------------


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("ksize", [(3, 3), (2, 3), (5, 5)])
def test_conv_as_matrix_reproduces_conv2d(rng, padding, ksize):
    shape = (5, 6, 2)
    image = rng.normal(size=shape)
    kernel = rng.normal(size=ksize)
    m = ca.conv_as_matrix(kernel, shape, padding)
    out = ca.conv2d(image, kernel, padding)
    got = ca.to_image(m @ ca.to_tokens(image), out.shape)
    np.testing.assert_allclose(got, out, atol=1e-12)


def test_conv_as_matrix_rows_are_shifted_copies():
    m = ca.conv_as_matrix(np.arange(9.0).reshape(3, 3), (6, 6), "circular")
    row_a = m[ca.pixel_index(2, 2, (6, 6))].reshape(6, 6)
    row_b = m[ca.pixel_index(3, 4, (6, 6))].reshape(6, 6)
    np.testing.assert_array_equal(np.roll(row_a, (1, 2), axis=(0, 1)), row_b)
    assert (m != 0).sum(axis=1).max() == 8  # kernel entry 0 is zero


@pytest.mark.parametrize("padding", PADDINGS)
def test_conv_weights_is_one_row(rng, padding):
    kernel = rng.normal(size=(3, 3))
    image = rng.normal(size=(5, 5))
    weights = ca.conv_weights(kernel, image.shape, (0, 1), padding)
    out = ca.conv2d(image, kernel, padding)
    assert (weights * image).sum() == pytest.approx(out[0, 1])


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: ca.conv2d(np.ones((3, 3)), np.ones((4, 1))), ValueError, "kernel"),
        (
            lambda: ca.conv2d(np.ones((3, 3, 2)), np.ones((1, 1, 3, 1))),
            ValueError,
            "kernel",
        ),
        (
            lambda: ca.conv2d(np.ones((3, 3)), np.ones((1, 1)), "same"),
            ValueError,
            "padding",
        ),
        (lambda: ca.conv2d(np.ones((3, 3)), np.ones((1, 1)), 0), TypeError, "padding"),
        (
            lambda: ca.conv2d(np.full((3, 3), np.nan), np.ones((1, 1))),
            ValueError,
            "image",
        ),
        (
            lambda: ca.conv2d(np.ones((3, 3)), np.full((1, 1), np.inf)),
            ValueError,
            "kernel",
        ),
        (lambda: ca.conv2d(np.ones(3), np.ones((1, 1))), ValueError, "image"),
        (lambda: ca.conv2d(np.ones((3, 3)), np.ones((1, 1, 1))), ValueError, "kernel"),
        (lambda: ca.conv2d(np.ones((3, 3)), np.ones((0, 1))), ValueError, "kernel"),
        (lambda: ca.conv2d(np.ones((3, 3)), "box"), TypeError, "kernel"),
        (lambda: ca.box_kernel(0), ValueError, "size"),
        (lambda: ca.box_kernel(2.5), TypeError, "size"),
        (lambda: ca.gaussian_kernel(3, 0.0), ValueError, "sigma"),
        (lambda: ca.sobel_kernel("z"), ValueError, "direction"),
        (lambda: ca.sharpen_kernel(-1.0), ValueError, "amount"),
        (lambda: ca.shift_kernel(1.5, 0), TypeError, "dr"),
        (lambda: ca.shift_kernel(2, 0, size=3), ValueError, "size"),
        (lambda: ca.theoretical_receptive_field(0, 2), ValueError, "kernel_size"),
        (lambda: ca.theoretical_receptive_field(3, 0), ValueError, "layers"),
        (lambda: ca.effective_receptive_field([], (5, 5)), TypeError, "kernels"),
        (
            lambda: ca.effective_receptive_field([np.ones(3)], (5, 5)),
            ValueError,
            "kernels[0]",
        ),
        (
            lambda: ca.effective_receptive_field([np.ones((7, 7))], (5, 5)),
            ValueError,
            "kernels[0]",
        ),
        (
            lambda: ca.effective_receptive_field([np.ones((3, 3))], (5,)),
            ValueError,
            "shape",
        ),
        (
            lambda: ca.effective_receptive_field([np.ones((3, 3))], (5, 5), (0, 5)),
            ValueError,
            "query[1] (the column)",
        ),
        (
            lambda: ca.effective_receptive_field([np.ones((3, 3))], (5, 5), 3),
            TypeError,
            "query",
        ),
        (
            lambda: ca.conv_weights(np.ones((3, 3)), (5, 5), (5, 0)),
            ValueError,
            "query[0] (the row)",
        ),
        (lambda: ca.conv_weights(np.ones((3, 3)), (5, 5), 7), TypeError, "query"),
        (
            lambda: ca.conv_weights(np.ones((6, 3)), (5, 5), (0, 0)),
            ValueError,
            "kernel",
        ),
        (lambda: ca.conv_as_matrix(np.ones((3, 3)), (100, 100)), ValueError, "shape"),
        (
            lambda: ca.conv_as_matrix(np.ones((3, 3)), (5, 5), "full"),
            ValueError,
            "padding",
        ),
    ],
)
def test_bad_input(call, error, name):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(name), str(info.value)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 2)])
def test_conv2d_kernel_as_large_as_the_image(rng, padding, shape):
    image = rng.normal(size=shape)
    kernel = rng.normal(size=shape)
    got = ca.conv2d(image, kernel, padding)
    np.testing.assert_allclose(got, loop_conv2d(image, kernel, padding), atol=1e-12)


@given(
    st.sampled_from(PADDINGS),
    st.integers(2, 5),
    st.integers(2, 5),
    st.integers(1, 2),
    st.integers(1, 2),
    st.data(),
)
def test_conv2d_matches_loop_for_any_shape(padding, h, w, c_in, c_out, data):
    kh = data.draw(st.integers(1, h))
    kw = data.draw(st.integers(1, w))
    image = data.draw(hnp.arrays(np.float64, (h, w, c_in), elements=small))
    kernel = data.draw(hnp.arrays(np.float64, (kh, kw, c_in, c_out), elements=small))
    got = ca.conv2d(image, kernel, padding)
    np.testing.assert_allclose(got, loop_conv2d(image, kernel, padding), atol=1e-9)


# --- stride and dilation ----------------------------------------------------------


def pytorch_definition_conv2d(image, kernel, pad, stride, dilation):
    """PyTorch's conv2d as its documentation defines it, for one (H, W) channel.

    ``out[r, c] = sum_{a, b} w[a, b] * xpad[s*r + d*a, s*c + d*b]`` with ``xpad``
    the input with ``pad`` zeros on every side, and
    ``H_out = floor((H + 2 pad - d (K - 1) - 1) / s) + 1``.
    """
    h, w = image.shape
    kh, kw = kernel.shape
    s, d = stride, dilation
    xpad = np.zeros((h + 2 * pad, w + 2 * pad))
    xpad[pad : pad + h, pad : pad + w] = image
    out_h = (h + 2 * pad - d * (kh - 1) - 1) // s + 1
    out_w = (w + 2 * pad - d * (kw - 1) - 1) // s + 1
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    out[r, c] += kernel[a, b] * xpad[s * r + d * a, s * c + d * b]
    return out


@pytest.mark.parametrize("padding", ["zeros", "valid"])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_strided_dilated_conv2d_is_pytorchs_definition(
    rng, padding, k, stride, dilation
):
    image = rng.normal(size=(14, 15))  # the widest span is 3 * 4 + 1 = 13
    kernel = rng.normal(size=(k, k))
    pad = dilation * (k // 2) if padding == "zeros" else 0
    want = pytorch_definition_conv2d(image, kernel, pad, stride, dilation)
    got = ca.conv2d(image, kernel, padding, stride=stride, dilation=dilation)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_padded_output_side_is_ceil_h_over_s(stride):
    for h in range(1, 10):
        out = ca.conv2d(np.ones((h, h + 1)), np.ones((1, 1)), stride=stride)
        assert out.shape == (-(-h // stride), -(-(h + 1) // stride))


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("ksize", [(3, 3), (2, 2), (1, 3), (4, 3)])
@pytest.mark.parametrize("stride, dilation", [(2, 1), (1, 2), (2, 2), (3, 1)])
def test_strided_dilated_conv2d_matches_loop(rng, padding, ksize, stride, dilation):
    image = rng.normal(size=(9, 10, 2))
    for kernel in (rng.normal(size=ksize), rng.normal(size=(*ksize, 2, 3))):
        got = ca.conv2d(image, kernel, padding, stride=stride, dilation=dilation)
        want = loop_conv2d(image, kernel, padding, stride, dilation)
        np.testing.assert_allclose(got, want, atol=1e-12)


@given(
    st.sampled_from(PADDINGS),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(3, 8),
    st.integers(3, 8),
    st.booleans(),
    st.data(),
)
def test_strided_dilated_conv2d_matches_loop_for_any_shape(
    padding, stride, dilation, h, w, mix_channels, data
):
    kh = data.draw(st.integers(1, 3))
    kw = data.draw(st.integers(1, 3))
    span_fits = dilation * (kh - 1) < h and dilation * (kw - 1) < w
    if padding != "zeros" and not span_fits:
        dilation = 1
    image = data.draw(hnp.arrays(np.float64, (h, w, 2), elements=small))
    shape = (kh, kw, 2, 2) if mix_channels else (kh, kw)
    kernel = data.draw(hnp.arrays(np.float64, shape, elements=small))
    got = ca.conv2d(image, kernel, padding, stride=stride, dilation=dilation)
    want = loop_conv2d(image, kernel, padding, stride, dilation)
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_dilated_taps_beyond_a_small_image_read_zeros(rng):
    image = rng.normal(size=(3, 4))
    kernel = rng.normal(size=(3, 3))
    got = ca.conv2d(image, kernel, "zeros", dilation=5)  # span 11 > 4
    np.testing.assert_allclose(got, kernel[1, 1] * image, atol=1e-15)


def test_strided_dilated_conv2d_keeps_float32(rng):
    image = rng.random((9, 9, 3)).astype(np.float32)
    out = ca.conv2d(image, ca.box_kernel(3), stride=2, dilation=2)
    assert out.dtype == np.float32
    kernel = rng.normal(size=(3, 3, 3, 2))
    assert ca.conv2d(image, kernel, stride=2, dilation=3).dtype == np.float32


def test_conv2d_agrees_with_torch(rng):
    torch = pytest.importorskip("torch")
    image = rng.normal(size=(13, 12, 3))
    for k in (1, 3, 5):
        kernel = rng.normal(size=(k, k, 3, 4))
        weight = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
        x = torch.from_numpy(image.transpose(2, 0, 1)[None].copy())
        for stride in (1, 2, 3):
            for dilation in (1, 2):
                for padding, pad in (("zeros", dilation * (k // 2)), ("valid", 0)):
                    want = torch.nn.functional.conv2d(
                        x, weight, padding=pad, stride=stride, dilation=dilation
                    )
                    want = want[0].numpy().transpose(1, 2, 0)
                    got = ca.conv2d(image, kernel, padding, stride, dilation)
                    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": 1.5}, TypeError, "stride"),
        ({"stride": True}, TypeError, "stride"),
        ({"dilation": 0}, ValueError, "dilation"),
        ({"dilation": 2.0}, TypeError, "dilation"),
        ({"dilation": 4, "padding": "valid"}, ValueError, "dilation"),
        ({"dilation": 4, "padding": "reflect"}, ValueError, "dilation"),
        ({"dilation": 4, "padding": "circular"}, ValueError, "dilation"),
    ],
)
def test_conv2d_rejects_bad_stride_and_dilation(kwargs, error, name):
    with pytest.raises(error) as info:
        ca.conv2d(np.ones((7, 7)), np.ones((3, 3)), **kwargs)
    assert str(info.value).startswith(name), str(info.value)


# --- theoretical receptive field with stride and dilation -------------------------


def araujo_receptive_field(ks, strides, dilations):
    """r = 1 + sum_l (k_l - 1) d_l prod_{i<l} s_i, term by term."""
    r = 1
    for layer, (k, d) in enumerate(zip(ks, dilations, strict=True)):
        r += (k - 1) * d * math.prod(strides[:layer])
    return r


def _row_length(r, strides):
    """A row long enough that the middle output pixel's field, r wide, stays
    clear of both borders: the strides multiply, so the middle output pixel
    sits about prod(strides) / 2 input pixels from the middle of the row."""
    return 4 * r + 4 * math.prod(strides) + 40


def measured_receptive_field(ks, strides, dilations, n):
    """Width of the impulse response of one output pixel of a conv2d stack.

    The input is a 1 x n row whose n channels are the n unit impulses, so
    channel j of the output is the derivative of every output pixel with
    respect to input pixel j; the stack's kernels are positive, so nothing
    cancels. The output pixel in the middle is used, and the test checks that
    its field does not reach the border (where zeros would clip it).
    """
    rng = np.random.default_rng(1)
    x = np.eye(n)[None]  # (1, n, n): x[0, c, j] = [c == j]
    for k, s, d in zip(ks, strides, dilations, strict=True):
        x = ca.conv2d(x, rng.random((1, k)) + 0.5, "zeros", stride=s, dilation=d)
    response = x[0, x.shape[1] // 2]
    support = np.flatnonzero(response)
    assert support.min() > 0 and support.max() < n - 1, "field clipped by the border"
    return support.max() - support.min() + 1


@pytest.mark.parametrize(
    "ks, strides, dilations",
    [
        ([3], [1], [1]),
        ([3, 3, 3, 3], [1, 1, 1, 1], [1, 1, 1, 1]),
        ([3, 3, 3, 3], [1, 1, 1, 1], [1, 2, 4, 8]),
        ([3, 3, 3], [2, 2, 2], [1, 1, 1]),
        ([5, 3, 2, 4], [2, 1, 3, 1], [1, 3, 1, 2]),
        ([2, 2, 2], [1, 1, 1], [1, 2, 4]),
        ([7, 1, 3], [3, 2, 2], [2, 1, 3]),
    ],
)
def test_receptive_field_formula_is_the_measured_impulse_response(
    ks, strides, dilations
):
    r = ca.theoretical_receptive_field(ks, len(ks), strides, dilations)
    assert r == araujo_receptive_field(ks, strides, dilations)
    assert r == measured_receptive_field(
        ks, strides, dilations, n=_row_length(r, strides)
    )


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_receptive_field_formula_for_any_stack(layers):
    ks, strides, dilations = (list(col) for col in zip(*layers, strict=True))
    r = ca.theoretical_receptive_field(ks, len(ks), strides, dilations)
    assert r == measured_receptive_field(
        ks, strides, dilations, n=_row_length(r, strides)
    )


def test_receptive_field_of_a_square_stack_in_2d(rng):
    # The same in two dimensions: 3 x 3 kernels, dilations 1 and 2, strides 2
    # and 1, on a 25 x 25 image whose 625 channels are the unit impulses.
    n = 25
    x = np.eye(n * n).reshape(n, n, n * n)
    for s, d in ((2, 1), (1, 2)):
        x = ca.conv2d(x, rng.random((3, 3)) + 0.5, "zeros", stride=s, dilation=d)
    response = x[x.shape[0] // 2, x.shape[1] // 2].reshape(n, n)
    rows, cols = np.nonzero(response)
    side = ca.theoretical_receptive_field(3, 2, stride=[2, 1], dilation=[1, 2])
    assert side == 1 + 2 * 1 + 2 * 2 * 2
    assert rows.max() - rows.min() + 1 == side
    assert cols.max() - cols.min() + 1 == side


def test_receptive_field_scalar_arguments_apply_to_every_layer():
    assert ca.theoretical_receptive_field(3, 4) == 4 * 2 + 1  # L (K - 1) + 1
    assert ca.theoretical_receptive_field(3, 3, stride=2) == 1 + 2 * (1 + 2 + 4)
    assert ca.theoretical_receptive_field(3, 3, dilation=2) == 1 + 3 * 2 * 2
    assert ca.theoretical_receptive_field(3, 3, dilation=[1, 2, 4]) == 15
    assert ca.theoretical_receptive_field([5, 3], 2) == 1 + 4 + 2
    # the last layer's stride does not widen the field
    assert ca.theoretical_receptive_field(3, 2, stride=[1, 100]) == 5


@pytest.mark.parametrize(
    "args, kwargs, error, name",
    [
        ((3, 3), {"stride": [1, 2]}, ValueError, "stride"),
        ((3, 2), {"stride": [1, 0]}, ValueError, "stride[1]"),
        ((3, 2), {"stride": 0}, ValueError, "stride"),
        ((3, 2), {"stride": 1.5}, TypeError, "stride"),
        ((3, 2), {"stride": "2"}, TypeError, "stride"),
        ((3, 2), {"dilation": [1, 2, 4]}, ValueError, "dilation"),
        ((3, 2), {"dilation": 0}, ValueError, "dilation"),
        ((3, 2), {"dilation": [1, True]}, TypeError, "dilation[1]"),
        (([3, 3], 3), {}, ValueError, "kernel_size"),
        (([3, 0], 2), {}, ValueError, "kernel_size[1]"),
        ((3.0, 2), {}, TypeError, "kernel_size"),
        ((3, True), {}, TypeError, "layers"),
    ],
)
def test_receptive_field_rejects_bad_input(args, kwargs, error, name):
    with pytest.raises(error) as info:
        ca.theoretical_receptive_field(*args, **kwargs)
    assert str(info.value).startswith(name), str(info.value)


@pytest.mark.parametrize("k, layers", [(2, 1), (2, 3), (4, 2)])
def test_even_kernel_reach_is_asymmetric(rng, k, layers):
    # Impulse responses of one output pixel, as above: an even kernel reads
    # K/2 pixels to the left and K/2 - 1 to the right, so a stack reads
    # L K/2 to the left and L (K/2 - 1) to the right, L (K - 1) + 1 in all.
    n = 41
    x = np.eye(n)[None]
    for _ in range(layers):
        x = ca.conv2d(x, rng.random((1, k)) + 0.5, "zeros")
    support = np.flatnonzero(x[0, n // 2])
    assert n // 2 - support.min() == layers * k // 2
    assert support.max() - n // 2 == layers * (k // 2 - 1)
    assert len(support) == ca.theoretical_receptive_field(k, layers)
