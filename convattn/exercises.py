"""Self-checks for the exercises: ``check(label, answer)``.

Each exercise whose answer is a value, an array or a function has a check.
The check computes the reference answer with the numerical core, compares
the student's answer with it and with the answers that common mistakes
produce, and prints feedback: "correct" and why it matters, a hint aimed at
the mistake it recognises, or what shape or type it expected. It never prints
the reference answer.

This module imports numpy and the numerical core only (no matplotlib).

Examples
--------
>>> from convattn.exercises import check
>>> check("ex-06-depth", 4)
Correct. A stack of L layers of K × K kernels reaches L(K-1)/2 pixels to each side, so the distance a task needs sets the depth.
True
>>> check("ex-06-depth", 3)
Not yet. Three layers reach only (R - 1) / 2 = 6 columns: the stack must reach 7.
False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from . import (
    attention,
    blockwise,
    bridge,
    compare,
    conv,
    images,
    models,
    retrieval,
    tasks,
)

__all__ = ["check", "labels"]


@dataclass(frozen=True)
class _Exercise:
    expects: str  # what the answer is, said to the student on a mismatch
    reference: Callable[[], Any]  # the right answer (value exercises)
    why: str  # one sentence: why it matters
    mistakes: tuple = ()  # (mistaken answer as a function, hint)
    cases: Callable[[], list] | None = None  # inputs, for function answers
    rtol: float = 1e-6
    atol: float = 1e-9
    integer: bool = False
    shape: tuple | None = field(default=None)
    text: bool = False  # a text answer, compared as stripped lower-case text
    adapt: Callable | None = None  # turns an answer into a function of the cases


_REGISTRY: dict[str, _Exercise] = {}


def _exercise(label: str, **kwargs) -> None:
    _REGISTRY[label] = _Exercise(**kwargs)


def labels() -> list[str]:
    """The labels of every exercise that has a self-check, in book order.

    Examples
    --------
    >>> labels()[:2]
    ['ex-01-black', 'ex-01-twins']
    """
    return list(_REGISTRY)


def check(label: str, answer: Any) -> bool:
    """Check an answer to the exercise ``label``; print feedback.

    Parameters
    ----------
    label : str
        The exercise's label as printed in the book, such as
        ``"ex-03-gradient"`` (see :func:`labels`).
    answer : object
        The value, array or function the exercise asks for.

    Returns
    -------
    bool
        True if the answer is right. The printed feedback says why it
        matters, or gives a hint aimed at the mistake it recognises; it never
        shows the reference answer.

    Raises
    ------
    ValueError
        If ``label`` is not the label of an exercise with a self-check.

    Examples
    --------
    >>> check("ex-07-five", 25)
    Correct. One head per kernel offset: a K × K kernel needs K² heads, so exact convolution by attention gets expensive fast.
    True
    """
    if not isinstance(label, str) or label not in _REGISTRY:
        raise ValueError(
            f"label must be the label of an exercise with a self-check, such as "
            f"'ex-03-gradient' (see convattn.exercises.labels()); got {label!r}"
        )
    ex = _REGISTRY[label]
    got = _evaluate(ex, answer)
    if got is None:
        return False
    want = _reference(label)
    if _close(ex, got, want):
        print(f"Correct. {ex.why}")
        return True
    for mistake, hint in ex.mistakes:
        if _close(ex, got, _mistaken(label, mistake)):
            print(f"Not yet. {hint}")
            return False
    print(
        "Not yet, and not one of the usual mistakes either. Recompute it step by "
        "step, and compare each step with the chapter's worked example."
    )
    return False


# -- evaluation -------------------------------------------------------------


def _evaluate(ex: _Exercise, answer: Any):
    """The student's answer as a list of float arrays, or None after a message."""
    if ex.cases is not None:
        if not callable(answer):
            print(f"Expected {ex.expects}; got a {type(answer).__name__}.")
            return None
        run = ex.adapt(answer) if ex.adapt is not None else answer
        out = []
        for args in ex.cases():
            try:
                value = run(*args)
            except Exception as err:  # the student's code: report, do not crash
                print(
                    f"Your function raised {type(err).__name__}: {err}. "
                    f"Expected {ex.expects}."
                )
                return None
            out.append(_as_array(ex, value))
            if out[-1] is None:
                return None
        return out
    if callable(answer):
        print(f"Expected {ex.expects}; got a function.")
        return None
    value = _as_array(ex, answer)
    return None if value is None else [value]


def _as_array(ex: _Exercise, value: Any):
    if isinstance(value, str) != ex.text:
        kind = "text" if ex.text else "a number or array"
        print(f"Expected {ex.expects}; got {type(value).__name__} instead of {kind}.")
        return None
    if isinstance(value, str):
        return value.strip().lower()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        print(f"Expected {ex.expects}; got a {type(value).__name__}.")
        return None
    if ex.shape is not None and arr.shape != ex.shape:
        print(f"Expected {ex.expects}, shape {ex.shape}; got shape {arr.shape}.")
        return None
    if not np.all(np.isfinite(arr)):
        print(f"Expected {ex.expects}; your answer contains NaN or infinity.")
        return None
    return arr


def _close(ex: _Exercise, got: list, want: list) -> bool:
    for g, w in zip(got, want, strict=True):
        if isinstance(w, str) or isinstance(g, str):
            if g != w:
                return False
            continue
        w = np.asarray(w, dtype=float)
        if g.shape != w.shape:
            return False
        if ex.integer:
            if not np.array_equal(np.round(g), w) or not np.allclose(g, w):
                return False
        elif not np.allclose(g, w, rtol=ex.rtol, atol=ex.atol):
            return False
    return True


