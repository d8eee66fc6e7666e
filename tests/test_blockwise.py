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
