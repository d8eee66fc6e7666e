import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_attention, loop_multi_head

import convattn as ca

coord = st.floats(-3, 3).map(lambda x: round(x, 6))


def qkv_tables():
    """Strategy for (q, k, v, bias) with matching shapes."""
    return st.tuples(
        st.integers(1, 5), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3)
    ).flatmap(
        lambda s: st.tuples(
            hnp.arrays(np.float64, (s[0], s[2]), elements=coord),
            hnp.arrays(np.float64, (s[1], s[2]), elements=coord),
            hnp.arrays(np.float64, (s[1], s[3]), elements=coord),
            hnp.arrays(np.float64, (s[0], s[1]), elements=coord),
        )
    )


# --- plain-loop references, written for clarity, not speed -------------------


# --- scaled dot-product attention --------------------------------------------


@given(data=qkv_tables(), use_bias=st.booleans())
def test_sdpa_matches_loops(data, use_bias):
    q, k, v, bias = data
    bias = bias if use_bias else None
    out, w = ca.scaled_dot_product_attention(q, k, v, bias=bias, return_weights=True)
    ref_out, ref_w = loop_attention(q, k, v, bias)
    np.testing.assert_allclose(w, ref_w, atol=1e-12)
    np.testing.assert_allclose(out, ref_out, atol=1e-9)


@given(data=qkv_tables(), shift=st.floats(-100, 100))
def test_sdpa_weights_are_distributions_and_output_is_an_average(data, shift):
    q, k, v, bias = data
    out, w = ca.scaled_dot_product_attention(q, k, v, bias=bias, return_weights=True)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    # every output lies between the smallest and largest value of each channel
    assert np.all(out >= v.min(axis=0) - 1e-9)
    assert np.all(out <= v.max(axis=0) + 1e-9)
    # adding the same number to a whole row of scores changes nothing
    row_shift = bias + shift * np.arange(len(q))[:, None]
    np.testing.assert_allclose(
        ca.scaled_dot_product_attention(q, k, v, bias=row_shift), out, atol=1e-9
    )


def test_sdpa_by_hand():
    # d = 4: the score of key 2 is (2 * 2) / sqrt(4) = 2, of key 1 it is 0
    q = np.array([[1.0, 1.0, 1.0, 1.0]])
    k = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    v = np.array([[1.0, 0.0], [0.0, 1.0]])
    out, w = ca.scaled_dot_product_attention(q, k, v, return_weights=True)
    e = math.exp(1.0)  # score 1.0 after dividing by sqrt(4) = 2
    np.testing.assert_allclose(w, [[1 / (1 + e), e / (1 + e)]], rtol=1e-14)
    np.testing.assert_allclose(out, w, rtol=1e-14)


def test_sdpa_bias_masks_a_key(rng):
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    bias = np.zeros(5)
    bias[2] = -1e9  # broadcast over every query
    out, w = ca.scaled_dot_product_attention(q, k, v, bias=bias, return_weights=True)
    np.testing.assert_array_equal(w[:, 2], 0.0)
    keep = [0, 1, 3, 4]
    np.testing.assert_allclose(
        out, ca.scaled_dot_product_attention(q, k[keep], v[keep]), atol=1e-12
    )


def test_sdpa_float32_stays_float32(rng):
    q, k, v = (rng.normal(size=(64, 16)) for _ in range(3))
    out32, w32 = ca.scaled_dot_product_attention(
        q.astype(np.float32),
        k.astype(np.float32),
        v.astype(np.float32),
        bias=np.zeros((64, 64)),  # a float64 bias must not promote the result
        return_weights=True,
    )
    assert out32.dtype == np.float32 and w32.dtype == np.float32
    np.testing.assert_allclose(
        out32, ca.scaled_dot_product_attention(q, k, v), rtol=1e-4, atol=1e-5
    )


def test_sdpa_is_soft_retrieval_with_temperature_sqrt_d(rng):
    q, k, v = rng.normal(size=(4, 9)), rng.normal(size=(6, 9)), rng.normal(size=(6, 2))
    np.testing.assert_allclose(
        ca.scaled_dot_product_attention(q, k, v),
        ca.soft_retrieve(q, k, v, temperature=3.0),
        atol=1e-12,
    )