@cache
def _reference(label: str) -> list:
    ex = _REGISTRY[label]
    if ex.cases is None:
        return [_plain(ex.reference())]
    return [_plain(ex.reference(*args)) for args in ex.cases()]


_MISTAKE_CACHE: dict[tuple[str, int], list] = {}


def _mistaken(label: str, mistake: Callable) -> list:
    key = (label, id(mistake))
    if key not in _MISTAKE_CACHE:
        ex = _REGISTRY[label]
        if ex.cases is None:
            _MISTAKE_CACHE[key] = [_plain(mistake())]
        else:
            run = ex.adapt(mistake) if ex.adapt is not None else mistake
            _MISTAKE_CACHE[key] = [_plain(run(*args)) for args in ex.cases()]
    return _MISTAKE_CACHE[key]


def _plain(value):
    return value if isinstance(value, str) else np.asarray(value, dtype=float)


def _rng_cases(make, seeds=(0, 1, 2)):
    return lambda: [make(np.random.default_rng(s)) for s in seeds]


# -- chapter 1 ----------------------------------------------------------------


@cache
def _hopper(size: int) -> np.ndarray:
    return images.sample_image("hopper", size)


def _rc(index: int, width: int) -> tuple[int, int]:
    return tuple(int(x) for x in divmod(int(index), width))


def _black_pick(sign: float):
    tokens = images.to_tokens(_hopper(64))
    s = sign * retrieval.similarity(np.zeros((1, 3)), tokens, "neg_sqdist")[0]
    return _rc(np.argmax(s), 64)


_exercise(
    "ex-01-black",
    expects="a tuple (row, col) of two ints: the key pixel that negative squared "
    "distance prefers for the black query on the 64 × 64 photo",
    reference=lambda: _black_pick(1.0),
    why="Only the negative squared distance can prefer anything for a query of "
    "length zero: the similarity you pick decides what a query can find at all.",
    shape=(2,),
    integer=True,
    mistakes=(
        (
            lambda: (0, 0),
            "(0, 0) is where argmax lands on a flat map: the dot product and cosine "
            "are 0 for every key pixel. Use the negative squared distance.",
        ),
        (
            lambda: _black_pick(-1.0),
            "Check the sign: that is the key pixel farthest from black, the "
            "brightest one. The score is minus the squared distance.",
        ),
        (
            lambda: _black_pick(1.0)[::-1],
            "Row and column are swapped: token n is the pixel (n // W, n % W).",
        ),
    ),
)


def _twin_scores(transform=lambda s: s):
    twins = images.sample_image("twins", 64)
    tokens = images.to_tokens(twins)
    i = images.pixel_index(12, 12, twins.shape)
    s = retrieval.similarity(tokens[i : i + 1], tokens, "neg_sqdist")[0]
    picks = [images.pixel_index(r, c, twins.shape) for r, c in ((12, 12), (51, 51))]
    picks.append(images.pixel_index(12, 20, twins.shape))
    return transform(s[picks])


_exercise(
    "ex-01-twins",
    expects="an array of 3 floats: the negative squared distance scores of the "
    "query pixel (12, 12) with itself, the far twin (51, 51) and the gray key "
    "pixel (12, 20), in that order",
    reference=_twin_scores,
    why="A similarity looks only at colour, never at position: the far twin "
    "scores as high as the query pixel itself, which no small convolution can see.",
    shape=(3,),
    mistakes=(
        (
            lambda: _twin_scores(lambda s: -s),
            "Check the sign: the score is minus the squared distance, so it is "
            "never positive.",
        ),
        (
            lambda: _twin_scores(lambda s: -np.sqrt(-s)),
            "That is minus the distance: the score uses the squared distance.",
        ),
        (
            lambda: _twin_scores(lambda s: s[[0, 2, 1]]),
            "The order is itself, far twin, gray nearby.",
        ),
    ),
)


def _sqdist_cases():
    def make(rng):
        keys = rng.random((7, 3))
        return keys, rng.random(3)

    return _rng_cases(make)()


_exercise(
    "ex-01-sqdist",
    expects="a function scores(keys, query) taking keys (N, C) and one query (C,) "
    "and returning the N negative squared distances, shape (N,)",
    reference=lambda keys, q: retrieval.similarity(q[None], keys, "neg_sqdist")[0],
    cases=_sqdist_cases,
    why="Negative squared distance costs one matrix product, like the dot "
    "product, and its -|x_j|² term shows why it does not favour bright keys.",
    mistakes=(
        (
            lambda keys, q: 2 * keys @ q - q @ q + (keys**2).sum(axis=1),
            "Check the sign of the |x_j|² term: -|x_i - x_j|² = 2 x_i.x_j - "
            "|x_i|² - |x_j|².",
        ),
        (
            lambda keys, q: keys @ q - q @ q - (keys**2).sum(axis=1),
            "The cross term comes twice in the expansion: it is 2 x_i.x_j.",
        ),
        (
            lambda keys, q: 2 * keys @ q - (keys**2).sum(axis=1),
            "Your scores are off by the same constant for every key: the query's "
            "own length, -|x_i|², is missing. The ranking is right, the values not.",
        ),
        (
            lambda keys, q: 2 * keys @ q - q @ q,
            "The key pixels' lengths, -|x_j|², are missing: without them this is "
            "a shifted dot product, which favours bright keys.",
        ),
        (
            lambda keys, q: ((keys - q) ** 2).sum(axis=1),
            "That is the squared distance itself: the score is its negative.",
        ),
    ),
)


# -- chapter 2 ----------------------------------------------------------------


