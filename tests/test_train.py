import contextlib
import io

import numpy as np
import pytest

import convattn as ca

NAMES = ("w_q", "w_k", "w_v", "w_o")


def make_problem(rng, n=5, c=3, d=4, d_v=4, c_out=2, batch=None):
    shape = (n, c) if batch is None else (batch, n, c)
    x = rng.normal(size=shape)
    target = rng.normal(size=(*shape[:-1], c_out))
    params = {
        "w_q": rng.normal(size=(c, d)),
        "w_k": rng.normal(size=(c, d)),
        "w_v": rng.normal(size=(c, d_v)),
        "w_o": rng.normal(size=(d_v, c_out)),
    }
    return x, target, params


def check_all(x, target, params, num_heads, bias=None):
    """Relative errors of every gradient, the input's included."""

    def loss_fn(p):
        weights = {n: p[n] for n in NAMES}
        return ca.loss_and_grads(weights, p["tokens"], target, num_heads, bias)

    return ca.gradient_check(loss_fn, {**params, "tokens": x})


@pytest.mark.parametrize(
    "num_heads, use_bias, batch",
    [(1, False, None), (2, False, None), (4, True, None), (2, True, 3)],
)
def test_gradients_pass_the_finite_difference_check(rng, num_heads, use_bias, batch):
    x, target, params = make_problem(rng, batch=batch)
    bias = rng.normal(size=(num_heads, 5, 5)) if use_bias else None
    errors = check_all(x, target, params, num_heads, bias)
    assert set(errors) == {*NAMES, "tokens"}
    for name, err in errors.items():
        assert err <= 1e-6, (name, err)


def test_gradient_check_catches_a_wrong_gradient(rng):
    x, target, params = make_problem(rng)

    def wrong(p):
        loss, grads = ca.loss_and_grads(p, x, target)
        # a classic slip: forgetting the 1/sqrt(d) scale in dW_Q
        grads["w_q"] = grads["w_q"] * 2.0
        return loss, grads

    errors = ca.gradient_check(wrong, params)
    assert errors["w_q"] > 0.1
    assert errors["w_k"] < 1e-6


def test_backward_of_a_linear_loss_matches_a_directional_derivative(rng):
    # L = sum(G * Y): then dL/dW . D must equal the change of L along D.
    x, _, params = make_problem(rng)
    out, cache = ca.attention_forward(params, x, num_heads=2)
    g = rng.normal(size=out.shape)
    grads = ca.attention_backward(g, cache)
    eps = 1e-6
    for name in NAMES:
        direction = rng.normal(size=params[name].shape)
        plus = {**params, name: params[name] + eps * direction}
        minus = {**params, name: params[name] - eps * direction}
        change = (
            (ca.multi_head_attention(x, **plus, num_heads=2) * g).sum()
            - (ca.multi_head_attention(x, **minus, num_heads=2) * g).sum()
        ) / (2 * eps)
        assert abs(change - (grads[name] * direction).sum()) < 1e-7 * (1 + abs(change))


def test_forward_equals_multi_head_attention(rng):
    x, _, params = make_problem(rng, batch=2)
    out, cache = ca.attention_forward(params, x, num_heads=2)
    np.testing.assert_allclose(out, ca.multi_head_attention(x, **params, num_heads=2))
    assert cache["weights"].shape == (2, 2, 5, 5)