@pytest.mark.parametrize("d", [4, 64, 1024])
def test_scaling_keeps_score_variance_near_one(d):
    # Queries and keys with independent unit-variance entries: each score
    # q.k / sqrt(d) is a sum of d independent unit-variance products divided by
    # sqrt(d), so its variance is exactly 1 for every d; without the division
    # it would be d. The scores are recovered from the weights: log a_ij minus
    # its row mean equals s_ij minus its row mean. 300 x 300 scores estimate the
    # variance with a standard error of about 0.01-0.02 (the products have
    # kurtosis 9 for d = 4), so 0.1 is five standard errors or more: the test
    # fails only if the scale is wrong (d = 4 unscaled would give 4).
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(300, d)), rng.normal(size=(300, d))
    _, w = ca.scaled_dot_product_attention(q, k, np.ones((300, 1)), return_weights=True)
    logs = np.log(w)
    centred = logs - logs.mean(axis=1, keepdims=True)
    assert abs(centred.var() - 1.0) < 0.1
    raw = q @ k.T
    assert abs(raw.var() / d - 1.0) < 0.1  # the unscaled scores grow like d


# --- multi-head attention and the layer ------------------------------------------


@pytest.mark.parametrize("num_heads", [1, 2, 4])
@pytest.mark.parametrize("bias_kind", [None, "shared", "per_head"])
def test_multi_head_matches_loops(rng, num_heads, bias_kind):
    n, c = 6, 3
    x = rng.normal(size=(n, c))
    w_q, w_k = rng.normal(size=(c, 8)), rng.normal(size=(c, 8))
    w_v, w_o = rng.normal(size=(c, 4)), rng.normal(size=(4, 5))
    bias = {
        None: None,
        "shared": rng.normal(size=(n, n)),
        "per_head": rng.normal(size=(num_heads, n, n)),
    }[bias_kind]
    out, w = ca.multi_head_attention(
        x, w_q, w_k, w_v, w_o, num_heads, bias=bias, return_weights=True
    )
    ref_out, ref_w = loop_multi_head(x, w_q, w_k, w_v, w_o, num_heads, bias)
    np.testing.assert_allclose(w, ref_w, atol=1e-12)
    np.testing.assert_allclose(out, ref_out, atol=1e-10)


def test_multi_head_batch_equals_one_image_at_a_time(rng):
    x = rng.normal(size=(3, 5, 2))
    ws = [rng.normal(size=s) for s in [(2, 4), (2, 4), (2, 4), (4, 2)]]
    batch = ca.multi_head_attention(x, *ws, num_heads=2)
    for b in range(3):
        np.testing.assert_allclose(
            batch[b], ca.multi_head_attention(x[b], *ws, num_heads=2), atol=1e-12
        )


def test_one_head_is_sdpa_of_projections(rng):
    x = rng.normal(size=(7, 3))
    layer = ca.SelfAttention(3, d=5, d_v=2, channels_out=4, rng=rng)
    expected = (
        ca.scaled_dot_product_attention(x @ layer.w_q, x @ layer.w_k, x @ layer.w_v)
        @ layer.w_o
    )
    np.testing.assert_allclose(layer(x), expected, atol=1e-12)


def test_layer_on_image_equals_layer_on_tokens():
    image = ca.sample_image("shapes", size=8)
    layer = ca.SelfAttention(3, d=4, num_heads=2, channels_out=2, rng=0)
    out_img = layer(image)
    w_img = layer.last_weights
    out_tok = layer(ca.to_tokens(image))
    assert out_img.shape == (8, 8, 2) and out_tok.shape == (64, 2)
    np.testing.assert_allclose(ca.to_tokens(out_img), out_tok)
    assert w_img.shape == (2, 64, 64)
    np.testing.assert_allclose(w_img.sum(-1), 1.0)