def _n_colours(table) -> int:
    return len(np.unique(np.reshape(table, (-1, 3)).round(9), axis=0))


@cache
def _shape_counts() -> tuple[int, int, int]:
    tokens = images.to_tokens(images.sample_image("shapes", 64))
    n = len(tokens)
    counts = []
    for k in (1, 1024, n):
        out = retrieval.hard_retrieve(tokens, tokens, tokens, k=k, kind="neg_sqdist")
        counts.append(_n_colours(out))
    return tuple(counts)


_exercise(
    "ex-02-predict",
    expects="a tuple of 3 ints: the number of distinct colours of the top-k output "
    "of the shapes scene for k = 1, k = 1024 and k = N",
    reference=_shape_counts,
    why="Pixels of one colour have the same scores and hence the same top-k set: "
    "hard retrieval maps each colour to one colour, whatever k.",
    shape=(3,),
    integer=True,
    mistakes=(
        (
            lambda: (_shape_counts()[0], _shape_counts()[1] + 4, _shape_counts()[2]),
            "For k = 1024, every pixel of one colour has the same top-1024 set, "
            "so one colour in means one colour out: old and new colours do not add up.",
        ),
        (
            lambda: (_shape_counts()[0], _shape_counts()[1] - 1, _shape_counts()[2]),
            "For k = 1024, count every colour of the output, the background's too: "
            "it keeps its own colour.",
        ),
        (
            lambda: (_shape_counts()[0], _shape_counts()[1], 5),
            "For k = N every pixel averages all N key pixels: the same set for "
            "every query pixel.",
        ),
    ),
)


@cache
def _dot_counts() -> tuple[int, int, int]:
    small = images.to_tokens(_hopper(32))
    top1 = retrieval.hard_retrieve(small, small, small, k=1, kind="dot")
    flat = len(np.unique(top1.round(9)))  # np.unique without axis=0: numbers
    return _n_colours(top1), _n_colours(small), flat


_exercise(
    "ex-02-dot",
    expects="an int: the number of distinct colours of the dot-product top-1 "
    "output of the 32 × 32 photo",
    reference=lambda: _dot_counts()[0],
    why="The dot product rewards length as well as direction: one bright key "
    "pixel wins every query, so top-1 by dot product is not a lookup.",
    integer=True,
    shape=(),
    mistakes=(
        (
            lambda: _dot_counts()[1],
            "That is the photo's own number of colours, as for the negative squared "
            "distance. With the dot product, is a query pixel its own best key?",
        ),
        (
            lambda: _dot_counts()[2],
            "That counts distinct numbers, not colours: np.unique without axis=0 "
            "flattens the table. Count rows (n_colours).",
        ),
    ),
)


@cache
def _order_counts(reverse: bool = True, k: int = 129, map_back: bool = True):
    twins = images.sample_image("twins", 64)
    tokens = images.to_tokens(twins)
    positions = images.pixel_positions(twins.shape)
    orange = np.all(tokens == twins[11, 11], axis=1)
    upper = orange & (positions[:, 0] < 32)
    lower = orange & (positions[:, 0] >= 32)
    query = images.pixel_index(51, 51, twins.shape)
    keys = tokens[::-1] if reverse else tokens
    scores = retrieval.similarity(tokens[[query]], keys, kind="neg_sqdist")
    chosen = retrieval.top_k_indices(scores, k=k)[0]
    selected = np.zeros(len(tokens))
    if reverse and map_back:
        chosen = len(tokens) - 1 - chosen
    selected[chosen] = 1.0
    return int(selected[upper].sum()), int(selected[lower].sum())


_exercise(
    "ex-02-order",
    expects="a tuple of 2 ints: how many of the 129 selected key pixels lie in "
    "the upper-left disk and how many in the lower-right disk, with the pixel "
    "records reversed",
    reference=_order_counts,
    why="With ties, the top-k set depends on the order in which the key pixels "
    "are stored, not only on their contents.",
    shape=(2,),
    integer=True,
    mistakes=(
        (
            lambda: _order_counts(reverse=False),
            "Those are the counts before reversing. Did you score the reversed "
            "table, twin_tokens[::-1]?",
        ),
        (
            lambda: _order_counts(k=128),
            "Off by one: the exercise selects the top 129.",
        ),
        (
            lambda: _order_counts(k=130),
            "Off by one: the exercise selects the top 129.",
        ),
    ),
)


@cache
def _jumps(count_outputs: bool = False) -> tuple[int, int]:
    photo = _hopper(64)
    tokens = images.to_tokens(photo)
    q0 = photo[24, 32]
    u = np.ones(3) / np.sqrt(3)
    t = np.linspace(-0.1, 0.1, 1001)
    queries = q0 + t[:, None] * u
    scores = retrieval.similarity(queries, tokens, kind="neg_sqdist")
    out = []
    for k in (1, 16):
        if count_outputs:
            y = retrieval.hard_retrieve(queries, tokens, tokens, k=k, kind="neg_sqdist")
            out.append(int(np.any(y[1:] != y[:-1], axis=1).sum()))
        else:
            sets = np.sort(retrieval.top_k_indices(scores, k), axis=1)
            out.append(int(np.any(sets[1:] != sets[:-1], axis=1).sum()))
    return tuple(out)