def test_mse_loss_by_hand():
    loss, grad = ca.mse_loss(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert loss == 2.5
    np.testing.assert_array_equal(grad, [[1.0, 2.0]])


def test_adam_first_step_moves_by_lr_against_the_sign():
    # With zero history, the bias-corrected first step is lr * g / |g|.
    params = {"a": np.array([1.0, -2.0, 3.0])}
    opt = ca.Adam(lr=0.1, eps=1e-12)
    opt.step(params, {"a": np.array([0.5, -4.0, 1e-3])})
    np.testing.assert_allclose(params["a"], [0.9, -1.9, 2.9], rtol=1e-9)
    assert opt.t == 1


def test_adam_minimises_a_quadratic():
    target = np.array([[1.0, -2.0], [0.5, 3.0]])
    params = {"w": np.zeros((2, 2))}
    opt = ca.Adam(lr=0.05)
    for _ in range(500):
        opt.step(params, {"w": 2 * (params["w"] - target)})
    np.testing.assert_allclose(params["w"], target, atol=1e-3)


def test_fit_learns_prints_to_stdout_only_and_is_deterministic(capsys):
    task = ca.marker_task(16, size=6, rng=0)
    histories = []
    for _ in range(2):
        layer = ca.SelfAttention(7, d=8, channels_out=3, rng=0)
        histories.append(
            ca.fit(
                layer,
                task["inputs"],
                task["targets"],
                steps=60,
                lr=0.05,
                batch_size=8,
                rng=1,
                print_every=20,
            )
        )
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == 2 * 4  # steps 0, 20, 40 and the last one, twice
    assert lines[0].startswith("step    0  loss ")
    np.testing.assert_array_equal(histories[0], histories[1])
    assert histories[0].shape == (60,)
    assert histories[0][-10:].mean() < 0.5 * histories[0][:5].mean()


def test_fit_quiet():
    layer = ca.SelfAttention(2, d=2, rng=0)
    x = np.random.default_rng(0).normal(size=(4, 2))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ca.fit(layer, x, x, steps=5, verbose=False)
    assert buf.getvalue() == ""


# --- bad input --------------------------------------------------------------------

P = {n: np.ones((2, 2)) for n in NAMES}
X2 = np.ones((3, 2))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (
            lambda: ca.attention_forward({"w_q": np.ones((2, 2))}, X2),
            ValueError,
            "params",
        ),
        (lambda: ca.attention_forward([1, 2], X2), TypeError, "params"),
        (lambda: ca.attention_forward(P, np.ones((3, 3))), ValueError, "w_q"),
        (lambda: ca.attention_forward(P, X2, num_heads=3), ValueError, "num_heads"),
        (
            lambda: ca.attention_forward(P, np.full((3, 2), np.nan)),
            ValueError,
            "tokens",
        ),
        (
            lambda: ca.attention_backward(
                np.ones((2, 2)), ca.attention_forward(P, X2)[1]
            ),
            ValueError,
            "grad_output",
        ),
        (lambda: ca.mse_loss(np.ones(3), np.ones(2)), ValueError, "target"),
        (lambda: ca.loss_and_grads(P, X2, np.ones((3, 3))), ValueError, "target"),
        (
            lambda: ca.gradient_check(lambda p: (0.0, {}), {"w": np.ones(2)}),
            ValueError,
            "w",
        ),
        (
            lambda: ca.gradient_check(
                lambda p: (0.0, {"w": np.ones(3)}), {"w": np.ones(2)}
            ),
            ValueError,
            "shape",
        ),
        (lambda: ca.gradient_check(lambda p: (0.0, {}), {}), TypeError, "params"),
        (
            lambda: ca.gradient_check(lambda p: (0.0, {}), {"w": np.ones(2)}, eps=0),
            ValueError,
            "eps",
        ),
        (lambda: ca.Adam(lr=0), ValueError, "lr"),
        (lambda: ca.Adam(beta1=1.0), ValueError, "beta1"),
        (lambda: ca.Adam(beta2=-0.1), ValueError, "beta2"),
        (lambda: ca.fit("layer", X2, X2), TypeError, "layer"),
        (
            lambda: ca.fit(ca.SelfAttention(2, d=2), X2, np.ones((4, 2))),
            ValueError,
            "targets",
        ),
        (
            lambda: ca.fit(ca.SelfAttention(2, d=2), X2, X2, steps=0),
            ValueError,
            "steps",
        ),
        (
            lambda: ca.fit(ca.SelfAttention(2, d=2), X2, X2, batch_size=2),
            ValueError,
            "batch_size",
        ),
        (
            lambda: ca.fit(ca.SelfAttention(2, d=2), X2[None], X2[None], batch_size=2),
            ValueError,
            "batch_size",
        ),
        (
            lambda: ca.fit(ca.SelfAttention(2, d=2), X2, X2, print_every=0),
            ValueError,
            "print_every",
        ),
        (lambda: ca.marker_task(0), ValueError, "num_images"),
        (lambda: ca.marker_task(2, size=1), ValueError, "size"),
        (
            lambda: ca.nearest_colour_accuracy(np.ones((4, 3)), [0, 1]),
            ValueError,
            "target_index",
        ),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
