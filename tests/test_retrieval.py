import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_hard, loop_similarity, loop_soft, loop_top_k

import convattn as ca

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


# Rounded to 6 decimals: no subnormal numbers, whose squares underflow to zero
# and make the plain loops (not the code under test) misjudge a vector's length.
coord = st.floats(-3, 3).map(lambda x: round(x, 6))


def tables(n_min=1, n_max=7, d_min=1, d_max=4):
    """Strategy for (queries, keys, values) with matching shapes."""
    return st.tuples(
        st.integers(1, 5),
        st.integers(n_min, n_max),
        st.integers(d_min, d_max),
        st.integers(1, 3),
    ).flatmap(
        lambda s: st.tuples(
            hnp.arrays(np.float64, (s[0], s[2]), elements=coord),
            hnp.arrays(np.float64, (s[1], s[2]), elements=coord),
            hnp.arrays(np.float64, (s[1], s[3]), elements=coord),
        )
    )


# --- plain-loop references, written for clarity, not speed -------------------


# --- softmax ------------------------------------------------------------------


def test_softmax_exact_values():
    np.testing.assert_allclose(
        ca.softmax([0.0, math.log(2), math.log(3)]), [1 / 6, 1 / 3, 1 / 2], rtol=1e-15
    )


def test_softmax_axis():
    s = np.array([[0.0, 0.0], [math.log(3), 0.0]])
    np.testing.assert_allclose(ca.softmax(s, axis=0), [[0.25, 0.5], [0.75, 0.5]])


@pytest.mark.parametrize("scale", [1e4, 1e8, 1e300])
@pytest.mark.parametrize("temperature", [1e-8, 1.0, 1e8])
def test_softmax_finite_for_huge_scores_and_tiny_temperature(scale, temperature):
    s = np.array([-scale, 0.0, scale, scale * 0.5])
    w = ca.softmax(s, temperature=temperature)
    assert np.all(np.isfinite(w))
    assert abs(w.sum() - 1.0) < 1e-12


def test_softmax_limits():
    s = np.array([0.3, 2.0, -1.0, 1.9])
    np.testing.assert_allclose(ca.softmax(s, temperature=1e-8), [0, 1, 0, 0])
    np.testing.assert_allclose(ca.softmax(s, temperature=1e12), [0.25] * 4, rtol=1e-10)
    # tied maxima share the weight evenly
    np.testing.assert_allclose(
        ca.softmax([1.0, 5.0, 5.0], temperature=1e-8), [0, 0.5, 0.5]
    )


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
        elements=finite,
    ),
    st.floats(1e-6, 1e6),
    st.floats(-1e3, 1e3),
)
def test_softmax_properties(s, temperature, shift):
    w = ca.softmax(s, temperature=temperature)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        ca.softmax(s + shift, temperature=temperature), w, atol=1e-6
    )


# --- similarity -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ca.SIMILARITY_KINDS)
@given(data=tables())
def test_similarity_matches_loops(kind, data):
    q, k, _ = data
    np.testing.assert_allclose(
        ca.similarity(q, k, kind), loop_similarity(q, k, kind), atol=1e-9
    )