_exercise(
    "ex-02-jumps",
    expects="a tuple of 2 ints: the number of steps of the grid t where the top-k "
    "set changes, for k = 1 and for k = 16",
    reference=_jumps,
    why="More keys make more, smaller jumps, but the output stays piecewise "
    "constant: its gradient is still zero almost everywhere.",
    shape=(2,),
    integer=True,
    mistakes=(
        (
            lambda: _jumps(count_outputs=True),
            "Those look like changes of the output. Count changes of the sorted "
            "top-k *set*: a mean can change in its last bit without a new set.",
        ),
        (
            lambda: _jumps()[::-1],
            "The order is k = 1 first, then k = 16.",
        ),
        (
            lambda: (_jumps()[0] + 1, _jumps()[1] + 1),
            "Off by one: count the steps between grid points where the set "
            "changes, not the pieces.",
        ),
    ),
)


# -- chapter 3 ----------------------------------------------------------------


def _scale_cases():
    def make(rng):
        return (rng.normal(size=20),)

    return _rng_cases(make)()


_exercise(
    "ex-03-scale",
    expects="a float: the temperature T at which softmax(s, T) equals "
    "softmax(10 * s, 0.1) for every score vector s",
    reference=lambda: _scale_temperature(),
    why="Only s/T enters the softmax: scaling the scores and cooling the "
    "temperature are one and the same knob.",
    shape=(),
    rtol=1e-9,
    mistakes=(
        (
            lambda: 1.0,
            "Multiplying the scores by 10 makes the map sharper, as a lower "
            "temperature does. Which way must T go?",
        ),
        (
            lambda: 0.1,
            "That is the starting temperature: it would be right for adding 10 to "
            "the scores, which changes nothing. Multiplying does change the map.",
        ),
        (
            lambda: 0.001,
            "Divided by 10 twice: only s/T enters, so one factor of 10 moves into T.",
        ),
    ),
)


def _scale_temperature() -> float:
    s = np.random.default_rng(0).normal(size=20)
    target = retrieval.softmax(10 * s, temperature=0.1)
    for t in (1.0, 0.1, 0.01, 0.001):
        if np.allclose(retrieval.softmax(s, temperature=t), target, rtol=1e-12):
            return t
    raise AssertionError("no temperature matched")  # pragma: no cover


def _gradient_cases():
    def make(rng):
        keys = rng.random((6, 3))
        return rng.random(3), keys, rng.random((6, 2)), 0.3

    return _rng_cases(make)()


def _numeric_gradient(q, keys, values, temperature, eps=1e-6):
    cols = []
    for e in np.eye(len(q)):
        plus = retrieval.soft_retrieve(
            (q + eps * e)[None], keys, values, temperature, kind="neg_sqdist"
        )
        minus = retrieval.soft_retrieve(
            (q - eps * e)[None], keys, values, temperature, kind="neg_sqdist"
        )
        cols.append((plus - minus)[0] / (2 * eps))
    return np.stack(cols, axis=1)


def _grad_variant(factor=2.0, temperature_power=1, transpose=False, sign=1.0):
    def grad(q, keys, values, temperature):
        y, a = retrieval.soft_retrieve(
            q[None], keys, values, temperature, kind="neg_sqdist", return_weights=True
        )
        g = sign * factor * (a[0][:, None] * (values - y)).T @ keys
        g = g / temperature**temperature_power
        return g.T if transpose else g

    return grad


_exercise(
    "ex-03-gradient",
    expects="a function grad(q, keys, values, T) taking q (C,), keys (N, C), values "
    "(N, Dv) and T, and returning the Jacobian dy/dq of "
    "soft_retrieve(q[None], keys, values, T, kind='neg_sqdist'), shape (Dv, C)",
    reference=_numeric_gradient,
    cases=_gradient_cases,
    rtol=1e-5,
    atol=1e-7,
    why="Soft retrieval has a gradient everywhere, unlike top-k: the output moves "
    "towards the keys whose values differ from it, which is what lets training work.",
    mistakes=(
        (
            _grad_variant(factor=1.0),
            "Half the size it should be: d(-|q - k_j|²)/dq = 2 (k_j - q), so a "
            "factor 2 comes in that the dot product does not have.",
        ),
        (
            _grad_variant(temperature_power=0),
            "A missing 1/T: the scores enter the softmax as s_j / T.",
        ),
        (
            _grad_variant(temperature_power=2),
            "One 1/T too many: the scores enter the softmax once, as s_j / T.",
        ),
        (
            _grad_variant(sign=-1.0),
            "Wrong sign: moving q towards a key k_j raises its score, and pulls y "
            "towards v_j.",
        ),
        (
            _grad_variant(transpose=True),
            "Transposed: row r of dy/dq is the gradient of output channel r, so "
            "the shape is (Dv, C).",
        ),
    ),
)


def _patch1_cases():
    rng = np.random.default_rng(3)
    img = rng.random((6, 6, 3))
    return [(img, h) for h in (0.1, 0.2, 0.35)]


def _patch1_check(answer_t):
    # A function T(h) is right if colour soft retrieval at T(h) equals
    # nonlocal_means(patch_size=1) at h; compare outputs, not formulas.
    def out(img, h):
        x = images.to_tokens(img)
        return retrieval.soft_retrieve(x, x, x, answer_t(h), kind="neg_sqdist")

    return out


def _nlm_patch1(img, h):
    return images.to_tokens(retrieval.nonlocal_means(img, h=h, patch_size=1))


_exercise(
    "ex-03-patch1",
    expects="a function T(h) returning the temperature (a float) at which colour "
    "soft retrieval equals nonlocal_means(noisy, h, patch_size=1)",
    reference=_nlm_patch1,
    cases=_patch1_cases,
    adapt=_patch1_check,
    rtol=1e-9,
    atol=1e-12,
    why="Non-local means is soft retrieval with patches as keys: with one-pixel "
    "patches it is this chapter's colour retrieval, only the temperature is "
    "named differently.",
    mistakes=(
        (
            lambda h: h**2,
            "Close: the temperature grows as h², but the package divides each "
            "patch by the square root of its length (3 numbers) before scoring.",
        ),
        (
            lambda h: h,
            "The temperature is not h itself: the scores are squared distances, "
            "compared with h².",
        ),
        (
            lambda h: h**2 / 3,
            "The factor 3 goes the other way: dividing every squared distance by 3 "
            "is the same as multiplying the temperature by 3.",
        ),
    ),
)


