"""The shared checks: one policy per kind of argument."""

import numpy as np
import pytest

from convattn import _validate as v


@pytest.mark.parametrize("seed", [0, 7, np.int64(3), np.uint8(2)])
def test_a_seed_gives_the_generator_numpy_would(seed):
    got = v.check_rng(seed).random(3)
    np.testing.assert_array_equal(got, np.random.default_rng(int(seed)).random(3))


def test_a_generator_is_passed_through():
    gen = np.random.default_rng(1)
    assert v.check_rng(gen) is gen


@pytest.mark.parametrize(
    "rng, exc",
    [
        (-1, ValueError),
        (True, TypeError),
        (1.0, TypeError),
        ("0", TypeError),
        (np.random.RandomState(0), TypeError),
        (None, TypeError),
    ],
)
def test_anything_else_is_refused_naming_rng(rng, exc):
    with pytest.raises(exc, match=r"^rng"):
        v.check_rng(rng)


@pytest.mark.parametrize("query", [(1.5, 0), (0, 1.0), (True, 0), "ab", (1,), 3])
def test_a_query_pixel_must_be_two_integers(query):
    with pytest.raises(TypeError, match=r"^query"):
        v.check_pixel(query, (4, 4))


@pytest.mark.parametrize("query", [(4, 0), (0, -1)])
def test_a_query_pixel_must_lie_inside(query):
    with pytest.raises(ValueError, match=r"^query"):
        v.check_pixel(query, (4, 4))


def test_numpy_integers_are_query_pixels():
    assert v.check_pixel((np.int64(3), np.int32(1)), (4, 4)) == (3, 1)
    assert v.check_pixel(np.array([2, 0]), (4, 4)) == (2, 0)


@pytest.mark.parametrize("flag", ["no", 0, 1, None, np.array([True])])
def test_flags_are_bools_only(flag):
    with pytest.raises(TypeError, match=r"^f must be True or False"):
        v.check_flag(flag, "f")


def test_numpy_bools_are_flags():
    assert v.check_flag(np.True_, "f") is True


@pytest.mark.parametrize("value", [np.float32(0.5), np.int64(0), 0.25, 1])
def test_real_numbers_include_numpy_scalars(value):
    assert v.as_real(value, "x", 0.0, 1.0) == float(value)


@pytest.mark.parametrize(
    "kwargs, value", [({"high_open": True}, 1.0), ({"low_open": True}, 0.0)]
)
def test_open_ends_are_left_out(kwargs, value):
    with pytest.raises(ValueError, match=r"^x must be a finite number in"):
        v.as_real(value, "x", 0.0, 1.0, **kwargs)


def test_heads_must_divide_every_width():
    assert v.check_heads(2, d=4, d_v=6) == 2
    with pytest.raises(ValueError, match="num_heads must divide the width d_v = 6"):
        v.check_heads(4, d=4, d_v=6)


def test_memory_estimate_names_the_alternative():
    with pytest.raises(ValueError, match=r"GiB of memory.*use blockwise_attention"):
        v.check_memory(v.MEMORY_LIMIT + 1, "the weights", "use blockwise_attention")
    v.check_memory(v.MEMORY_LIMIT, "the weights", "unused")


def test_the_overflow_rule_says_what_to_do():
    v.check_scores(np.array([1.0, -3.0]), np.float64)
    with pytest.raises(ValueError, match="divide q and k by a constant") as info:
        v.check_scores(np.array([1.0, np.inf, np.nan]), np.float32, bias=True)
    assert "2 query rows, the first is row 1" in str(info.value)
    assert "unmasked" in str(info.value)
