"""The stopwatch: call counts, the statistics against numpy's, the printed figure."""

import dataclasses

import numpy as np
import pytest

import convattn as ca


def test_warmup_calls_are_not_timed_and_arguments_pass_through():
    calls = []
    timing = ca.measure_time(
        lambda a, b=0: calls.append((a, b)), 1, b=2, repeat=4, warmup=3
    )
    assert calls == [(1, 2)] * 7
    assert len(timing.times) == 4


def test_statistics_are_the_median_min_and_max_of_the_runs():
    timing = ca.measure_time(sum, range(10_000), repeat=9, warmup=0)
    times = np.array(timing.times)
    assert timing.median == np.median(times)
    assert (timing.low, timing.high) == (times.min(), times.max())
    assert 0 < timing.low <= timing.median <= timing.high


def test_timing_is_frozen():
    timing = ca.Timing(median=1.0, low=0.5, high=2.0, times=(1.0,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        timing.median = 3.0


@pytest.mark.parametrize(
    "median, text",
    [(2.345, "2.3 s"), (0.0123, "12 ms"), (0.00012, "120 µs"), (3e-7, "0.3 µs")],
)
def test_printed_figure_is_rounded_to_two_digits(median, text):
    timing = ca.Timing(median=median, low=median, high=median, times=(median,) * 3)
    assert str(timing) == f"{text} (median of 3; {text} to {text})"