# -- chapter 4 ----------------------------------------------------------------


def _perm(n: int = 100) -> np.ndarray:
    return np.random.default_rng(5).permutation(n)


_exercise(
    "ex-04-shuffle",
    expects="an int array of 100 indices, undo, such that model(x0[p])[undo] "
    'equals model(x0), where x0 = test["inputs"][0] and '
    "p = np.random.default_rng(5).permutation(100)",
    reference=lambda: _undo_by_search(),
    why="A layer without positions is permutation equivariant: shuffling the "
    "pixels only shuffles the output, and undoing the shuffle undoes it.",
    shape=(100,),
    integer=True,
    mistakes=(
        (
            _perm,
            "That is p itself: x0[p][p] is shuffled twice. You need the inverse "
            "permutation, the index array that puts every pixel back.",
        ),
        (
            lambda: _perm()[::-1],
            "Reversing p does not invert it. Which index array puts every pixel "
            "back where it was?",
        ),
    ),
)


def _undo_by_search() -> np.ndarray:
    # Where did each original position end up?  Found by lookup, not argsort.
    p = _perm()
    undo = np.empty(len(p), dtype=int)
    for new, old in enumerate(p):
        undo[old] = new
    return undo


def _weight_cases():
    return [(1.0, 33), (3.0, 33), (6.0, 33), (2.5, 7)]


def _marker_weight(gap, rivals):
    return retrieval.softmax(np.r_[gap, np.zeros(int(rivals))])[0]


_exercise(
    "ex-04-handmade",
    expects="a function marker_weight(gap, rivals) returning the softmax weight "
    "(a float) of the right marker when its scaled score is gap above the "
    "scores of rivals other keys that all score the same (and there are no "
    "other keys)",
    reference=_marker_weight,
    cases=_weight_cases,
    why="One key wins only when its lead clearly exceeds the log of the number of "
    "rivals: many slightly worse keys together outweigh a single best one.",
    mistakes=(
        (
            lambda gap, rivals: np.exp(gap) / rivals,
            "The marker itself is part of the normaliser: divide by e^gap plus the "
            "rivals' terms.",
        ),
        (
            lambda gap, rivals: gap / (gap + rivals),
            "The softmax exponentiates the scores: a rival scoring 0 contributes "
            "e^0 = 1, the marker e^gap.",
        ),
        (
            lambda gap, rivals: np.exp(gap) / (np.exp(gap) + rivals * np.exp(gap - 1)),
            "Each rival scores exactly gap below the marker, not 1 below.",
        ),
    ),
)


@cache
def _param_count(d: int, heads: int) -> int:
    c = tasks.marker_task(1, size=10, rng=0)["inputs"].shape[-1]
    layer = attention.SelfAttention(
        channels_in=c, d=d, num_heads=heads, channels_out=3, rng=0
    )
    return int(sum(np.size(w) for w in layer.params.values()))


_exercise(
    "ex-04-heads",
    expects="an int: before training, the number of parameters (all entries "
    "of .params) of ca.SelfAttention(7, 8, num_heads=2, channels_out=3), whose "
    "values are d_v = d = 8 wide by default; compare it with one head of width 8",
    reference=lambda: _param_count(8, 2),
    why="Heads split the width d between them: two heads of 4 cost what one head "
    "of 8 costs, so extra heads buy separate weight maps, not parameters.",
    integer=True,
    shape=(),
    mistakes=(
        (
            lambda: 2 * _param_count(8, 1),
            "Heads do not each get the full width d = 8: the columns of W_Q, W_K, "
            "W_V are split between the heads.",
        ),
        (
            lambda: _param_count(4, 1),
            "That is one head of width 4. The layer has d = 8 in total, 4 per head.",
        ),
    ),
)


# -- chapter 5 ----------------------------------------------------------------


@cache
def _nine_layers():
    box3 = conv.box_kernel(3)
    shape = (65, 65)
    erf = conv.effective_receptive_field([box3] * 9, shape)
    offsets = np.arange(shape[0]) - shape[0] // 2
    profile = erf.sum(axis=1) / erf.sum()
    mean = (profile * offsets).sum()
    std = float(np.sqrt((profile * (offsets - mean) ** 2).sum()))
    return conv.theoretical_receptive_field(3, 9), std


_exercise(
    "ex-05-predict",
    expects="a tuple (R, std) of two numbers: the side of the theoretical receptive "
    "field of nine 3 × 3 box layers, and the standard deviation of the effective "
    "one along the rows",
    reference=_nine_layers,
    shape=(2,),
    rtol=1e-3,
    why="The theoretical field grows like L, the effective one like √L: deep "
    "stacks see far in principle but weight mostly their centre.",
    mistakes=(
        (
            lambda: (_nine_layers()[0] - 1, _nine_layers()[1]),
            "Off by one in R: L layers add L(K - 1) to the single centre pixel.",
        ),
        (
            lambda: (9 * 3, _nine_layers()[1]),
            "R is not L K: neighbouring layers' windows overlap, each adds K - 1.",
        ),
        (
            lambda: (_nine_layers()[0], _nine_layers()[1] ** 2),
            "That is the variance: variances add up layer by layer, the standard "
            "deviation is its square root.",
        ),
    ),
)