def test_similarity_by_hand():
    q = np.array([[1.0, 2.0]])
    k = np.array([[3.0, 4.0], [-2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(ca.similarity(q, k, "dot"), [[11.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        ca.similarity(q, k, "cosine"), [[11 / (math.sqrt(5) * 5), 0.0, 0.0]], atol=1e-15
    )
    np.testing.assert_allclose(ca.similarity(q, k, "neg_sqdist"), [[-8.0, -10.0, -5.0]])


def test_dot_favours_bright_cosine_does_not():
    q = np.array([[0.2, 0.2, 0.2]])
    k = np.array([[0.2, 0.2, 0.2], [1.0, 1.0, 1.0]])
    assert np.argmax(ca.similarity(q, k, "dot")) == 1  # the brighter key wins
    np.testing.assert_allclose(ca.similarity(q, k, "cosine"), [[1.0, 1.0]])
    assert np.argmax(ca.similarity(q, k, "neg_sqdist")) == 0  # the identical key wins


# --- hard retrieval ------------------------------------------------------------


def test_top_k_ties_go_to_lower_index():
    np.testing.assert_array_equal(
        ca.top_k_indices([[1.0, 3.0, 3.0, 2.0, 3.0]], 4), [[1, 2, 4, 3]]
    )


@given(
    scores=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
        # Few distinct values: many exact ties, including at the k-th score.
        elements=st.sampled_from([-2.0, -0.0, 0.0, 0.5, 1.0, 3.0]),
    ),
    k_frac=st.floats(0, 1),
)
def test_top_k_indices_matches_a_plain_sort(scores, k_frac):
    # Every path: the best key alone (k = 1), the full sort (4k >= keys) and
    # the partition (4k < keys).
    k = 1 + int(k_frac * (scores.shape[1] - 1))
    np.testing.assert_array_equal(ca.top_k_indices(scores, k), loop_top_k(scores, k))


def test_hard_retrieve_over_several_blocks_of_queries():
    # More queries than one block, with ties: every block ranks the same way.
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 4, size=(40, 2)).astype(float)
    queries = rng.integers(0, 4, size=(600, 2)).astype(float)
    values = rng.normal(size=(40, 3))
    for top in (1, 5, 40):
        np.testing.assert_allclose(
            ca.hard_retrieve(queries, keys, values, k=top, kind="neg_sqdist"),
            loop_hard(queries, keys, values, top, "neg_sqdist"),
            atol=1e-12,
        )
    empty = ca.hard_retrieve(np.zeros((0, 2)), keys, values, k=3)
    assert empty.shape == (0, 3)


def test_top_k_indices_partition_path_on_a_large_row():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 50, size=(3, 5000)).astype(float)  # ties galore
    for k in (1, 7, 100, 1249):
        np.testing.assert_array_equal(
            ca.top_k_indices(scores, k), loop_top_k(scores, k)
        )


@pytest.mark.parametrize("kind", ca.SIMILARITY_KINDS)
@given(data=tables(), k_frac=st.floats(0, 1))
def test_hard_retrieve_matches_loop(kind, data, k_frac):
    q, k, v = data
    top = 1 + int(k_frac * (len(k) - 1))
    # Exact ties decide the order; make them exact ties in both computations.
    k = np.round(k, 1)
    q = np.round(q, 1)
    scores = ca.similarity(q, k, kind)
    ref = loop_similarity(q, k, kind)
    assume(
        np.array_equal(
            np.argsort(-scores, 1, kind="stable"), np.argsort(-ref, 1, kind="stable")
        )
    )
    np.testing.assert_allclose(
        ca.hard_retrieve(q, k, v, k=top, kind=kind),
        loop_hard(q, k, v, top, kind),
        atol=1e-12,
    )


def test_hard_retrieve_three_keys_by_hand():
    keys = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    values = np.array([[10.0], [20.0], [30.0]])
    query = np.array([[1.0, 0.2]])  # dots: 1.0, 0.2, 0.84
    np.testing.assert_allclose(ca.hard_retrieve(query, keys, values, k=1), [[10.0]])
    np.testing.assert_allclose(ca.hard_retrieve(query, keys, values, k=2), [[20.0]])
    np.testing.assert_allclose(ca.hard_retrieve(query, keys, values, k=3), [[20.0]])


def test_hard_retrieve_k_equals_n_is_global_mean(rng):
    q, k, v = rng.normal(size=(5, 3)), rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    out = ca.hard_retrieve(q, k, v, k=9)
    np.testing.assert_allclose(out, np.tile(v.mean(0), (5, 1)))


# --- soft retrieval --------------------------------------------------------------


def test_soft_retrieve_three_keys_by_hand():
    keys = np.array([[0.0], [math.log(2)], [math.log(3)]])
    values = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    out, w = ca.soft_retrieve(np.array([[1.0]]), keys, values, return_weights=True)
    np.testing.assert_allclose(w, [[1 / 6, 2 / 6, 3 / 6]])
    np.testing.assert_allclose(out, [[4 / 6, 5 / 6]])


@pytest.mark.parametrize("kind", ca.SIMILARITY_KINDS)
@given(data=tables(), temperature=st.floats(0.05, 20))
def test_soft_retrieve_matches_loop(kind, data, temperature):
    q, k, v = data
    np.testing.assert_allclose(
        ca.soft_retrieve(q, k, v, temperature, kind),
        loop_soft(q, k, v, temperature, kind),
        atol=1e-9,
    )


@given(data=tables(), temperature=st.floats(0.05, 20), seed=st.integers(0, 2**16))
def test_soft_weights_are_a_distribution_and_key_order_does_not_matter(
    data, temperature, seed
):
    q, k, v = data
    out, w = ca.soft_retrieve(q, k, v, temperature, return_weights=True)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    perm = np.random.default_rng(seed).permutation(len(k))
    np.testing.assert_allclose(
        ca.soft_retrieve(q, k[perm], v[perm], temperature), out, atol=1e-9
    )
    # hard retrieval too, when there are no ties that the order would break
    scores = ca.similarity(q, k)
    if all(len(np.unique(row)) == len(row) for row in scores):
        np.testing.assert_allclose(
            ca.hard_retrieve(q, k[perm], v[perm], k=1), ca.hard_retrieve(q, k, v, k=1)
        )


def test_temperature_limits(rng):
    q, k, v = (
        rng.normal(size=(6, 3)),
        rng.normal(size=(20, 3)),
        rng.normal(size=(20, 2)),
    )
    np.testing.assert_allclose(
        ca.soft_retrieve(q, k, v, temperature=1e-8),
        ca.hard_retrieve(q, k, v, k=1),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        ca.soft_retrieve(q, k, v, temperature=1e9),
        np.tile(v.mean(0), (6, 1)),
        atol=1e-8,
    )


def test_soft_retrieve_finite_for_huge_scores():
    q = np.array([[1e4, -1e4]])
    k = np.array([[1e4, 1e4], [-1e4, 1e4], [1e4, -1e4]])
    v = np.eye(3)
    for t in (1e-8, 1.0, 1e8):
        out = ca.soft_retrieve(q, k, v, temperature=t)
        assert np.all(np.isfinite(out))
    np.testing.assert_allclose(ca.soft_retrieve(q, k, v, temperature=1.0), [[0, 0, 1]])


# --- entropy, patches, non-local means ---------------------------------------------


def test_entropy_limits():
    np.testing.assert_allclose(ca.entropy(np.eye(4)), 0.0)
    np.testing.assert_allclose(ca.entropy(np.full((2, 5), 0.2)), math.log(5))
    np.testing.assert_allclose(ca.entropy([0.5, 0.5, 0.0]), math.log(2))


def test_extract_patches_matches_loop(rng):
    img = rng.normal(size=(5, 6, 2))
    p = 3
    padded = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    patches = ca.extract_patches(img, p)
    for r in range(5):
        for c in range(6):
            expected = padded[r : r + p, c : c + p].ravel()
            np.testing.assert_array_equal(patches[r * 6 + c], expected)


def test_nonlocal_means_is_soft_retrieve_over_patches(rng):
    img = rng.uniform(size=(7, 7, 3))
    patches = ca.extract_patches(img, 3) / math.sqrt(27)
    expected = ca.soft_retrieve(
        patches, patches, ca.to_tokens(img), temperature=0.2**2, kind="neg_sqdist"
    )
    out = ca.nonlocal_means(img, h=0.2, patch_size=3, block_size=5)
    np.testing.assert_allclose(out, ca.to_image(expected, img.shape), atol=1e-12)


def test_nonlocal_means_reduces_noise():
    clean = ca.sample_image("shapes", 32)
    noisy = clean + np.random.default_rng(1).normal(scale=0.1, size=clean.shape)
    out = ca.nonlocal_means(noisy, h=0.1, patch_size=5)
    assert np.mean((out - clean) ** 2) < 0.25 * np.mean((noisy - clean) ** 2)


# --- bad input ---------------------------------------------------------------------

Q, K, V = np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 2))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: ca.softmax([1.0, np.nan]), ValueError, "scores"),
        (lambda: ca.softmax([1.0, np.inf]), ValueError, "scores"),
        (lambda: ca.softmax(np.float64(2.0)), ValueError, "scores"),
        (lambda: ca.softmax([]), ValueError, "scores"),
        (lambda: ca.softmax([1.0], temperature=0), ValueError, "temperature"),
        (lambda: ca.softmax([1.0], temperature=-1), ValueError, "temperature"),
        (lambda: ca.softmax([1.0], temperature=np.nan), ValueError, "temperature"),
        (lambda: ca.softmax([1.0], temperature=np.inf), ValueError, "temperature"),
        (lambda: ca.softmax([1.0], temperature="hot"), TypeError, "temperature"),
        (lambda: ca.softmax([1.0], axis=3), ValueError, "axis"),
        (lambda: ca.similarity(np.ones((2, 3)), np.ones((4, 2))), ValueError, "width"),
        (lambda: ca.similarity(np.ones(3), K), ValueError, "queries"),
        (lambda: ca.similarity(Q, np.ones((4, 3, 1))), ValueError, "keys"),
        (lambda: ca.similarity(Q, np.ones((0, 3))), ValueError, "keys"),
        (lambda: ca.similarity(Q, K, kind="euclid"), ValueError, "kind"),
        (lambda: ca.similarity(Q, K, kind=None), TypeError, "kind"),
        (lambda: ca.similarity(np.full((2, 3), np.nan), K), ValueError, "queries"),
        (lambda: ca.similarity(Q, np.full((4, 3), np.inf)), ValueError, "keys"),
        (lambda: ca.hard_retrieve(Q, K, np.ones((3, 2))), ValueError, "values"),
        (lambda: ca.hard_retrieve(Q, K, np.ones(4)), ValueError, "values"),
        (lambda: ca.hard_retrieve(Q, K, V, k=0), ValueError, "k"),
        (lambda: ca.hard_retrieve(Q, K, V, k=5), ValueError, "k"),
        (lambda: ca.hard_retrieve(Q, K, V, k=1.5), TypeError, "k"),
        (lambda: ca.hard_retrieve(Q, K, V, kind="l1"), ValueError, "kind"),
        (lambda: ca.hard_retrieve(Q, K, np.full((4, 2), np.nan)), ValueError, "values"),
        (lambda: ca.soft_retrieve(Q, K, np.ones((5, 2))), ValueError, "values"),
        (lambda: ca.soft_retrieve(Q, K, V, temperature=0.0), ValueError, "temperature"),
        (
            lambda: ca.soft_retrieve(Q, K, V, temperature=np.nan),
            ValueError,
            "temperature",
        ),
        (lambda: ca.soft_retrieve(Q, K, V, kind="cos"), ValueError, "kind"),
        (lambda: ca.soft_retrieve(np.ones((2, 2)), K, V), ValueError, "width"),
        (lambda: ca.top_k_indices(np.ones((2, 3)), 4), ValueError, "k"),
        (lambda: ca.entropy([0.5, 0.6]), ValueError, "sum"),
        (lambda: ca.entropy([1.5, -0.5]), ValueError, ">= 0"),
        (lambda: ca.extract_patches(np.ones((5, 5)), 2), ValueError, "patch_size"),
        (lambda: ca.extract_patches(np.ones((5, 5)), 7), ValueError, "patch_size"),
        (lambda: ca.nonlocal_means(np.ones((5, 5)), h=0), ValueError, "h"),
        (
            lambda: ca.nonlocal_means(np.ones((5, 5)), block_size=0),
            ValueError,
            "block_size",
        ),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# --- windowed non-local means ------------------------------------------------------