def test_layer_initialisation_is_seeded_and_sized():
    a, b = ca.SelfAttention(4, d=6, rng=3), ca.SelfAttention(4, d=6, rng=3)
    np.testing.assert_array_equal(a.w_q, b.w_q)
    assert a.w_v.shape == (4, 6) and a.w_o.shape == (6, 4)
    c = ca.SelfAttention(4, d=6, d_v=2, channels_out=3, num_heads=2)
    assert c.w_v.shape == (4, 2) and c.w_o.shape == (2, 3)
    assert "num_heads=2" in repr(c)


@given(seed=st.integers(0, 2**16), heads=st.sampled_from([1, 2]))
def test_permutation_equivariance_without_positions(seed, heads):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(10, 3))
    perm = rng.permutation(10)
    layer = ca.SelfAttention(3, d=4, num_heads=heads, rng=rng)
    out = layer(x)
    w = layer.last_weights
    np.testing.assert_allclose(layer(x[perm]), out[perm], atol=1e-12)
    # the weights are permuted on both sides: query rows and key columns
    np.testing.assert_allclose(layer.last_weights, w[:, perm][:, :, perm], atol=1e-12)


@pytest.mark.parametrize("how", ["append", "add", "coordinates", "relative"])
def test_positions_break_permutation_equivariance(how):
    rng = np.random.default_rng(0)
    shape = (4, 4)
    x = rng.normal(size=(16, 4))
    perm = rng.permutation(16)
    channels = 8 if how == "append" else (6 if how == "coordinates" else 4)
    bias = None
    if how == "relative":
        bias = ca.relative_position_bias(shape, lambda dr, dc: -(dr**2 + dc**2))
    layer = ca.SelfAttention(channels, d=4, channels_out=4, bias=bias, rng=1)

    def with_positions(tokens):
        if how == "append":
            return ca.add_positions(tokens, shape, base=10.0)
        if how == "add":
            return ca.add_positions(tokens, shape, mode="add", base=10.0)
        if how == "coordinates":
            return ca.add_positions(tokens, shape, kind="coordinates")
        return tokens

    out = layer(with_positions(x))
    shuffled = layer(with_positions(x[perm]))  # positions stay with the slots
    assert np.abs(shuffled - out[perm]).max() > 1e-2


# --- positions -----------------------------------------------------------------------