def _combined_kernel():
    box3 = conv.box_kernel(3)
    return conv.effective_receptive_field([box3, box3], (9, 9))[2:7, 2:7]


_exercise(
    "ex-05-collapse",
    expects="a (5, 5) array: the kernel of the one 5 × 5 layer that computes the "
    "same as two stacked 3 × 3 box layers",
    reference=_combined_kernel,
    shape=(5, 5),
    why="Stacked linear convolutions collapse into one bigger kernel: depth only "
    "pays with a nonlinearity between the layers.",
    mistakes=(
        (
            lambda: conv.box_kernel(5),
            "Not a box: the centre pixel is reached along more paths than the "
            "corners, so it gets more weight.",
        ),
        (
            lambda: 81 * _combined_kernel(),
            "The shape is right; normalise it: the weights of a blur sum to one.",
        ),
    ),
)


def _flip_offset() -> tuple[int, int]:
    # Which shift kernel does the flipped (0, +8) shift equal?  Measured.
    rng = np.random.default_rng(0)
    img = rng.random((20, 20))
    flipped = conv.conv2d(img, conv.shift_kernel(0, 8)[::-1, ::-1], padding="circular")
    for dr, dc in itertools.product((-8, 0, 8), repeat=2):
        if np.allclose(
            conv.conv2d(img, conv.shift_kernel(dr, dc), padding="circular"), flipped
        ):
            return dr, dc
    raise AssertionError("no shift matched")  # pragma: no cover


_exercise(
    "ex-05-flip",
    expects="a tuple (dr, dc) of two ints: the offset of the shift kernel that "
    "equals ca.shift_kernel(0, 8) flipped, [::-1, ::-1]",
    reference=_flip_offset,
    shape=(2,),
    integer=True,
    why="Flipping a kernel reads every key pixel at the opposite offset: it only "
    "matters for kernels that are not symmetric under a half turn.",
    mistakes=(
        (
            lambda: (0, 8),
            "The flip does change the shift kernel: its one weight moves to the "
            "opposite side of the centre.",
        ),
        (
            lambda: (-8, 0),
            "Rows and columns are swapped: the shift was along the columns.",
        ),
        (
            lambda: (8, 0),
            "Rows and columns are swapped: the shift was along the columns.",
        ),
    ),
)


# -- chapter 6 ----------------------------------------------------------------


def _depth_for(distance: int, kernel: int = 5) -> int:
    layers = 1
    while (conv.theoretical_receptive_field(kernel, layers) - 1) // 2 < distance:
        layers += 1
    return layers


_exercise(
    "ex-06-depth",
    expects="an int: the number of 5 × 5 layers the stack needs for D = 7",
    reference=lambda: _depth_for(7),
    integer=True,
    shape=(),
    why="A stack of L layers of K × K kernels reaches L(K-1)/2 pixels to each "
    "side, so the distance a task needs sets the depth.",
    mistakes=(
        (
            lambda: 3,
            "Three layers reach only (R - 1) / 2 = 6 columns: the stack must reach 7.",
        ),
        (
            lambda: 2,
            "R is the side of the field, centred on the query pixel: it reaches "
            "(R - 1) / 2 pixels to each side, not R.",
        ),
        (
            lambda: 7,
            "Each 5 × 5 layer reaches 2 more pixels, not 1.",
        ),
    ),
)


def _crossover(projections: bool = True, strict: bool = True) -> int:
    for n in range(1, 10_000):
        conv_macs = compare.conv_cost((1, n), 3, 16, 16).macs
        attn = compare.attention_cost((1, n), 16, 16).macs
        if not projections:
            attn -= n * (16 * 48 + 16 * 16)
        if attn > conv_macs or (not strict and attn >= conv_macs):
            return n
    raise AssertionError("no crossover")  # pragma: no cover


_exercise(
    "ex-06-crossover",
    expects="an int: the smallest number of pixels N at which one attention layer "
    "needs more multiply-adds than one 3 × 3 convolution (16 channels)",
    reference=_crossover,
    integer=True,
    shape=(),
    why="Attention's cost grows with N² and convolution's with N: past a small "
    "image size attention is the expensive one, whatever the channels.",
    mistakes=(
        (
            lambda: _crossover(strict=False),
            "At that N the two cost the same: the question asks for more.",
        ),
        (
            lambda: _crossover(projections=False),
            "The projections to queries, keys, values and the output cost "
            "multiply-adds too, a term linear in N.",
        ),
    ),
)


def _padding_error(padding="reflect", shift=(5, -7)):
    small = _hopper(24)
    blur = conv.box_kernel(3)
    return compare.translation_equivariance_error(
        lambda x: conv.conv2d(x, blur, padding), small, shift
    )


_exercise(
    "ex-06-padding",
    expects="a float: the translation-equivariance error of the 3 × 3 box blur "
    "with 'reflect' padding for the shift (5, -7) on the 24 × 24 photo",
    reference=_padding_error,
    shape=(),
    rtol=1e-6,
    why="Only circular padding wraps around as a circular shift does: every other "
    "padding breaks exact equivariance at the border and the seams.",
    mistakes=(
        (
            lambda: 0.0,
            "Reflect padding is not circular: near the border the pixels get "
            "different neighbours before and after the shift.",
        ),
        (
            lambda: _padding_error("zeros"),
            "That is the error with zero padding. Use padding='reflect'.",
        ),
        (
            lambda: _padding_error(shift=(-7, 5)),
            "The shift is (5, -7): 5 rows, -7 columns, in that order.",
        ),
    ),
)


# -- chapter 7 ----------------------------------------------------------------


