import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import loop_attention

import convattn as ca

coord = st.floats(-3, 3).map(lambda x: round(x, 6))


@st.composite
def problems(draw, n_max=9, d_max=4):
    n_q = draw(st.integers(1, n_max))
    n_k = draw(st.integers(1, n_max))
    d = draw(st.integers(1, d_max))
    d_v = draw(st.integers(1, 3))
    scale = draw(st.sampled_from([1.0, 30.0]))  # 30: scores up to ~1e4
    q = draw(hnp.arrays(np.float64, (n_q, d), elements=coord)) * scale
    k = draw(hnp.arrays(np.float64, (n_k, d), elements=coord)) * scale
    v = draw(hnp.arrays(np.float64, (n_k, d_v), elements=coord))
    block = draw(st.integers(1, n_max + 2))
    return q, k, v, block


@given(problems())
def test_blockwise_equals_full_attention_for_every_block_size(problem):
    q, k, v, block = problem
    got = ca.blockwise_attention(q, k, v, block_size=block)
    np.testing.assert_allclose(got, loop_attention(q, k, v)[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        got, ca.scaled_dot_product_attention(q, k, v), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("block", [1, 7, 64, 100, 1000])
def test_blockwise_float32_stays_float32(block, rng):
    q, k, v = (rng.normal(size=(100, 8)).astype(np.float32) for _ in range(3))
    got = ca.blockwise_attention(q, k, v, block_size=block)
    assert got.dtype == np.float32
    want = ca.scaled_dot_product_attention(
        q.astype(np.float64), k.astype(np.float64), v.astype(np.float64)
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_blockwise_mixed_dtypes_promote_to_float64(rng):
    q = rng.normal(size=(4, 3)).astype(np.float32)
    k, v = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert ca.blockwise_attention(q, k, v, block_size=2).dtype == np.float64


def test_blockwise_hand_values():
    # d = 1, scale 1: scores for the single query are 0, log 2, log 3.
    q = np.array([[1.0]])
    k = np.array([[0.0], [math.log(2)], [math.log(3)]])
    v = np.array([[6.0], [12.0], [18.0]])
    # weights 1/6, 2/6, 3/6 -> 1 + 4 + 9 = 14
    for block in (1, 2, 3):
        np.testing.assert_allclose(ca.blockwise_attention(q, k, v, block), [[14.0]])


def test_blockwise_huge_scores_stay_finite():
    # A later block with a far larger maximum must rescale, not overflow.
    q = np.array([[1.0]])
    k = np.array([[-1e5], [0.0], [1e5], [1e5 - 1.0]])
    v = np.array([[1.0], [2.0], [3.0], [4.0]])
    got = ca.blockwise_attention(q, k, v, block_size=1)
    w = np.exp(np.array([0.0, -1.0]))
    np.testing.assert_allclose(got, [[(3 * w[0] + 4 * w[1]) / w.sum()]])


def test_online_softmax_steps_end_at_the_softmax():
    s = np.array([0.5, -2.0, 3.0, 1.0, 3.0, -1.0, 0.0])
    for block in range(1, 9):
        steps = ca.online_softmax_steps(s, block)
        assert steps[-1]["seen"] == len(s)
        np.testing.assert_allclose(steps[-1]["weights"], ca.softmax(s), rtol=1e-14)
        np.testing.assert_allclose(steps[-1]["l"], np.exp(s - 3.0).sum())
        # the running maximum never decreases
        ms = [st_["m"] for st_ in steps]
        assert ms == sorted(ms)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"q": np.ones(3)}, ValueError, "q"),
        ({"k": np.ones((4, 2))}, ValueError, "q and k"),
        ({"v": np.ones((5, 2))}, ValueError, "v"),
        ({"q": np.full((2, 3), np.nan)}, ValueError, "q"),
        ({"k": np.array([["a", "b", "c"]] * 4)}, TypeError, "k"),
        ({"q": np.ones((2, 0)), "k": np.ones((4, 0))}, ValueError, "q"),
        ({"k": np.ones((0, 3)), "v": np.ones((0, 2))}, ValueError, "k"),
        ({"block_size": 0}, ValueError, "block_size"),
        ({"block_size": 2.5}, TypeError, "block_size"),
    ],
)
def test_blockwise_rejects_bad_input(kwargs, error, name):
    args = {"q": np.ones((2, 3)), "k": np.ones((4, 3)), "v": np.ones((4, 2))}
    args.update(kwargs)
    with pytest.raises(error, match=f"^{name}"):
        ca.blockwise_attention(**args)


