import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import convattn as ca


@pytest.mark.parametrize("name", ca.IMAGE_NAMES)
@pytest.mark.parametrize("size", [1, 7, 64])
def test_sample_image_shape_range(name, size):
    img = ca.sample_image(name, size=size)
    assert img.shape == (size, size, 3)
    assert img.dtype == np.float64
    assert img.min() >= 0.0 and img.max() <= 1.0


def test_hopper_is_the_photo_not_a_constant():
    img = ca.sample_image("hopper", 64)
    # A real photo: many distinct colours and a wide brightness range.
    assert len(np.unique(img.reshape(-1, 3).round(3), axis=0)) > 1000
    assert img.max() - img.min() > 0.7


def test_hopper_full_size_matches_the_file():
    from matplotlib import cbook
    from matplotlib import image as mpimg

    photo = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    img = ca.sample_image("hopper", 512)
    top = (photo.shape[0] - 512) // 3
    np.testing.assert_allclose(img, photo[top : top + 512, :512] / 255.0)


def test_twins_has_two_identical_far_apart_objects():
    img = ca.sample_image("twins", 32)
    a, b = img[6, 6], img[25, 25]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, img[0, 0])


def test_area_resize_averages_blocks_exactly():
    img = np.arange(36.0).reshape(6, 6)
    out = ca.area_resize(img, (2, 3))
    expected = img.reshape(2, 3, 3, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(out, expected)


@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 9), st.integers(1, 9)),
        elements=st.floats(-10, 10),
    ),
    st.integers(1, 9),
    st.integers(1, 9),
)
def test_area_resize_preserves_mean(img, h, w):
    h, w = min(h, img.shape[0]), min(w, img.shape[1])
    out = ca.area_resize(img, (h, w))
    assert out.shape == (h, w)
    np.testing.assert_allclose(out.mean(), img.mean(), atol=1e-9)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=3, max_side=6),
        elements=st.floats(-5, 5),
    )
)
def test_tokens_round_trip(img):
    tokens = ca.to_tokens(img)
    assert tokens.shape[0] == img.shape[0] * img.shape[1]
    np.testing.assert_array_equal(ca.to_image(tokens, img.shape), img)


def test_token_order_is_row_major():
    img = np.zeros((3, 4, 2))
    img[1, 2] = [7.0, 8.0]
    n = ca.pixel_index(1, 2, img.shape)
    assert n == 1 * 4 + 2
    np.testing.assert_array_equal(ca.to_tokens(img)[n], [7.0, 8.0])
    np.testing.assert_array_equal(ca.pixel_positions(img.shape)[n], [1.0, 2.0])


def test_pixel_positions_normalized():
    pos = ca.pixel_positions((3, 5), normalize=True)
    assert pos.min() == 0.0 and pos.max() == 1.0
    np.testing.assert_array_equal(pos[-1], [1.0, 1.0])
    np.testing.assert_array_equal(
        ca.pixel_positions((1, 1), normalize=True), [[0.0, 0.0]]
    )


def test_to_gray_weights():
    img = np.zeros((1, 3, 3))
    img[0, 0, 0] = img[0, 1, 1] = img[0, 2, 2] = 1.0
    np.testing.assert_allclose(ca.to_gray(img), [[0.299, 0.587, 0.114]])


# --- bad input: the error type, and a message that names the argument --------


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: ca.sample_image("lena"), ValueError, "name"),
        (lambda: ca.sample_image(3), TypeError, "name"),
        (lambda: ca.sample_image("hopper", size=0), ValueError, "size"),
        (lambda: ca.sample_image("hopper", size=-4), ValueError, "size"),
        (lambda: ca.sample_image("hopper", size=2.5), TypeError, "size"),
        (lambda: ca.sample_image("hopper", size=True), TypeError, "size"),
        (lambda: ca.sample_image("hopper", size=1000), ValueError, "size"),
        (lambda: ca.to_tokens(np.zeros(5)), ValueError, "image"),
        (lambda: ca.to_tokens(np.zeros((2, 2, 2, 2))), ValueError, "image"),
        (lambda: ca.to_tokens(np.zeros((0, 3))), ValueError, "image"),
        (lambda: ca.to_tokens(np.array([[np.nan]])), ValueError, "image"),
        (lambda: ca.to_tokens(np.array([["a"]])), TypeError, "image"),
        (lambda: ca.to_tokens(np.ones((2, 2), dtype=complex)), TypeError, "image"),
        (lambda: ca.to_image(np.zeros((5, 3)), (2, 2)), ValueError, "tokens"),
        (lambda: ca.to_image(np.zeros((4, 3)), (2, 2, 2)), ValueError, "tokens"),
        (lambda: ca.to_image(np.zeros((4, 3)), (2, -2)), ValueError, "shape"),
        (lambda: ca.to_image(np.zeros((4, 3)), "2x2"), ValueError, "shape"),
        (lambda: ca.to_image(np.zeros((2, 2, 2)), (2, 2)), ValueError, "tokens"),
        (lambda: ca.pixel_positions((0, 3)), ValueError, "shape"),
        (lambda: ca.pixel_index(5, 0, (4, 4)), ValueError, "row"),
        (lambda: ca.pixel_index(0, -1, (4, 4)), ValueError, "col"),
        (lambda: ca.pixel_index(0.5, 0, (4, 4)), TypeError, "row"),
        (lambda: ca.area_resize(np.ones((4, 4)), (8, 2)), ValueError, "shape"),
        (lambda: ca.area_resize(np.ones((4, 4)), (0, 2)), ValueError, "shape"),
        (lambda: ca.area_resize(np.ones(4), (1, 1)), ValueError, "image"),
        (lambda: ca.to_gray(np.ones((2, 2, 4))), ValueError, "image"),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_psnr_exact():
    ref = np.zeros((3, 3))
    assert ca.psnr(ref + 0.01, ref) == pytest.approx(40.0)
    assert ca.psnr(ref + 0.5, ref, peak=0.5) == pytest.approx(0.0)
    assert ca.psnr(ref, ref) == float("inf")


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: ca.psnr(np.ones((2, 2)), np.ones((2, 3))), ValueError, "shape"),
        (
            lambda: ca.psnr(np.ones((2, 2)), np.full((2, 2), np.nan)),
            ValueError,
            "reference",
        ),
        (lambda: ca.psnr(np.ones((2, 2)), np.ones((2, 2)), peak=0), ValueError, "peak"),
    ],
)
def test_psnr_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
