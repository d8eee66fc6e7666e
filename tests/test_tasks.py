"""The digits, their variants and the same-colour task, checked from the outside."""

import numpy as np
import pytest

import convattn as ca


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