@pytest.mark.parametrize(
    ("scores", "block", "error", "name"),
    [
        (np.ones((2, 2)), 1, ValueError, "scores"),
        (np.array([]), 1, ValueError, "scores"),
        (np.ones(3), 0, ValueError, "block_size"),
    ],
)
def test_online_softmax_steps_rejects_bad_input(scores, block, error, name):
    with pytest.raises(error, match=f"^{name}"):
        ca.online_softmax_steps(scores, block)


def test_extra_memory_is_a_tile_and_the_output_not_n_squared():
    # Memory, not time: numpy's allocations are traced exactly, so this does
    # not depend on the machine. N = 4096 keys in float64: the N x N weights
    # would take 128 MiB; blockwise attention needs one B x B tile plus the
    # output and small per-block buffers.
    import tracemalloc

    rng = np.random.default_rng(0)
    n, d, block = 4096, 16, 256
    q, k, v = (rng.normal(size=(n, d)) for _ in range(3))
    tracemalloc.start()
    ca.blockwise_attention(q, k, v, block_size=block)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tile, output = block * block * 8, n * d * 8
    assert peak < 3 * tile + 2 * output, peak
    assert peak < n * n * 8 / 20


# --- gradients -------------------------------------------------------------------


def reference_attention_grads(q, k, v, grad_output):
    """Gradients of sum(grad_output * softmax(q k^T / sqrt(d)) v), by hand.

    Row by row: p_i = softmax(s_i) with s_i = q_i k^T / sqrt(d) and
    o_i = p_i v. Then dv = sum_i p_i^T g_i, dp_i = g_i v^T, and the softmax
    Jacobian J_i = diag(p_i) - p_i p_i^T gives ds_i = J_i dp_i; finally
    dq_i = ds_i k / sqrt(d) and dk += ds_i^T q_i / sqrt(d).
    """
    d = q.shape[1]
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    for i in range(len(q)):
        s = k @ q[i] / math.sqrt(d)
        p = np.exp(s - s.max())
        p /= p.sum()
        g = grad_output[i]
        dv += np.outer(p, g)
        dp = v @ g
        jacobian = np.diag(p) - np.outer(p, p)
        ds = jacobian @ dp
        dq[i] = ds @ k / math.sqrt(d)
        dk += np.outer(ds, q[i]) / math.sqrt(d)
    return dq, dk, dv


def plain_loss(q, k, v, grad_output):
    s = q @ k.T / math.sqrt(q.shape[1])
    w = np.exp(s - s.max(axis=1, keepdims=True))
    return float(np.sum(grad_output * ((w / w.sum(axis=1, keepdims=True)) @ v)))


@given(problems(), st.data())
def test_gradients_match_the_full_formula_for_every_block_size(problem, data):
    q, k, v, block = problem
    g = data.draw(hnp.arrays(np.float64, (len(q), v.shape[1]), elements=coord))
    got = ca.blockwise_attention_grad(q, k, v, g, block_size=block)
    want = reference_attention_grads(q, k, v, g)
    for name, a, b in zip(("dq", "dk", "dv"), got, want, strict=True):
        assert a.shape == b.shape and a.dtype == np.float64, name
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9 * (1 + abs(b).max()))


