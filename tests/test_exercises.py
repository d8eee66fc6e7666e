"""Self-checks (`convattn.exercises.check`): each accepts the book's own solution,
recognises each listed mistake with its hint, and never prints the answer."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import convattn as ca
from convattn import exercises
from convattn.exercises import check

GIB = 2**30


def _n_colours(image):
    return len(np.unique(np.reshape(image, (-1, 3)).round(9), axis=0))


# The book's solutions, replicated from the solution cells of each chapter
# (written as the chapter writes them, not with the module's helpers).


def _sol_01_black():
    tokens = ca.to_tokens(ca.sample_image("hopper", 64))
    darkest = int(np.argmin((tokens**2).sum(axis=1)))
    return divmod(darkest, 64)


def _sol_01_twins():
    twins = ca.sample_image("twins", 64)
    twin_tokens = ca.to_tokens(twins)
    i = ca.pixel_index(12, 12, twins.shape)
    s = ca.similarity(twin_tokens[i : i + 1], twin_tokens, "neg_sqdist")[0]
    return [
        s[ca.pixel_index(r, c, twins.shape)] for r, c in [(12, 12), (51, 51), (12, 20)]
    ]


def _sol_01_sqdist(tokens, q):
    return 2 * (tokens @ q) - q @ q - (tokens**2).sum(axis=1)


def _sol_02_predict():
    tokens = ca.to_tokens(ca.sample_image("shapes", 64))
    n = len(tokens)
    out = []
    for k in (1, 1024, n):
        result = np.empty_like(tokens)
        for start in range(0, n, 512):
            rows = slice(start, start + 512)
            scores = ca.similarity(tokens[rows], tokens, kind="neg_sqdist")
            ranking = ca.top_k_indices(scores, k)
            result[rows] = tokens[ranking[:, :k]].mean(axis=1)
        out.append(_n_colours(result))
    return tuple(out)


def _sol_02_dot():
    small = ca.to_tokens(ca.sample_image("hopper", 32))
    return _n_colours(ca.hard_retrieve(small, small, small, k=1, kind="dot"))


def _sol_02_order():
    twins = ca.sample_image("twins", 64)
    twin_tokens = ca.to_tokens(twins)
    twin_positions = ca.pixel_positions(twins.shape)
    orange = np.all(twin_tokens == twins[11, 11], axis=1)
    upper = orange & (twin_positions[:, 0] < 32)
    lower = orange & (twin_positions[:, 0] >= 32)
    tie_query = ca.pixel_index(51, 51, twins.shape)
    reversed_tokens = twin_tokens[::-1]
    scores = ca.similarity(twin_tokens[[tie_query]], reversed_tokens, kind="neg_sqdist")
    chosen = ca.top_k_indices(scores, k=129)[0]
    selected = np.zeros(len(twin_tokens))
    selected[len(twin_tokens) - 1 - chosen] = 1.0
    return int(selected[upper].sum()), int(selected[lower].sum())


def _sol_02_jumps():
    photo = ca.sample_image("hopper", 64)
    tokens = ca.to_tokens(photo)
    q0, u = photo[24, 32], np.ones(3) / np.sqrt(3)
    t = np.linspace(-0.1, 0.1, 1001)
    line_scores = ca.similarity(q0 + t[:, None] * u, tokens, kind="neg_sqdist")
    out = []
    for k in (1, 16):
        sets = np.sort(ca.top_k_indices(line_scores, k), axis=1)
        out.append(int(np.any(sets[1:] != sets[:-1], axis=1).sum()))
    return tuple(out)


def _sol_03_gradient(q, keys, values, temperature):
    y, a = ca.soft_retrieve(
        q[None], keys, values, temperature, kind="neg_sqdist", return_weights=True
    )
    return 2 * (a[0][:, None] * (values - y)).T @ keys / temperature


def _sol_04_heads():
    c = ca.marker_task(1, size=10, rng=0)["inputs"].shape[-1]
    two = ca.SelfAttention(channels_in=c, d=8, num_heads=2, channels_out=3, rng=0)
    return sum(w.size for w in two.params.values())


def _sol_06_padding():
    small = ca.sample_image("hopper", 24)
    blur = ca.box_kernel(3)
    return ca.translation_equivariance_error(
        lambda x: ca.conv2d(x, blur, "reflect"), small, (5, -7)
    )


def _sol_07_five():
    return ca.attention_as_conv(ca.gaussian_kernel(5, 1.5), alpha=32.0).num_heads


def _sol_08_predict():
    n = 64 * 64
    return 8 * 16 * n * n * 4 / GIB, int((8 * GIB / 4) ** 0.25)


def _sol_08_rescale():
    row_scores = np.array([1.0, 0.5, 3.0, -1.0, 2.0, 4.0])
    row_values = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])

    def no_rescale(scores, values, block=2):
        m, ell, o = -np.inf, 0.0, 0.0
        for start in range(0, len(scores), block):
            s, v = scores[start : start + block], values[start : start + block]
            m = max(m, s.max())
            ell += np.exp(s - m).sum()
            o += (np.exp(s - m) * v).sum()
        return o / ell

    right = 0
    for order in itertools.permutations(range(6)):
        order = list(order)
        got = no_rescale(row_scores[order], row_values[order])
        want = ca.softmax(row_scores[order]) @ row_values[order]
        right += bool(np.isclose(got, want, rtol=1e-9))
    return right


def _sol_09_additive():
    values = range(-2, 3)
    best = 0.0
    for s1a in values:
        for s1b in values:
            for s2a in values:
                for s2b in values:
                    right = [
                        s1a + s2a > 0,
                        s1b + s2b > 0,
                        s1a + s2b <= 0,
                        s1b + s2a <= 0,
                    ]
                    best = max(best, sum(right) / 4)
    return best


def _sol_09_positions():
    images, _ = ca.load_digits()
    permuted, _ = ca.permute_pixels(images, rng=2)
    test = np.random.default_rng(0).permutation(len(images))[:400]
    x_c, x_p = images[test[:50]], permuted[test[:50]]
    equal = []
    for patch in [1, 2]:
        for dims in [0, 8]:
            model = ca.AttentionClassifier(
                (8, 8), 10, rng=0, patch_size=patch, position_dims=dims
            )
            diff = np.abs(model.logits(x_c) - model.logits(x_p)).max()
            equal.append(bool(diff < 1e-12))
    return tuple(equal)


SOLUTIONS = {
    "ex-01-black": _sol_01_black,
    "ex-01-twins": _sol_01_twins,
    "ex-01-sqdist": lambda: _sol_01_sqdist,
    "ex-02-predict": _sol_02_predict,
    "ex-02-dot": _sol_02_dot,
    "ex-02-order": _sol_02_order,
    "ex-02-jumps": _sol_02_jumps,
    "ex-03-scale": lambda: 0.01,  # "colder = softmax(scores, temperature=0.01)"
    "ex-03-gradient": lambda: _sol_03_gradient,
    "ex-03-patch1": lambda: lambda h: 3 * h**2,
    "ex-04-shuffle": lambda: np.argsort(np.random.default_rng(5).permutation(100)),
    "ex-04-handmade": lambda: lambda gap, rivals: np.exp(gap) / (np.exp(gap) + rivals),
    "ex-04-heads": _sol_04_heads,
    "ex-05-predict": lambda: (ca.theoretical_receptive_field(3, 9), np.sqrt(6)),
    "ex-05-collapse": lambda: np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 81,
    "ex-05-flip": lambda: (0, -8),
    "ex-06-depth": lambda: 4,  # 2 L >= 7
    "ex-06-crossover": lambda: 41,  # 32 N > 1280
    "ex-06-padding": _sol_06_padding,
    "ex-07-predict": lambda: 9,  # alpha >= ln 4000 = 8.3
    "ex-07-five": _sol_07_five,
    "ex-07-border": lambda: "edge",
    "ex-08-predict": _sol_08_predict,
    "ex-08-rescale": _sol_08_rescale,
    "ex-08-block": lambda: lambda n, block_size: (-(-n // block_size)) ** 2,
    "ex-09-additive": _sol_09_additive,
    "ex-09-positions": _sol_09_positions,
}


def test_every_listed_exercise_has_a_check_and_at_least_two_per_chapter():
    assert exercises.labels() == list(SOLUTIONS)
    per_chapter = {}
    for label in exercises.labels():
        per_chapter[label[3:5]] = per_chapter.get(label[3:5], 0) + 1
    assert sorted(per_chapter) == [f"{n:02d}" for n in range(1, 10)]
    assert min(per_chapter.values()) >= 2


def _numbers_in(value, prompt=""):
    """Formatted forms of a reference answer that must never be printed
    (leaving out those that the exercise's own prompt already states)."""
    return [f for f in _forms(value) if not re.search(f, prompt)]


def _forms(value):
    if isinstance(value, str):
        return [value]
    if callable(value):
        return []
    forms = []
    for x in np.ravel(np.asarray(value, dtype=float)):
        if float(x).is_integer():
            if abs(x) >= 10:  # small integers occur in every sentence
                forms.append(rf"(?<![\d.]){int(x)}(?![\d])")
        else:
            forms += [re.escape(f"{x:.{p}f}") for p in (2, 3, 4)]
    return forms


@pytest.mark.parametrize("label", list(SOLUTIONS))
def test_the_books_solution_passes(label, capsys):
    answer = SOLUTIONS[label]()
    assert check(label, answer) is True
    out = capsys.readouterr().out
    assert out.startswith("Correct. ") and len(out.splitlines()) == 1
    for form in _numbers_in(answer, exercises._REGISTRY[label].expects):
        assert not re.search(form, out.removeprefix("Correct. ")), (label, form)


@pytest.mark.parametrize("label", list(SOLUTIONS))
def test_each_listed_mistake_gets_its_hint(label, capsys):
    ex = exercises._REGISTRY[label]
    assert len(ex.mistakes) >= 2
    right = SOLUTIONS[label]()
    forbidden = _numbers_in(right, ex.expects)
    for mistake, hint in ex.mistakes:
        answer = mistake if ex.cases is not None else mistake()
        assert check(label, answer) is False
        out = capsys.readouterr().out
        assert out == f"Not yet. {hint}\n", (label, out)
        for form in forbidden:
            assert not re.search(form, out), (label, form, out)


# Mistakes written here by hand, independently of the module's list.
HAND_MISTAKES = {
    "ex-01-sqdist": (
        lambda keys, q: 2 * (keys @ q) - (keys**2).sum(axis=1),
        "the query's own length",
    ),
    "ex-03-gradient": (
        lambda q, keys, values, t: (
            lambda y, a: 2 * (a[0][:, None] * (values - y)).T @ keys
        )(
            *ca.soft_retrieve(
                q[None], keys, values, t, kind="neg_sqdist", return_weights=True
            )
        ),
        "missing 1/T",
    ),
    "ex-03-patch1": (lambda h: h**2, "square root of its length"),
    "ex-04-shuffle": (np.random.default_rng(5).permutation(100), "p itself"),
    "ex-06-crossover": (40, "cost the same"),
    "ex-07-predict": (8, "round up"),
    "ex-08-block": (lambda n, b: (n // b) ** 2, "Off by one"),
    "ex-09-additive": (0.5, "Chance is not the limit"),
    "ex-09-positions": ([True, False, True, False], "2 × 2 patch holds four pixels"),
}


@pytest.mark.parametrize("label", list(HAND_MISTAKES))
def test_hand_written_mistakes_are_recognised(label, capsys):
    answer, words = HAND_MISTAKES[label]
    assert check(label, answer) is False
    assert words in capsys.readouterr().out


def test_unknown_label_raises_naming_label():
    with pytest.raises(ValueError, match="label"):
        check("ex-99-nothing", 1)
    with pytest.raises(ValueError, match="label"):
        check(3, 1)


def test_wrong_shape_and_type_say_what_was_expected(capsys):
    assert check("ex-05-collapse", np.ones((3, 3))) is False
    out = capsys.readouterr().out
    assert "shape (5, 5)" in out and "got shape (3, 3)" in out
    assert check("ex-01-sqdist", np.ones(3)) is False
    assert "Expected a function" in capsys.readouterr().out
    assert check("ex-06-depth", lambda: 4) is False
    assert "got a function" in capsys.readouterr().out
    assert check("ex-07-border", 3) is False
    assert "instead of text" in capsys.readouterr().out
    assert check("ex-06-depth", "four") is False
    assert "instead of a number" in capsys.readouterr().out
    assert check("ex-06-padding", float("nan")) is False
    assert "NaN" in capsys.readouterr().out
    assert check("ex-09-additive", [0.75, 0.25]) is False
    assert "got shape (2,)" in capsys.readouterr().out
    assert check("ex-09-positions", (True, False)) is False
    out = capsys.readouterr().out
    assert "a sequence of 4 bools" in out and "got shape (2,)" in out
    assert check("ex-09-positions", "True, False, False, False") is False
    out = capsys.readouterr().out
    assert "a sequence of 4 bools" in out and "instead of a number" in out


def test_a_failing_function_is_reported_not_raised(capsys):
    def broken(keys, query):
        raise RuntimeError("oops")

    assert check("ex-01-sqdist", broken) is False
    out = capsys.readouterr().out
    assert "RuntimeError: oops" in out and "Expected a function" in out


def test_an_unrecognised_wrong_answer_gets_a_general_message(capsys):
    assert check("ex-06-depth", 11) is False
    assert capsys.readouterr().out.startswith("Not yet, and not one of the usual")


def test_the_module_imports_only_numpy_and_the_core():
    source = open(exercises.__file__).read()
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, re.M)
    allowed = {
        "__future__",
        "collections.abc",
        "itertools",
        "dataclasses",
        "functools",
        "typing",
        "numpy",
        ".",
    }
    assert set(imports) <= allowed, set(imports) - allowed
    assert "plotting" not in source and "widgets" not in source
