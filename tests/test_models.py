"""The three classifiers: forward passes against plain loops, backward passes
against central differences, and the properties each architecture promises."""

import contextlib
import io

import numpy as np
import pytest

import convattn as ca
from convattn.models import _conv_batch


def small_models():
    """Small enough for an entry-by-entry finite-difference check."""
    return [
        ("conv", ca.ConvClassifier((4, 6), 3, rng=1, channels=(3, 4)), (4, 6)),
        (
            "conv rgb",
            ca.ConvClassifier((4, 6, 3), 2, rng=2, channels=(2, 3)),
            (4, 6, 3),
        ),
        (
            "conv 3 layers",
            ca.ConvClassifier((4, 4), 2, rng=2, channels=(2, 2, 2), pool=1),
            (4, 4),
        ),
        (
            "attention",
            ca.AttentionClassifier((3, 4), 3, rng=1, d=4, mlp_width=5, position_dims=4),
            (3, 4),
        ),
        (
            "attention, local prior",
            ca.AttentionClassifier(
                (3, 4, 2), 3, rng=3, d=4, num_heads=1, mlp_width=3, local_prior=0.7
            ),
            (3, 4, 2),
        ),
        (
            "attention, no positions",
            ca.AttentionClassifier((2, 3), 2, rng=4, d=4, position_dims=0, mlp_width=3),
            (2, 3),
        ),
        ("mlp", ca.MLPClassifier((3, 3), 4, rng=1, hidden=5), (3, 3)),
    ]


def loss_fn_for(model, images, labels):
    def loss_fn(params):
        saved = model.params
        model.params = params
        try:
            return model.loss_and_grads(images, labels)
        finally:
            model.params = saved

    return loss_fn