def _sharp_enough(threshold: float = 0.999) -> int:
    sobel = conv.sobel_kernel("x")
    for alpha in range(1, 40):
        w = bridge.attention_as_conv(sobel, float(alpha)).weights((12, 12), (5, 6))
        if w.reshape(9, -1).max(axis=1).min() >= threshold:
            return alpha
    raise AssertionError("no alpha")  # pragma: no cover


_exercise(
    "ex-07-predict",
    expects="an int: the smallest whole number α at which every head puts at "
    "least 99.9% of its weight on its target",
    reference=_sharp_enough,
    integer=True,
    shape=(),
    why="The heads' weights sharpen exponentially in α: a modest α already "
    "makes attention a convolution to three decimals.",
    mistakes=(
        (
            lambda: 8,
            "ln 4000 is about 8.3, and α must be at least that: round up.",
        ),
        (
            lambda: 7,
            "The factor 4 is missing: 4 e^(−α) ≤ 10⁻³ needs α ≥ ln 4000.",
        ),
    ),
)


def _heads_for(k: int) -> int:
    return bridge.attention_as_conv(_gauss(k), 32.0).num_heads


def _gauss(k: int) -> np.ndarray:
    return conv.gaussian_kernel(k, 1.5)


_exercise(
    "ex-07-five",
    expects="an int: the number of heads of the layer for a 5 × 5 kernel",
    reference=lambda: _heads_for(5),
    integer=True,
    shape=(),
    why="One head per kernel offset: a K × K kernel needs K² heads, so exact "
    "convolution by attention gets expensive fast.",
    mistakes=(
        (
            lambda: 5,
            "One head per kernel *offset*: count the offsets of a 5 × 5 kernel.",
        ),
        (lambda: 9, "That is the 3 × 3 layer's count."),
    ),
)


def _border_mode() -> str:
    sobel = conv.sobel_kernel("x")
    gray = images.to_gray(_hopper(32))
    layer = bridge.attention_as_conv(sobel, alpha=32.0, pad_keys=False)(gray)
    for mode in ("edge", "reflect", "symmetric", "wrap", "constant"):
        padded = np.pad(gray, 1, mode=mode)
        if np.abs(layer - conv.conv2d(padded, sobel, padding="valid")).max() < 1e-10:
            return mode
    raise AssertionError("no padding matched")  # pragma: no cover


_exercise(
    "ex-07-border",
    expects="a string: the np.pad mode whose padding the layer with "
    "pad_keys=False reproduces ('edge', 'reflect', 'symmetric', 'wrap' or "
    "'constant')",
    reference=_border_mode,
    text=True,
    why="Without zero keys, an outside target's weight goes to its closest "
    "existing pixel: attention's border rule comes from the scores, not a choice.",
    mistakes=(
        (
            lambda: "reflect",
            "Reflect mirrors around the edge pixel and skips it; the head's weight "
            "goes to the closest existing pixel, which is the edge pixel itself.",
        ),
        (
            lambda: "symmetric",
            "With a 3 × 3 kernel symmetric padding equals edge padding at the "
            "first ring, but for larger offsets it mirrors. Which pixel is closest "
            "to a target outside the image?",
        ),
        (
            lambda: "constant",
            "Zero padding is what the zero keys (pad_keys=True) give. Without them "
            "there is no zero pixel to read.",
        ),
    ),
)


# -- chapter 8 ----------------------------------------------------------------

_GIB = 2**30


def _memory(bytes_per=4, heads=8, batch=16) -> tuple[float, int]:
    n = 64 * 64
    a = heads * batch * n * n * bytes_per / _GIB
    side = 1
    while (side + 1) ** 4 * 4 <= 8 * _GIB:  # (b): one head, one image, float32
        side += 1
    return a, side


_exercise(
    "ex-08-predict",
    expects="a tuple (a, b): (a) the weights' memory in GiB, a float; (b) the "
    "largest square side that fits in 8 GiB, an int",
    reference=_memory,
    shape=(2,),
    rtol=1e-9,
    why="Full attention's memory grows with the fourth power of the side and "
    "multiplies with heads and batch: 8 GiB is gone long before images get large.",
    mistakes=(
        (
            lambda: (_memory()[0] * 2, _memory()[1]),
            "Twice too much in (a): float32 takes 4 bytes, not 8.",
        ),
        (
            lambda: (_memory()[0] / 128, _memory()[1]),
            "(a) is for one head and one image: there are 8 heads and 16 images.",
        ),
        (
            lambda: (_memory()[0], _memory()[1] + 1),
            "Off by one in (b): round down, the next side no longer fits.",
        ),
        (
            lambda: (_memory()[0], int(256 / 2**0.5)),
            "In (b) memory grows with the fourth power of the side: halving it "
            "divides the side by 2^(1/4), not √2.",
        ),
    ),
)


def _rescale_count(first_only: bool = False) -> int:
    rng = np.random.default_rng(0)
    scores = rng.permutation(6).astype(float)  # distinct scores
    values = rng.normal(size=6)
    right = 0
    for order in itertools.permutations(range(6)):
        s, v = scores[list(order)], values[list(order)]
        if first_only:
            right += int(np.argmax(s) == 0)
            continue
        m, ell, o = -np.inf, 0.0, 0.0  # the recurrence without rescaling
        for start in range(0, 6, 2):
            m = max(m, s[start : start + 2].max())
            e = np.exp(s[start : start + 2] - m)
            ell, o = ell + e.sum(), o + (e * v[start : start + 2]).sum()
        right += bool(np.isclose(o / ell, retrieval.softmax(s) @ v, rtol=1e-9))
    return right