def test_sinusoidal_encoding_matches_loop():
    h, w, dims, base = 3, 4, 8, 100.0
    enc = ca.sinusoidal_encoding((h, w), dims, base=base)
    for n in range(h * w):
        r, c = divmod(n, w)
        expected = []
        for p in (r, c):
            for m in range(dims // 4):
                f = base ** (-m / (dims // 4))
                expected += [math.sin(p * f), math.cos(p * f)]
        np.testing.assert_allclose(enc[n], expected, atol=1e-14)


def test_sinusoidal_dot_product_depends_only_on_offset():
    enc = ca.sinusoidal_encoding((6, 6), 8, base=20.0)
    i1, j1 = ca.pixel_index(0, 0, (6, 6)), ca.pixel_index(2, 1, (6, 6))
    i2, j2 = ca.pixel_index(3, 4, (6, 6)), ca.pixel_index(5, 5, (6, 6))
    assert abs(enc[i1] @ enc[j1] - enc[i2] @ enc[j2]) < 1e-12
    # and every encoding has the same length, sqrt(dims / 2)
    np.testing.assert_allclose(np.linalg.norm(enc, axis=1), 2.0)


def test_add_positions_modes():
    x = np.arange(8.0).reshape(4, 2)
    appended = ca.add_positions(x, (2, 2), kind="coordinates", scale=2.0)
    np.testing.assert_array_equal(appended[:, :2], x)
    np.testing.assert_array_equal(appended[:, 2:], 2.0 * ca.pixel_positions((2, 2)))
    x4 = np.ones((4, 4))
    added = ca.add_positions(x4, (2, 2), mode="add")
    np.testing.assert_allclose(added, x4 + ca.sinusoidal_encoding((2, 2), 4))
    assert ca.add_positions(x4, (2, 2), dims=8).shape == (4, 12)


def test_relative_position_bias_matches_loop(rng):
    h, w = 3, 4
    table = rng.normal(size=(2 * h - 1, 2 * w - 1))
    bias = ca.relative_position_bias((h, w), table)
    func = ca.relative_position_bias((h, w), lambda dr, dc: dr * 10.0 + dc)
    for i in range(h * w):
        for j in range(h * w):
            dr = j // w - i // w
            dc = j % w - i % w
            assert bias[i, j] == table[dr + h - 1, dc + w - 1]
            assert func[i, j] == dr * 10.0 + dc


def test_relative_bias_makes_attention_look_right():
    # A large bias for the offset (0, +1): every query pixel reads the pixel on
    # its right (the last column, which has none, spreads its weight).
    shape = (3, 4)
    bias = ca.relative_position_bias(
        shape, lambda dr, dc: 50.0 * ((dr == 0) & (dc == 1))
    )
    x = np.zeros((12, 2))
    _, w = ca.scaled_dot_product_attention(x, x, x, bias=bias, return_weights=True)
    for i in range(12):
        if i % 4 < 3:
            assert w[i, i + 1] > 1 - 1e-12


# --- bad input --------------------------------------------------------------------

Q, K, V = np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 2))
X, W3 = np.ones((5, 3)), np.ones((3, 4))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (
            lambda: ca.scaled_dot_product_attention(Q, np.ones((4, 2)), V),
            ValueError,
            "width",
        ),
        (
            lambda: ca.scaled_dot_product_attention(np.ones(3), K, V),
            ValueError,
            "q must be 2-D",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, np.ones((4, 3, 1)), V),
            ValueError,
            "k must be 2-D",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, K, np.ones(4)),
            ValueError,
            "v must be 2-D",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, K, np.ones((3, 2))),
            ValueError,
            "v must have one row per key",
        ),
        (
            lambda: ca.scaled_dot_product_attention(np.full((2, 3), np.nan), K, V),
            ValueError,
            "q must be finite",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, K, V, bias=np.ones((3, 4))),
            ValueError,
            "bias",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, K, V, bias=np.ones((2, 2, 4))),
            ValueError,
            "bias",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q, K, V, bias=[[np.nan] * 4] * 2),
            ValueError,
            "bias",
        ),
        (
            lambda: ca.scaled_dot_product_attention(
                Q, np.ones((0, 3)), np.ones((0, 2))
            ),
            ValueError,
            "k must hold",
        ),
        (
            lambda: ca.scaled_dot_product_attention(Q.astype(complex), K, V),
            TypeError,
            "q",
        ),
        (
            lambda: ca.multi_head_attention(
                X, np.ones((2, 4)), W3, W3, np.ones((4, 3))
            ),
            ValueError,
            "w_q",
        ),
        (
            lambda: ca.multi_head_attention(
                X, W3, np.ones((3, 5)), W3, np.ones((4, 3))
            ),
            ValueError,
            "w_k",
        ),
        (
            lambda: ca.multi_head_attention(X, W3, W3, W3, np.ones((3, 3))),
            ValueError,
            "w_o",
        ),
        (
            lambda: ca.multi_head_attention(
                X, W3, W3, W3, np.ones((4, 3)), num_heads=3
            ),
            ValueError,
            "num_heads",
        ),
        (
            lambda: ca.multi_head_attention(
                X, W3, W3, W3, np.ones((4, 3)), num_heads=0
            ),
            ValueError,
            "num_heads",
        ),
        (
            lambda: ca.multi_head_attention(
                X, W3, W3, W3, np.ones((4, 3)), bias=np.ones((4, 4))
            ),
            ValueError,
            "bias",
        ),
        (
            lambda: ca.multi_head_attention(np.ones(3), W3, W3, W3, np.ones((4, 3))),
            ValueError,
            "tokens",
        ),
        (
            lambda: ca.multi_head_attention(X, W3, W3, W3, np.full((4, 3), np.nan)),
            ValueError,
            "w_o",
        ),
        (lambda: ca.SelfAttention(3, d=6, num_heads=4), ValueError, "num_heads"),
        (lambda: ca.SelfAttention(3, d=4, d_v=6, num_heads=4), ValueError, "num_heads"),
        (lambda: ca.SelfAttention(0, d=4), ValueError, "channels_in"),
        (lambda: ca.SelfAttention(3, d=2.5), TypeError, "d"),
        (lambda: ca.SelfAttention(3, d=4, rng="seed"), TypeError, "rng"),
        (lambda: ca.SelfAttention(3, d=4)(np.ones((2, 4))), ValueError, "w_q"),
        (lambda: ca.SelfAttention(3, d=4)(np.ones(3)), ValueError, "x"),
        (lambda: ca.SelfAttention(3, d=4)(np.full((2, 3), np.nan)), ValueError, "x"),
        (lambda: ca.sinusoidal_encoding((2, 2), 6), ValueError, "dims"),
        (lambda: ca.sinusoidal_encoding((2, 0), 4), ValueError, "shape"),
        (lambda: ca.sinusoidal_encoding((2, 2), 4, base=0), ValueError, "base"),
        (lambda: ca.add_positions(np.ones((5, 2)), (2, 2)), ValueError, "tokens"),
        (
            lambda: ca.add_positions(np.ones((4, 2)), (2, 2), mode="mix"),
            ValueError,
            "mode",
        ),
        (
            lambda: ca.add_positions(np.ones((4, 2)), (2, 2), kind="polar"),
            ValueError,
            "kind",
        ),
        (
            lambda: ca.add_positions(np.ones((4, 3)), (2, 2), mode="add"),
            ValueError,
            "mode",
        ),
        (
            lambda: ca.add_positions(np.ones((4, 4)), (2, 2), mode="add", dims=8),
            ValueError,
            "mode",
        ),
        (
            lambda: ca.add_positions(np.ones((4, 2)), (2, 2), scale=-1.0),
            ValueError,
            "scale",
        ),
        (
            lambda: ca.relative_position_bias((2, 2), np.ones((3, 2))),
            ValueError,
            "table",
        ),
        (
            lambda: ca.relative_position_bias((2, 2), lambda dr, dc: np.ones(3)),
            ValueError,
            "table",
        ),
        (
            lambda: ca.relative_position_bias(
                (2, 2), lambda dr, dc: np.full(dr.shape, np.nan)
            ),
            ValueError,
            "table",
        ),
        (lambda: ca.relative_position_bias((2,), np.ones((3, 3))), ValueError, "shape"),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_scores_that_overflow_are_rejected_not_nan():
    q = np.full((2, 4), 1e200)
    with pytest.raises(ValueError, match="q and k"):
        ca.scaled_dot_product_attention(q, q, np.ones((2, 1)))