def loop_windowed_nonlocal_means(img, h, p, window):
    """Brute force: for each pixel, every pixel of the window inside the image.

    Patches come from the reflect-padded image; the weight is
    exp(-mean squared patch difference / h^2).
    """
    x = img if img.ndim == 3 else img[:, :, None]
    rows, cols, _ = x.shape
    r, half = p // 2, window // 2
    padded = np.pad(x, ((r, r), (r, r), (0, 0)), mode="reflect")
    out = np.zeros_like(x)
    for i in range(rows):
        for j in range(cols):
            mine = padded[i : i + p, j : j + p]
            total, weight_sum = np.zeros(x.shape[2]), 0.0
            for a in range(max(0, i - half), min(rows, i + half + 1)):
                for b in range(max(0, j - half), min(cols, j + half + 1)):
                    theirs = padded[a : a + p, b : b + p]
                    weight = math.exp(-np.mean((mine - theirs) ** 2) / h**2)
                    total += weight * x[a, b]
                    weight_sum += weight
            out[i, j] = total / weight_sum
    return out if img.ndim == 3 else out[:, :, 0]


@pytest.mark.parametrize(
    "shape, p, window",
    [((6, 7, 3), 3, 3), ((6, 7, 3), 3, 5), ((7, 5), 5, 7), ((5, 8, 2), 1, 9)],
)
def test_windowed_nonlocal_means_matches_brute_force(rng, shape, p, window):
    img = rng.uniform(size=shape)
    got = ca.nonlocal_means(img, h=0.3, patch_size=p, window=window)
    want = loop_windowed_nonlocal_means(img, 0.3, p, window)
    assert got.shape == img.shape
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 7, 3), (9, 4)])
def test_windowed_nonlocal_means_covering_the_image_is_the_global_one(rng, shape):
    img = rng.uniform(size=shape)
    whole = ca.nonlocal_means(img, h=0.2, patch_size=3)
    cover = 2 * max(shape[:2]) - 1  # reaches every pixel from every pixel
    for window in (cover, cover + 2, 101):
        got = ca.nonlocal_means(img, h=0.2, patch_size=3, window=window)
        np.testing.assert_allclose(got, whole, atol=1e-12)
    # one size smaller: the corners no longer see each other
    smaller = ca.nonlocal_means(img, h=0.2, patch_size=3, window=cover - 2)
    assert not np.allclose(smaller, whole, atol=1e-9)


