"""Training attention in plain numpy: a hand-derived backward pass, a gradient
check, the Adam optimiser and a small training loop.

The forward pass is :func:`convattn.attention.multi_head_attention`:
``Q = X W_Q``, ``K = X W_K``, ``V = X W_V``; per head
``A_h = softmax(c Q_h K_h^T + B_h)`` with ``c = 1 / sqrt(d / N_h)``;
``Z = [A_1 V_1, ..., A_{N_h} V_{N_h}]`` and ``Y = Z W_O``. Here ``M_h`` are
the columns of head ``h`` in ``M``, and ``dM`` is ``dL/dM`` for a scalar
loss ``L``. With ``G = dL/dY`` the backward pass runs the forward pass in
reverse, head by head (``*`` multiplies entry by entry, ``rowsum`` sums each
row and is subtracted from every entry of that row)::

    dW_O = Z^T G                    dZ_h = (G W_O^T)_h
    dA_h = dZ_h V_h^T               dV_h = A_h^T dZ_h
    dS_h = A_h * (dA_h - rowsum(dA_h * A_h))        # through the softmax
    dQ_h = c dS_h K_h               dK_h = c dS_h^T Q_h
    dW_Q = X^T dQ   dW_K = X^T dK   dW_V = X^T dV
    dX   = dQ W_Q^T + dK W_K^T + dV W_V^T

:func:`gradient_check` compares these with central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ._validate import (
    as_float_array,
    as_positive_float,
    as_positive_int,
    as_real,
    check_flag,
    check_rng,
    check_same_shape,
)
from .attention import SelfAttention, _check_layer, _forward, _merge_heads, _split_heads

__all__ = [
    "Adam",
    "attention_backward",
    "attention_forward",
    "fit",
    "gradient_check",
    "loss_and_grads",
    "mse_loss",
]

PARAM_NAMES = ("w_q", "w_k", "w_v", "w_o")
#: What :func:`attention_forward` keeps for :func:`attention_backward`.
_CACHE_KEYS = ("tokens", "q", "k", "v", "weights", "heads", *PARAM_NAMES, "num_heads")


def _check_params(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict of {list(PARAM_NAMES)}; got {params!r:.60}"
        )
    missing = [n for n in PARAM_NAMES if n not in params]
    if missing:
        raise ValueError(f"params must hold {list(PARAM_NAMES)}; missing {missing}")
    return {n: params[n] for n in PARAM_NAMES}


def attention_forward(
    params: Mapping[str, np.ndarray],
    tokens: np.ndarray,
    num_heads: int = 1,
    bias: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Forward pass of multi-head self-attention, keeping what the backward pass needs.

    Parameters
    ----------
    params : dict
        ``w_q``, ``w_k`` ``(C, d)``, ``w_v`` ``(C, d_v)``, ``w_o`` ``(d_v, C_out)``.
    tokens : ndarray, shape (N, C) or (B, N, C)
    num_heads : int
    bias : ndarray, optional
        ``(N, N)`` or ``(num_heads, N, N)``.

    Returns
    -------
    output : ndarray, shape (N, C_out) or (B, N, C_out)
        The same as :func:`~convattn.attention.multi_head_attention`.
    cache : dict
        Inputs and intermediates (queries, keys, values per head, weights,
        heads' outputs) for :func:`attention_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> params = {n: np.eye(2) for n in ("w_q", "w_k", "w_v", "w_o")}
    >>> out, cache = attention_forward(params, np.eye(2))
    >>> cache["weights"].shape
    (1, 2, 2)
    """
    p = _check_params(params)
    x, w_q, w_k, w_v, w_o, h, b = _check_layer(
        tokens, p["w_q"], p["w_k"], p["w_v"], p["w_o"], num_heads, bias
    )
    out, cache = _forward(x, w_q, w_k, w_v, w_o, h, b)
    cache.update(tokens=x, w_q=w_q, w_k=w_k, w_v=w_v, w_o=w_o, num_heads=h)
    return out, cache


def _flat(a: np.ndarray) -> np.ndarray:
    """Stack every token of a batch: (..., N, C) -> (B * N, C)."""
    return a.reshape(-1, a.shape[-1])