@pytest.mark.parametrize(
    "name, model, shape", small_models(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_gradients_match_central_differences_in_float64(rng, name, model, shape):
    images = rng.uniform(size=(3, *shape))
    labels = rng.integers(0, model.num_classes, size=3)
    # Biases at 0 would put every ReLU at the same side; move them off it.
    for key, value in model.params.items():
        if key.startswith("b"):
            value += rng.normal(scale=0.1, size=value.shape)
    errors = ca.gradient_check(loss_fn_for(model, images, labels), model.params)
    assert set(errors) == set(model.params)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    "name, model, shape", small_models(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_float32_models_compute_the_float64_loss_and_gradients(rng, name, model, shape):
    images = rng.uniform(size=(3, *shape))
    labels = rng.integers(0, model.num_classes, size=3)
    loss, grads = model.loss_and_grads(images, labels)
    # The same weights in float32: the same class, rebuilt with the same seed.
    single = type(model).__new__(type(model))
    single.__dict__.update(model.__dict__)
    single.dtype = np.dtype(np.float32)
    single.params = {k: v.astype(np.float32) for k, v in model.params.items()}
    if getattr(model, "bias", None) is not None:
        single.bias = model.bias.astype(np.float32)
    if hasattr(model, "positions"):
        single.positions = model.positions.astype(np.float32)
    loss32, grads32 = single.loss_and_grads(images, labels)
    assert single.logits(images).dtype == np.float32
    assert loss32 == pytest.approx(loss, rel=1e-5)
    for key, g in grads.items():
        assert grads32[key].dtype == np.float32, key
        np.testing.assert_allclose(grads32[key], g, rtol=1e-3, atol=1e-5, err_msg=key)


def test_float32_keyword_gives_float32_parameters_with_the_float64_values():
    for make in (ca.ConvClassifier, ca.AttentionClassifier, ca.MLPClassifier):
        double, single = make((4, 4), 3, rng=7), make((4, 4), 3, rng=7, dtype="float32")
        for key, value in double.params.items():
            assert single.params[key].dtype == np.float32
            np.testing.assert_array_equal(single.params[key], value.astype(np.float32))


def test_the_gradient_check_sees_a_wrong_backward_pass(rng):
    model = ca.ConvClassifier((4, 4), 2, rng=0, channels=(2, 2))
    images, labels = rng.uniform(size=(2, 4, 4)), np.array([0, 1])
    right = loss_fn_for(model, images, labels)

    def wrong(params):
        loss, grads = right(params)
        grads["kernel_1"] = grads["kernel_1"][::-1, ::-1]  # the classic slip: no flip
        return loss, grads

    errors = ca.gradient_check(wrong, model.params)
    assert errors["kernel_1"] > 1e-2 and errors["kernel_2"] < 1e-6


# --- forward passes against plain loops ---------------------------------------


def conv_loop(image, kernel):
    """Zero-padded same-size cross-correlation, one output number at a time."""
    h, w, _ = image.shape
    k = kernel.shape[0]
    pad = k // 2
    out = np.zeros((h, w, kernel.shape[3]))
    for r in range(h):
        for c in range(w):
            for a in range(k):
                for b in range(k):
                    rr, cc = r + a - pad, c + b - pad
                    if 0 <= rr < h and 0 <= cc < w:
                        out[r, c] += image[rr, cc] @ kernel[a, b]
    return out


def test_batched_convolution_is_every_image_filtered_alone(rng):
    x = rng.normal(size=(3, 5, 4, 2))
    kernel = rng.normal(size=(3, 3, 2, 4))
    out = _conv_batch(x, kernel)
    for n in range(3):
        np.testing.assert_allclose(out[n], conv_loop(x[n], kernel), atol=1e-12)


def test_conv_classifier_logits_match_a_plain_loop(rng):
    model = ca.ConvClassifier((4, 6), 3, rng=0, channels=(2, 3))
    p = model.params
    images = rng.uniform(size=(2, 4, 6))
    for n in range(2):
        a = np.maximum(conv_loop(images[n][..., None], p["kernel_1"]) + p["bias_1"], 0)
        pooled = np.zeros((2, 3, 2))
        for r in range(2):
            for c in range(3):
                pooled[r, c] = a[2 * r : 2 * r + 2, 2 * c : 2 * c + 2].mean(axis=(0, 1))
        b = np.maximum(conv_loop(pooled, p["kernel_2"]) + p["bias_2"], 0)
        want = b.mean(axis=(0, 1)) @ p["w_out"] + p["b_out"]
        np.testing.assert_allclose(model.logits(images[n : n + 1])[0], want, atol=1e-12)


def test_attention_classifier_logits_match_a_plain_loop(rng):
    model = ca.AttentionClassifier(
        (2, 3),
        2,
        rng=0,
        d=4,
        num_heads=2,
        mlp_width=3,
        position_dims=4,
        local_prior=0.5,
    )
    p = model.params
    image = rng.uniform(size=(2, 3))
    pos = ca.sinusoidal_encoding((2, 3), 4, base=3.0)
    tokens = np.column_stack([image.ravel(), pos])
    h0 = tokens @ p["w_embed"] + p["b_embed"]
    rows, cols = np.divmod(np.arange(6), 3)
    h1 = h0.copy()
    for i in range(6):
        for head in range(2):
            cols_h = slice(2 * head, 2 * head + 2)
            q = h0[i] @ p["w_q"][:, cols_h]
            scores = np.array(
                [
                    q @ (h0[j] @ p["w_k"][:, cols_h]) / np.sqrt(2)
                    - 0.5 * ((rows[j] - rows[i]) ** 2 + (cols[j] - cols[i]) ** 2)
                    for j in range(6)
                ]
            )
            weights = np.exp(scores - scores.max())
            weights /= weights.sum()
            z = sum(weights[j] * (h0[j] @ p["w_v"][:, cols_h]) for j in range(6))
            h1[i] += z @ p["w_o"][cols_h]
    h2 = h1 + np.maximum(h1 @ p["w_1"] + p["b_1"], 0) @ p["w_2"] + p["b_2"]
    want = h2.mean(axis=0) @ p["w_out"] + p["b_out"]
    np.testing.assert_allclose(model.logits(image[None])[0], want, atol=1e-12)
    weights = model.attention_weights(image[None])
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_mlp_classifier_logits_match_a_plain_loop(rng):
    model = ca.MLPClassifier((2, 2, 2), 3, rng=0, hidden=4)
    p = model.params
    image = rng.uniform(size=(2, 2, 2))
    x = image.ravel()
    hidden = [
        max(0.0, sum(x[i] * p["w_1"][i, u] for i in range(8)) + p["b_1"][u])
        for u in range(4)
    ]
    want = [
        sum(hidden[u] * p["w_2"][u, k] for u in range(4)) + p["b_2"][k]
        for k in range(3)
    ]
    np.testing.assert_allclose(model.logits(image[None])[0], want, atol=1e-12)


def test_cross_entropy_against_the_formula(rng):
    logits = rng.normal(size=(4, 3)) * 5
    labels = np.array([0, 2, 1, 2])
    loss, grad = ca.cross_entropy(logits, labels)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(4), labels])))
    want = (probs - np.eye(3)[labels]) / 4
    np.testing.assert_allclose(grad, want, atol=1e-15)
    # stable for huge logits
    loss, _ = ca.cross_entropy(np.array([[1e4, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1e4)


# --- what each architecture promises ------------------------------------------


def test_conv_receptive_field_is_the_window_a_last_layer_feature_reads(rng):
    model = ca.ConvClassifier((16, 16), 2, rng=0, channels=(2, 2))
    assert model.receptive_field == 8  # 3, then +1 for the pooling, then +2 * 2
    # Large biases keep every ReLU on: the network is then linear, and a
    # feature depends on exactly the pixels of its window.
    model.params["bias_1"][:] = 100.0
    model.params["bias_2"][:] = 1e4
    base = rng.uniform(size=(1, 16, 16))
    feature = (3, 4)  # a last-layer position, on the 8 x 8 map

    def last_layer(img):
        _, cache = model._forward(model._images(img))
        return cache["layers"][-1][1][0, feature[0], feature[1]]

    reached = np.zeros((16, 16), bool)
    for r in range(16):
        for c in range(16):
            bumped = base.copy()
            bumped[0, r, c] += 1.0
            reached[r, c] = np.abs(last_layer(bumped) - last_layer(base)).max() > 1e-9
    rows, cols = np.nonzero(reached)
    assert rows.max() - rows.min() + 1 == model.receptive_field
    assert cols.max() - cols.min() + 1 == model.receptive_field


def test_attention_without_positions_ignores_a_permutation_of_the_pixels(rng):
    images = rng.uniform(size=(3, 4, 4))
    permuted, _ = ca.permute_pixels(images, rng=1)
    plain = ca.AttentionClassifier((4, 4), 3, rng=0, position_dims=0)
    np.testing.assert_allclose(plain.logits(permuted), plain.logits(images), atol=1e-12)
    with_positions = ca.AttentionClassifier((4, 4), 3, rng=0)
    assert (
        np.abs(with_positions.logits(permuted) - with_positions.logits(images)).max()
        > 1e-6
    )


def test_local_prior_makes_untrained_attention_read_its_neighbours(rng):
    images = rng.uniform(size=(2, 6, 6))
    local = ca.AttentionClassifier((6, 6), 2, rng=0, local_prior=2.0)
    plain = ca.AttentionClassifier((6, 6), 2, rng=0)
    query = ca.pixel_index(3, 3, (6, 6))
    near = np.zeros((6, 6), bool)
    near[2:5, 2:5] = True
    for model, low, high in [(local, 0.8, 1.0), (plain, 0.0, 0.6)]:
        w = model.attention_weights(images)[:, :, query].reshape(2, -1, 6, 6)
        inside = w[..., near].sum(axis=-1)
        assert ((inside > low) & (inside <= high + 1e-12)).all(), inside


def test_parameter_counts_by_hand():
    conv = ca.ConvClassifier((8, 8), 10, rng=0, channels=(8, 32))
    assert conv.num_params == (9 * 8 + 8) + (9 * 8 * 32 + 32) + (32 * 10 + 10)
    attn = ca.AttentionClassifier(
        (8, 8), 10, rng=0, d=16, mlp_width=32, position_dims=8
    )
    assert attn.num_params == (9 * 16 + 16) + 4 * 16 * 16 + (
        16 * 32 + 32 + 32 * 16 + 16
    ) + (16 * 10 + 10)
    mlp = ca.MLPClassifier((8, 8), 10, rng=0, hidden=32)
    assert mlp.num_params == 64 * 32 + 32 + 32 * 10 + 10
    # conv and attention do not grow with the image; the MLP does
    assert ca.ConvClassifier((12, 12), 10, rng=0).num_params == conv.num_params
    assert ca.AttentionClassifier((12, 12), 10, rng=0).num_params == attn.num_params
    assert ca.MLPClassifier((12, 12), 10, rng=0).num_params > mlp.num_params


def test_same_seed_same_model_and_a_generator_works():
    a = ca.ConvClassifier((4, 4), 2, rng=3)
    b = ca.ConvClassifier((4, 4), 2, rng=np.random.default_rng(3))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    c = ca.ConvClassifier((4, 4), 2, rng=4)
    assert not np.array_equal(a.params["kernel_1"], c.params["kernel_1"])


# --- training -----------------------------------------------------------------


def two_blobs(rng, n=60):
    labels = np.arange(n) % 2
    images = rng.uniform(0, 0.2, size=(n, 4, 4))
    images[labels == 1, :2, :2] += 0.8  # class 1: a bright top-left corner
    return images, labels


@pytest.mark.parametrize(
    "make",
    [
        lambda: ca.ConvClassifier((4, 4), 2, rng=0, channels=(4, 4)),
        lambda: ca.AttentionClassifier((4, 4), 2, rng=0, d=8),
        lambda: ca.MLPClassifier((4, 4), 2, rng=0),
    ],
)
def test_fit_classifier_learns_an_easy_task(rng, make):
    images, labels = two_blobs(rng)
    model = make()
    history = ca.fit_classifier(model, images, labels, steps=80, lr=0.03, batch_size=16)
    assert history.shape == (80,)
    assert history[-10:].mean() < 0.5 * history[:10].mean()
    assert ca.accuracy(model, images, labels) == 1.0


def test_fit_classifier_is_reproducible_and_prints_rounded_progress(rng):
    images, labels = two_blobs(rng, n=20)
    runs = []
    for _ in range(2):
        model = ca.MLPClassifier((4, 4), 2, rng=0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ca.fit_classifier(model, images, labels, steps=10, print_every=4, rng=7)
        runs.append((out.getvalue(), model.params["w_1"].copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    lines = runs[0][0].splitlines()
    assert [line.split()[1] for line in lines] == ["0", "4", "8", "9"]
    assert all(len(line.split()[-1].split(".")[1]) == 4 for line in lines)


def test_fit_many_in_worker_processes_equals_one_run_after_the_other(rng):
    images, labels = two_blobs(rng, n=20)

    def runs():
        return [
            dict(
                model=make(),
                images=images,
                labels=labels,
                test_images=images[:8],
                test_labels=labels[:8],
                steps=12,
                lr=0.03,
                rng=seed,
            )
            for seed, make in enumerate(
                [
                    lambda: ca.ConvClassifier((4, 4), 2, rng=0, channels=(4, 4)),
                    lambda: ca.AttentionClassifier((4, 4), 2, rng=1, d=8),
                    lambda: ca.MLPClassifier((4, 4), 2, rng=2),
                ]
            )
        ]

    serial = ca.fit_many(runs(), processes=1)
    parallel = ca.fit_many(runs(), processes=2)
    for (m1, train1, test1), (m2, train2, test2) in zip(serial, parallel, strict=True):
        assert (train1, test1) == (train2, test2)
        assert 0.0 <= test1 <= 1.0
        for name in m1.params:
            np.testing.assert_array_equal(m1.params[name], m2.params[name])
    # The same as calling fit_classifier directly.
    first = runs()[0]
    ca.fit_classifier(first["model"], images, labels, steps=12, lr=0.03, rng=0)
    for name in first["model"].params:
        np.testing.assert_array_equal(
            first["model"].params[name], serial[0][0].params[name]
        )
    assert serial[0][1] == ca.accuracy(first["model"], images, labels)


# --- bad inputs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: ca.ConvClassifier((8,), 10), ValueError, "image_shape"),
        (lambda: ca.ConvClassifier("8x8", 10), ValueError, "image_shape"),
        (lambda: ca.ConvClassifier((8, 8), 1), ValueError, "num_classes"),
        (lambda: ca.ConvClassifier((8, 8), 2.0), TypeError, "num_classes"),
        (lambda: ca.ConvClassifier((8, 8), 10, rng=-1), ValueError, "rng"),
        (lambda: ca.ConvClassifier((8, 8), 10, rng=0.5), TypeError, "rng"),
        (lambda: ca.ConvClassifier((8, 8), 10, dtype=np.int32), ValueError, "dtype"),
        (lambda: ca.MLPClassifier((8, 8), 10, dtype="half"), ValueError, "dtype"),
        (lambda: ca.AttentionClassifier((8, 8), 10, dtype=5), TypeError, "dtype"),
        (lambda: ca.ConvClassifier((8, 8), 10, channels=()), ValueError, "channels"),
        (lambda: ca.ConvClassifier((8, 8), 10, channels=8), TypeError, "channels"),
        (
            lambda: ca.ConvClassifier((8, 8), 10, channels=(8, 0)),
            ValueError,
            r"channels\[1\]",
        ),
        (
            lambda: ca.ConvClassifier((8, 8), 10, kernel_size=4),
            ValueError,
            "kernel_size",
        ),
        (lambda: ca.ConvClassifier((7, 8), 10), ValueError, "image_shape"),
        (
            lambda: ca.ConvClassifier((8, 6), 10, channels=(2, 2, 2)),
            ValueError,
            "image_shape",
        ),
        (
            lambda: ca.AttentionClassifier((8, 8), 10, num_heads=3),
            ValueError,
            "num_heads",
        ),
        (
            lambda: ca.AttentionClassifier((8, 8), 10, position_dims=6),
            ValueError,
            "position_dims",
        ),
        (
            lambda: ca.AttentionClassifier((8, 8), 10, local_prior=0.0),
            ValueError,
            "local_prior",
        ),
        (lambda: ca.AttentionClassifier((8, 8), 10, d=0), ValueError, "d"),
        (lambda: ca.MLPClassifier((8, 8), 10, hidden=0), ValueError, "hidden"),
        (
            lambda: ca.MLPClassifier((8, 8), 10).logits(np.zeros((2, 8, 7))),
            ValueError,
            "images",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).logits(np.zeros((8, 8))),
            ValueError,
            "images",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).logits(np.zeros((0, 8, 8))),
            ValueError,
            "images",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).logits(np.full((1, 8, 8), np.nan)),
            ValueError,
            "images",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).loss_and_grads(
                np.zeros((2, 8, 8)), [0, 10]
            ),
            ValueError,
            "labels",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).loss_and_grads(
                np.zeros((2, 8, 8)), [0.0, 1.0]
            ),
            TypeError,
            "labels",
        ),
        (
            lambda: ca.MLPClassifier((8, 8), 10).loss_and_grads(
                np.zeros((2, 8, 8)), [0]
            ),
            ValueError,
            "labels",
        ),
        (
            lambda: ca.fit_classifier("model", np.zeros((2, 8, 8)), [0, 1]),
            TypeError,
            "model",
        ),
        (
            lambda: ca.fit_classifier(
                ca.MLPClassifier((8, 8), 2), np.zeros((2, 8, 8)), [0, 1], steps=0
            ),
            ValueError,
            "steps",
        ),
        (
            lambda: ca.fit_classifier(
                ca.MLPClassifier((8, 8), 2), np.zeros((2, 8, 8)), [0, 1], lr=-1.0
            ),
            ValueError,
            "lr",
        ),
        (
            lambda: ca.fit_classifier(
                ca.MLPClassifier((8, 8), 2), np.zeros((2, 8, 8)), [0, 1], batch_size=0
            ),
            ValueError,
            "batch_size",
        ),
        (
            lambda: ca.accuracy(
                ca.MLPClassifier((8, 8), 2), np.zeros((2, 8, 8)), [0, 1, 1]
            ),
            ValueError,
            "labels",
        ),
        (lambda: ca.cross_entropy(np.zeros(3), [0]), ValueError, "logits"),
    ],
)
def test_bad_inputs_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()