@pytest.mark.parametrize(
    "bias_shape", [None, (2100, 300), (300,), (1, 300), (2100, 1), ()]
)
def test_row_blocks_give_the_same_output_as_the_full_weights(bias_shape):
    # More queries than one row block (1024), so the blocked path is used;
    # the weights path builds the whole matrix at once.
    rng = np.random.default_rng(3)
    q, k, v = (
        rng.normal(size=(2100, 4)),
        rng.normal(size=(300, 4)),
        rng.normal(size=(300, 2)),
    )
    bias = None if bias_shape is None else rng.normal(size=bias_shape)
    blocked = ca.scaled_dot_product_attention(q, k, v, bias=bias)
    full, weights = ca.scaled_dot_product_attention(
        q, k, v, bias=bias, return_weights=True
    )
    np.testing.assert_allclose(blocked, full, rtol=1e-12, atol=1e-12)
    scores = q @ k.T / 2.0 + (0.0 if bias is None else bias)
    expected = np.exp(scores - scores.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(weights, expected, rtol=1e-10)


def test_attention_map_is_a_row_of_the_layer_weights():
    img = ca.sample_image("shapes", 6)
    layer = ca.SelfAttention(3, 4, num_heads=2, rng=0)
    layer(img)
    maps = ca.attention_map(layer.last_weights, (2, 3), img.shape)
    assert maps.shape == (2, 6, 6)
    for h in range(2):
        for r in range(6):
            for c in range(6):
                assert maps[h, r, c] == layer.last_weights[h, 2 * 6 + 3, r * 6 + c]
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0)
    one = ca.attention_map(layer.last_weights[1], (5, 0), (6, 6))
    np.testing.assert_array_equal(one, layer.last_weights[1, 30].reshape(6, 6))