def attention_backward(grad_output: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
    """Hand-derived backward pass of multi-head self-attention.

    Parameters
    ----------
    grad_output : ndarray, shape of the forward output
        ``dL/dY``, the gradient of a scalar loss with respect to the output.
    cache : dict
        From :func:`attention_forward`.

    Returns
    -------
    dict
        ``dL/dw_q``, ``dL/dw_k``, ``dL/dw_v``, ``dL/dw_o`` (summed over a
        batch) under the names of the matrices, and ``dL/dtokens`` under
        ``"tokens"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> params = {n: rng.normal(size=(3, 3)) for n in ("w_q", "w_k", "w_v", "w_o")}
    >>> out, cache = attention_forward(params, rng.normal(size=(4, 3)))
    >>> grads = attention_backward(np.ones_like(out), cache)
    >>> sorted(grads), grads["tokens"].shape
    (['tokens', 'w_k', 'w_o', 'w_q', 'w_v'], (4, 3))
    """
    if not isinstance(cache, Mapping):
        raise TypeError(
            f"cache must be the dict returned by attention_forward; got "
            f"{type(cache).__name__}"
        )
    missing = [key for key in _CACHE_KEYS if key not in cache]
    if missing:
        raise ValueError(
            f"cache must be the dict returned by attention_forward; it lacks {missing}"
        )
    x, heads, weights = cache["tokens"], cache["heads"], cache["weights"]
    q, k, v = cache["q"], cache["k"], cache["v"]
    w_q, w_k, w_v, w_o = cache["w_q"], cache["w_k"], cache["w_v"], cache["w_o"]
    out_shape = (*heads.shape[:-1], w_o.shape[1])
    g = as_float_array(grad_output, "grad_output")
    if g.shape != out_shape:
        raise ValueError(
            f"grad_output must have the output's shape {out_shape}; got {g.shape}"
        )
    scale = 1.0 / float(np.sqrt(q.shape[-1]))  # a Python float keeps float32
    d_w_o = _flat(heads).T @ _flat(g)
    d_heads = _split_heads(g @ w_o.T, cache["num_heads"])  # (..., Nh, N, d_v/Nh)
    d_weights = d_heads @ np.swapaxes(v, -1, -2)
    d_v = np.swapaxes(weights, -1, -2) @ d_heads
    # softmax backward, row by row: dS = A * (dA - sum_j dA_j A_j)
    d_scores = weights * (d_weights - (d_weights * weights).sum(-1, keepdims=True))
    d_scores *= scale
    d_q = _merge_heads(d_scores @ k)
    d_k = _merge_heads(np.swapaxes(d_scores, -1, -2) @ q)
    d_v = _merge_heads(d_v)
    xf = _flat(x)
    return {
        "w_q": xf.T @ _flat(d_q),
        "w_k": xf.T @ _flat(d_k),
        "w_v": xf.T @ _flat(d_v),
        "w_o": d_w_o,
        "tokens": d_q @ w_q.T + d_k @ w_k.T + d_v @ w_v.T,
    }


def mse_loss(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient with respect to ``prediction``.

    Returns
    -------
    loss : float
        ``mean((prediction - target) ** 2)``.
    grad : ndarray
        ``2 (prediction - target) / prediction.size``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, grad = mse_loss(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    >>> loss, grad
    (2.0, array([0., 2.]))
    """
    p, t = check_same_shape(prediction, target, "prediction", "target")
    diff = p - t
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def loss_and_grads(
    params: Mapping[str, np.ndarray],
    tokens: np.ndarray,
    target: np.ndarray,
    num_heads: int = 1,
    bias: np.ndarray | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of a self-attention layer and all its gradients.

    Parameters
    ----------
    params : dict
        ``w_q``, ``w_k``, ``w_v``, ``w_o``.
    tokens : ndarray, shape (N, C) or (B, N, C)
    target : ndarray, shape (N, C_out) or (B, N, C_out)
    num_heads : int
    bias : ndarray, optional

    Returns
    -------
    loss : float
    grads : dict
        As :func:`attention_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> params = {n: np.eye(2) for n in ("w_q", "w_k", "w_v", "w_o")}
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> loss, grads = loss_and_grads(params, x, x)
    >>> round(loss, 4), grads["w_o"].shape
    (0.1091, (2, 2))
    """
    out, cache = attention_forward(params, tokens, num_heads=num_heads, bias=bias)
    loss, grad = mse_loss(out, target)
    return loss, attention_backward(grad, cache)


def gradient_check(
    loss_fn: Callable[[dict], tuple[float, Mapping[str, np.ndarray]]],
    params: Mapping[str, np.ndarray],
    eps: float = 1e-6,
) -> dict[str, float]:
    """Compare analytic gradients with central finite differences.

    For every entry ``theta`` of every array in ``params``, the numerical
    derivative is ``(L(theta + eps) - L(theta - eps)) / (2 eps)``. Its error
    is of order ``eps**2`` (truncation) plus ``1e-16 / eps`` (rounding), about
    ``1e-10`` in float64 for the default ``eps``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> (loss, grads)``, with ``grads[name]`` the
        analytic gradient for every name in ``params``.
    params : dict of str to ndarray
        The point at which to check; float64 arrays (not modified).
    eps : float
        The finite-difference step.

    Returns
    -------
    dict of str to float
        For each name the relative error
        ``|g - g_num| / max(|g| + |g_num|, 1e-300)`` (Euclidean norms over
        the whole array): 0 for a perfect match, 1 for unrelated gradients.

    Examples
    --------
    >>> import numpy as np
    >>> def loss_fn(p):
    ...     return float((p["w"] ** 3).sum()), {"w": 3 * p["w"] ** 2}
    >>> errors = gradient_check(loss_fn, {"w": np.array([1.0, -2.0])})
    >>> errors["w"] < 1e-8
    True
    """
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be callable, loss_fn(params) -> (loss, grads); got "
            f"{type(loss_fn).__name__} {loss_fn!r:.40}"
        )
    if not isinstance(params, Mapping) or not params:
        raise TypeError(
            f"params must be a non-empty dict of arrays; got {params!r:.60}"
        )
    eps = as_positive_float(eps, "eps")
    point = {
        n: np.array(as_float_array(p, f"params[{n!r}]"), dtype=np.float64)
        for n, p in params.items()
    }
    _, grads = loss_fn({n: p.copy() for n, p in point.items()})
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"loss_fn must return (loss, grads) with grads a dict; got grads of type "
            f"{type(grads).__name__}"
        )
    errors = {}
    for name, value in point.items():
        if name not in grads:
            raise ValueError(f"loss_fn must return a gradient for {name!r}")
        analytic = np.asarray(grads[name], dtype=np.float64)
        if analytic.shape != value.shape:
            raise ValueError(
                f"loss_fn's gradient for {name!r} must have shape {value.shape}; "
                f"got {analytic.shape}"
            )
        numeric = np.zeros_like(value)
        # One entry at a time: this is a check, not a hot path.
        for idx in np.ndindex(value.shape):
            for sign in (1.0, -1.0):
                trial = {n: p.copy() for n, p in point.items()}
                trial[name][idx] += sign * eps
                numeric[idx] += sign * loss_fn(trial)[0] / (2 * eps)
        diff = np.linalg.norm(analytic - numeric)
        size = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        errors[name] = float(diff / max(size, 1e-300))
    return errors


class Adam:
    """The Adam optimiser (Kingma and Ba, 2015), updating arrays in place.

    Parameters
    ----------
    lr : float
        Step size.
    beta1, beta2 : float
        Decay rates of the running mean of the gradients and of their squares.
    eps : float
        Added to the denominator.

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([3.0])}
    >>> opt = Adam(lr=0.1)
    >>> for _ in range(200):
    ...     opt.step(params, {"w": 2 * params["w"]})  # minimise w**2
    >>> bool(abs(params["w"][0]) < 0.05)
    True
    """

    def __init__(
        self,
        lr: float = 0.01,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.lr = as_positive_float(lr, "lr")
        self.beta1 = as_real(beta1, "beta1", 0.0, 1.0, high_open=True)
        self.beta2 = as_real(beta2, "beta2", 0.0, 1.0, high_open=True)
        self.eps = as_positive_float(eps, "eps")
        self.t = 0
        self._m: dict[str, np.ndarray] = {}
        self._v: dict[str, np.ndarray] = {}

    def step(
        self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]
    ) -> None:
        """Move every array in ``params`` one step against its gradient, in place.

        ``grads`` must hold a finite gradient of the same shape for every
        array in ``params``; nothing is changed if one is wrong.
        """
        checked = self._check_step(params, grads)
        self.t += 1
        for name, p in params.items():
            g = checked[name]
            m = self._m.setdefault(name, np.zeros_like(p))
            v = self._v.setdefault(name, np.zeros_like(p))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    @staticmethod
    def _check_step(params, grads) -> dict[str, np.ndarray]:
        for name, arg in (("params", params), ("grads", grads)):
            if not isinstance(arg, Mapping):
                raise TypeError(
                    f"{name} must be a dict of arrays; got {type(arg).__name__}"
                )
        checked = {}
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"params[{name!r}] must be a float ndarray (it is updated in "
                    f"place); got {type(p).__name__}"
                )
            if name not in grads:
                raise ValueError(f"grads must hold a gradient for {name!r}; it has not")
            g = as_float_array(grads[name], f"grads[{name!r}]")
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{name!r}] must have the shape of params[{name!r}] "
                    f"{p.shape}; got {g.shape}"
                )
            checked[name] = g
        return checked