_exercise(
    "ex-08-rescale",
    expects="an int: how many of the 720 orders of the six scores still give the "
    "right answer without the rescaling",
    reference=_rescale_count,
    integer=True,
    shape=(),
    why="The rescaling is what lets the running maximum move: without it only "
    "orders that meet their maximum in the first block come out right.",
    mistakes=(
        (
            lambda: _rescale_count(first_only=True),
            "The maximum need not come first: anywhere in the first block (two "
            "scores) keeps the reference fixed.",
        ),
        (lambda: 0, "Some orders never move the running maximum: which ones?"),
        (lambda: 720, "Dropping the factor matters whenever the maximum moves."),
    ),
)


def _block_cases():
    return [(1024, 1), (1024, 16), (1000, 64), (100, 30), (7, 7), (5, 8)]


def _inner_steps(n, block_size):
    # One inner step per (query block, key block) pair; count the key blocks
    # of one row the way the package walks them.
    rows = np.zeros(n)
    per_row = len(blockwise.online_softmax_steps(rows, block_size))
    return per_row * per_row


_exercise(
    "ex-08-block",
    expects="a function steps(n, block_size) returning how many times the body "
    "of the inner loop runs in total for n pixels, over every pair of a query "
    "block and a key block (an int)",
    reference=_inner_steps,
    cases=_block_cases,
    integer=True,
    why="Blockwise attention trades memory for steps: each step is Python "
    "overhead in numpy, so tiny blocks are slow however little memory they need.",
    mistakes=(
        (
            lambda n, b: (n // b) ** 2,
            "Off by one when block_size does not divide n: the last, shorter block "
            "is a step too (round up).",
        ),
        (
            lambda n, b: -(-n // b),
            "That counts the key blocks of one query block; the inner loop runs "
            "for every pair of query block and key block.",
        ),
        (
            lambda n, b: n * n // b,
            "Both the queries and the keys are cut into blocks: the count is "
            "(blocks)².",
        ),
    ),
)


# -- chapter 9 ----------------------------------------------------------------


def _best_additive() -> float:
    # Every score table s1, s2 over the colours a, b with values -2 ... 2, the
    # rule "same if s1(c1) + s2(c2) > 0", the four pairs equally likely.
    best = 0.0
    for s1a, s1b, s2a, s2b in itertools.product(range(-2, 3), repeat=4):
        right = [s1a + s2a > 0, s1b + s2b > 0, s1a + s2b <= 0, s1b + s2a <= 0]
        best = max(best, sum(right) / 4)
    return best


_exercise(
    "ex-09-additive",
    expects="a float: the best accuracy that the rule 'same if s1(c1) + s2(c2) > 0' "
    "reaches over all score tables s1, s2, when the four pairs (a, a), (a, b), "
    "(b, a) and (b, b) are equally likely",
    reference=_best_additive,
    shape=(),
    why="A sum of separate scores for the two pixels cannot test whether they are "
    "equal: a model none of whose windows sees both pixels is capped below 1, "
    "however much data it gets.",
    mistakes=(
        (
            lambda: 0.5,
            "Chance is not the limit: a threshold on the sum gets three of the four "
            "pairs right.",
        ),
        (
            lambda: 1.0,
            "A sum of two separate scores cannot say 'equal' for both (a, a) and "
            "(b, b) and 'different' for (a, b) and (b, a): add the two 'same' "
            "conditions, then the two 'different' ones, and compare.",
        ),
        (
            lambda: 0.25,
            "Too pessimistic: always answering 'different' already gets two of the "
            "four pairs right, and a threshold on the sum does better still.",
        ),
    ),
)


def _logits_equal() -> tuple[bool, ...]:
    # Untrained attention classifiers on random 8 × 8 images, centred against
    # one fixed shuffle of the pixels: are the logits equal (to rounding)?
    gen = np.random.default_rng(0)
    centred = gen.uniform(size=(5, 8, 8))
    permuted, _ = tasks.permute_pixels(centred, rng=gen)
    out = []
    for patch in (1, 2):
        for dims in (0, 8):
            model = models.AttentionClassifier(
                (8, 8), 10, rng=0, patch_size=patch, position_dims=dims
            )
            diff = np.abs(model.logits(centred) - model.logits(permuted)).max()
            out.append(bool(diff < 1e-10))
    return tuple(out)


_exercise(
    "ex-09-positions",
    expects="a sequence of 4 bools, 'logits equal for centred and permuted "
    "digits', in the order (1 × 1 patches, no positions), (1 × 1 patches, with "
    "positions), (2 × 2 patches, no positions), (2 × 2 patches, with positions)",
    reference=_logits_equal,
    shape=(4,),
    integer=True,
    why="Without positions, attention over pixel tokens sees a set: it is blind to "
    "the order of the pixels, which is why images need a positional encoding.",
    mistakes=(
        (
            lambda: (False, False, False, False),
            "With pixel tokens and no positions the model sees a set of pixel "
            "values: shuffling the pixels only reorders the tokens, attention's "
            "outputs are reordered the same way, and the mean over tokens ignores "
            "order.",
        ),
        (
            lambda: (True, False, True, False),
            "A 2 × 2 patch holds four pixels: shuffling the pixels changes what "
            "each patch holds, not just the order of the patches.",
        ),
        (
            lambda: (True, True, False, False),
            "The position code does not travel with the pixel value: it belongs to "
            "the place, so after the shuffle each pixel value comes with the code "
            "of the place it now sits at.",
        ),
        (
            lambda: (True, True, True, True),
            "Both the position codes and the contents of the 2 × 2 patches change "
            "with the shuffle: which case reorders the tokens and nothing else?",
        ),
    ),
)