@pytest.mark.parametrize("block", [1, 3, 4, 7, 64])
def test_gradients_pass_a_central_difference_check(block):
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(6, 4)), rng.normal(size=(7, 4)), rng.normal(size=(7, 3))
    g = rng.normal(size=(6, 3))
    grads = ca.blockwise_attention_grad(q, k, v, g, block_size=block)
    eps = 1e-6
    args = [q, k, v]
    for which, analytic in enumerate(grads):
        numeric = np.zeros_like(analytic)
        for idx in np.ndindex(analytic.shape):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[which][idx] += eps
            minus[which][idx] -= eps
            numeric[idx] = (plain_loss(*plus, g) - plain_loss(*minus, g)) / (2 * eps)
        error = np.linalg.norm(numeric - analytic) / np.linalg.norm(numeric)
        assert error < 1e-6, (which, error)


def test_gradient_of_v_is_weights_transposed_times_grad_output(rng):
    q, k, v = rng.normal(size=(5, 3)), rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    g = rng.normal(size=(5, 2))
    _, weights = ca.scaled_dot_product_attention(q, k, v, return_weights=True)
    dv = ca.blockwise_attention_grad(q, k, v, g, block_size=3)[2]
    np.testing.assert_allclose(dv, weights.T @ g, atol=1e-13)


def test_gradients_keep_float32(rng):
    q, k, v = (rng.normal(size=(40, 8)).astype(np.float32) for _ in range(3))
    g = rng.normal(size=(40, 8)).astype(np.float32)
    got = ca.blockwise_attention_grad(q, k, v, g, block_size=16)
    want = reference_attention_grads(*(a.astype(np.float64) for a in (q, k, v, g)))
    for a, b in zip(got, want, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    mixed = ca.blockwise_attention_grad(q, k, v.astype(np.float64), g)
    assert all(a.dtype == np.float64 for a in mixed)


def test_blockwise_attention_grad_is_exported():
    assert "blockwise_attention_grad" in ca.__all__
    assert ca.blockwise_attention_grad is ca.blockwise.blockwise_attention_grad


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"grad_output": np.ones((3, 2))}, ValueError, "grad_output"),
        ({"grad_output": np.ones((2, 3))}, ValueError, "grad_output"),
        ({"grad_output": np.ones(4)}, ValueError, "grad_output"),
        ({"grad_output": np.full((2, 2), np.nan)}, ValueError, "grad_output"),
        ({"grad_output": [["a", "b"]] * 2}, TypeError, "grad_output"),
        ({"q": np.ones((2, 4))}, ValueError, "q"),
        ({"v": np.ones((3, 2))}, ValueError, "v"),
        ({"k": np.full((4, 3), np.inf)}, ValueError, "k"),
        ({"block_size": 0}, ValueError, "block_size"),
        ({"block_size": 1.0}, TypeError, "block_size"),
    ],
)
def test_blockwise_attention_grad_rejects_bad_input(kwargs, error, name):
    args = {
        "q": np.ones((2, 3)),
        "k": np.ones((4, 3)),
        "v": np.ones((4, 2)),
        "grad_output": np.ones((2, 2)),
    }
    args.update(kwargs)
    with pytest.raises(error, match=f"^{name}"):
        ca.blockwise_attention_grad(**args)


def test_gradient_memory_is_tiles_and_the_outputs_not_n_squared():
    # As for the forward pass: numpy's allocations are traced exactly. The
    # N x N weights would take 32 MiB; the backward pass holds two B x B
    # tiles, the forward output and the three gradients (and small buffers).
    import tracemalloc

    rng = np.random.default_rng(0)
    n, d, block = 2048, 8, 128
    q, k, v, g = (rng.normal(size=(n, d)) for _ in range(4))
    tracemalloc.start()
    ca.blockwise_attention_grad(q, k, v, g, block_size=block)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tile, array = block * block * 8, n * d * 8
    assert peak < 3 * tile + 6 * array, peak
    assert peak < n * n * 8 / 20