def fit(
    layer: SelfAttention,
    inputs: np.ndarray,
    targets: np.ndarray,
    steps: int = 300,
    lr: float = 0.01,
    batch_size: int | None = None,
    rng: np.random.Generator | int = 0,
    print_every: int | None = None,
    verbose: bool = True,
) -> np.ndarray:
    """Train a :class:`~convattn.SelfAttention` layer by Adam on the mean squared error.

    The layer's matrices are updated in place. Progress goes to standard
    output (never standard error), one line every ``print_every`` steps with
    the loss rounded to 4 decimals, so a notebook's stored output can be
    re-checked.

    Parameters
    ----------
    layer : SelfAttention
    inputs : ndarray, shape (B, N, C) or (N, C)
        Training images as tokens.
    targets : ndarray, shape (B, N, C_out) or (N, C_out)
    steps : int
        Number of optimiser steps.
    lr : float
        Adam's step size.
    batch_size : int, optional
        Images per step, drawn at random from ``inputs``; all of them by
        default.
    rng : numpy.random.Generator or int
        For drawing batches.
    print_every : int, optional
        Steps between progress lines; ``steps // 10`` by default.
    verbose : bool
        Print progress at all.

    Returns
    -------
    ndarray, shape (steps,)
        The training loss before each step.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(8, 5, 3))
    >>> layer = SelfAttention(3, d=4, rng=0)
    >>> history = fit(layer, x, x.mean(axis=1, keepdims=True).repeat(5, 1),
    ...               steps=100, lr=0.05, print_every=50)
    step    0  loss 0.2078
    step   50  loss 0.0006
    step   99  loss 0.0000
    >>> bool(history[-1] < history[0] / 10)
    True
    """
    if not isinstance(layer, SelfAttention):
        raise TypeError(f"layer must be a SelfAttention; got {type(layer).__name__}")
    x = as_float_array(inputs, "inputs", ndim=(2, 3))
    y = as_float_array(targets, "targets", ndim=(2, 3))
    if y.shape[:-1] != x.shape[:-1]:
        raise ValueError(
            f"targets must have one row per input token, shape {x.shape[:-1]} + "
            f"(C_out,); got {y.shape}"
        )
    steps = as_positive_int(steps, "steps")
    every = (
        max(steps // 10, 1)
        if print_every is None
        else as_positive_int(print_every, "print_every")
    )
    if batch_size is not None:
        if x.ndim != 3:
            raise ValueError("batch_size needs a batch of inputs, shape (B, N, C)")
        batch_size = as_positive_int(batch_size, "batch_size")
        if batch_size > x.shape[0]:
            raise ValueError(
                f"batch_size must be at most the number of images {x.shape[0]}; "
                f"got {batch_size}"
            )
    rng = check_rng(rng)
    verbose = check_flag(verbose, "verbose")
    params = layer.params
    opt = Adam(lr=lr)
    history = np.empty(steps)
    for step in range(steps):
        if batch_size is None:
            xb, yb = x, y
        else:
            pick = rng.choice(x.shape[0], size=batch_size, replace=False)
            xb, yb = x[pick], y[pick]
        loss, grads = loss_and_grads(params, xb, yb, layer.num_heads, layer.bias)
        history[step] = loss
        if verbose and (step % every == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {loss:.4f}")
        opt.step(params, grads)
    return history