def test_windowed_nonlocal_means_of_one_pixel_is_the_identity(rng):
    img = rng.uniform(size=(5, 6, 3))
    np.testing.assert_array_equal(ca.nonlocal_means(img, window=1, patch_size=3), img)


def test_windowed_nonlocal_means_keeps_float32(rng):
    img = rng.uniform(size=(8, 8, 3)).astype(np.float32)
    out = ca.nonlocal_means(img, h=0.2, patch_size=3, window=5)
    assert out.dtype == np.float32
    want = loop_windowed_nonlocal_means(img.astype(np.float64), 0.2, 3, 5)
    np.testing.assert_allclose(out, want, atol=1e-5)


def test_windowed_nonlocal_means_reduces_noise():
    clean = ca.sample_image("shapes", 32)
    noisy = clean + np.random.default_rng(1).normal(scale=0.1, size=clean.shape)
    out = ca.nonlocal_means(noisy, h=0.1, patch_size=5, window=21)
    assert np.mean((out - clean) ** 2) < 0.25 * np.mean((noisy - clean) ** 2)


@pytest.mark.parametrize(
    "window, exc",
    [
        (4, ValueError),
        (0, ValueError),
        (-3, ValueError),
        (True, TypeError),
        (3.0, TypeError),
        ("21", TypeError),
    ],
)
def test_nonlocal_means_rejects_bad_window(window, exc):
    with pytest.raises(exc, match=r"^window"):
        ca.nonlocal_means(np.ones((5, 5)), patch_size=3, window=window)


def test_windowed_nonlocal_means_checks_patch_size():
    with pytest.raises(ValueError, match=r"^patch_size"):
        ca.nonlocal_means(np.ones((5, 5)), patch_size=7, window=3)
    with pytest.raises(ValueError, match=r"^patch_size"):
        ca.nonlocal_means(np.ones((5, 5)), patch_size=2, window=3)
