"""Exact attention in bounded memory: the online softmax over blocks of keys.

Full attention builds the ``N x N`` weight matrix, which for a 256 x 256 image
(``N = 65,536``) takes 16 GiB in float32. :func:`blockwise_attention` computes
the same output, exactly up to float rounding, while holding only one
``block_size x block_size`` tile of scores at a time. The one-pass softmax
normaliser (running maximum and sum) is Milakov and Gimelshein's (2018); the
rescaled accumulator of the output is Rabe and Staats' (2021) and Dao et
al.'s (2022).

For each query ``i`` it keeps three running quantities over the key blocks
seen so far: the maximum score ``m_i``, the sum ``l_i`` of ``exp(s_ij - m_i)``
and the accumulator ``sum_j exp(s_ij - m_i) v_j``. When a new block raises the
maximum to ``m_new``, the old sum and accumulator are rescaled by
``exp(m_i - m_new)``; after the last block, ``accumulator / l_i`` is the output.

Training needs the gradients too, and the textbook backward pass reads the
stored ``N x N`` weights. :func:`blockwise_attention_grad` keeps only
``m_i + log l_i`` per query and recomputes each tile of weights from it:
FlashAttention's backward pass recomputes its tiles the same way from the
saved ``m_i`` and ``l_i`` (Dao et al. 2022), FlashAttention-2 from their
log-sum-exp, as here (Dao 2023). The gradients then need ``O(B^2 + N d)``
memory, never the ``N x N`` weights.
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    as_float_array,
    as_positive_int,
    check_qkv,
    check_scores,
    keeps_float16,
)

__all__ = ["blockwise_attention", "blockwise_attention_grad", "online_softmax_steps"]


@keeps_float16
def blockwise_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, block_size: int = 1024
) -> np.ndarray:
    """Exact scaled dot-product attention, one block of keys at a time.

    Returns ``softmax(q k^T / sqrt(d)) v``, the same as
    :func:`~convattn.attention.scaled_dot_product_attention`, but never builds the full
    ``Nq x Nk`` score matrix: queries and keys are both processed in blocks of
    ``block_size`` rows, so the extra memory is one ``block_size x block_size``
    tile of scores plus the ``Nq x d_v`` output (and a few ``block_size x d``
    buffers): ``O(B^2 + N d_v)``, never more than ``O(N B)`` when
    ``d_v <= B <= N``. No full-size copy of ``q``, ``k`` or ``v`` is made
    (unless their dtypes differ and they must be converted).

    Parameters
    ----------
    q : array_like, shape (Nq, d)
        Queries, one row per query pixel.
    k : array_like, shape (Nk, d)
        Keys, one row per key pixel.
    v : array_like, shape (Nk, d_v)
        Values, one row per key pixel.
    block_size : int
        How many queries and how many keys are processed at a time, ``B >= 1``.
        Any value gives the same result up to float rounding; larger blocks are
        faster (bigger matrix products) and use more memory.

    Returns
    -------
    ndarray, shape (Nq, d_v)
        The attention output. float32 if all of ``q``, ``k``, ``v`` are
        float32, else float64.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    >>> s = q @ k.T / 2.0
    >>> w = np.exp(s - s.max(axis=1, keepdims=True))
    >>> full = (w / w.sum(axis=1, keepdims=True)) @ v
    >>> bool(np.allclose(blockwise_attention(q, k, v, block_size=3), full))
    True
    """
    q, k, v = check_qkv(q, k, v)
    block = as_positive_int(block_size, "block_size")
    return _blockwise_forward(q, k, v, block)[0]


def _blockwise_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """The blockwise forward pass on checked inputs: ``(output, lse2)``.

    ``lse2[i] = m_i + log2(l_i)`` is the log-sum-exp of query ``i``'s scores
    in base 2 (scores scaled by ``log2(e) / sqrt(d)``), all that the backward
    pass needs to recompute any weight: ``w_ij = 2^(s_ij - lse2_i)``.
    """
    dtype = np.result_type(q, k, v)
    q, k, v = (
        q.astype(dtype, copy=False),
        k.astype(dtype, copy=False),
        v.astype(dtype, copy=False),
    )
    n_q, d = q.shape
    n_k, d_v = v.shape
    # Two cheap tricks keep the work in the matrix products, where numpy is
    # fastest. (1) The scale is folded into each block of queries (B*d
    # operations, not B*B), together with log2(e), so that exp2 gives the
    # same weights: 2^(s*log2(e)) = e^s. Base 2 is a convention, not a
    # speed-up: benchmarks/bench_exp.py times exp2 against exp, and with
    # numpy 2.4 on x86-64 exp was the faster. Scores are then in base-2
    # units, and so are m and m_new, which is why exp2(m - m_new) is the
    # rescaling factor. (2) A column of ones after each block of values makes
    # the running sum l_i come out of the same product as the accumulator.
    # Both are done block by block, into small buffers, so that no full-size
    # copy of q or v is made: the extra memory is one B x B tile plus the
    # Nq x d_v output.
    scale = dtype.type(np.log2(np.e) / np.sqrt(d))
    q_buf = np.empty((min(block, n_q), d), dtype=dtype)
    v1 = np.ones((min(block, n_k), d_v + 1), dtype=dtype)
    out = np.empty((n_q, d_v), dtype=dtype)
    lse2 = np.empty(n_q, dtype=dtype)
    for q0 in range(0, n_q, block):
        q_blk = q_buf[: min(block, n_q - q0)]
        np.multiply(q[q0 : q0 + block], scale, out=q_blk)
        m = np.full(len(q_blk), -np.inf, dtype=dtype)  # running maximum m_i
        # acc[:, :d_v] is the rescaled accumulator o_i, acc[:, d_v] the running
        # sum l_i; both stay measured against the current m_i.
        acc = np.zeros((len(q_blk), d_v + 1), dtype=dtype)
        for k0 in range(0, n_k, block):
            n_blk = min(block, n_k - k0)
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                scores = q_blk @ k[k0 : k0 + n_blk].T
            m_new = np.maximum(m, scores.max(axis=1))
            # The overflow rule of scaled_dot_product_attention: an overflowing
            # score (inf, or NaN from inf - inf) reaches the row's maximum.
            check_scores(m_new, dtype)
            # 2^(-inf) = 0 on the first block, where nothing is accumulated yet.
            rescale = np.exp2(m - m_new)
            np.subtract(scores, m_new[:, None], out=scores)
            np.exp2(scores, out=scores)
            v1[:n_blk, :d_v] = v[k0 : k0 + n_blk]
            acc *= rescale[:, None]
            acc += scores @ v1[:n_blk]
            m = m_new
            # Free the tile before the next product allocates one: otherwise
            # two B x B tiles are alive at once.
            del scores
        np.divide(acc[:, :d_v], acc[:, d_v:], out=out[q0 : q0 + block])
        lse2[q0 : q0 + block] = m + np.log2(acc[:, d_v])
    return out, lse2


def blockwise_attention_grad(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    grad_output: np.ndarray,
    block_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact gradients of attention with respect to q, k and v, in blockwise memory.

    For ``O = softmax(q k^T / sqrt(d)) v`` (:func:`blockwise_attention`) and
    the gradient ``dO = grad_output`` of some loss with respect to ``O``, it
    returns the gradients of that loss, ``sum(grad_output * O)`` to first
    order, with respect to ``q``, ``k`` and ``v``. Like FlashAttention's
    backward pass (Dao et al. 2022) it never stores the ``Nq x Nk`` weights:

    1. a blockwise forward pass keeps, besides ``O``, each query's
       log-sum-exp ``L_i = m_i + log l_i`` (running maximum and sum);
    2. ``D_i = sum_c dO_ic O_ic`` for every query;
    3. for every tile of ``block_size`` queries by ``block_size`` keys the
       weights are recomputed, ``P = exp(S - L)`` with ``S = q k^T / sqrt(d)``,
       and ``dv += P^T dO``, ``dP = dO v^T``, ``dS = P * (dP - D)``
       (the softmax Jacobian applied row by row), ``dq += dS k / sqrt(d)``,
       ``dk += dS^T q / sqrt(d)``.

    The extra memory is two ``block_size x block_size`` tiles plus ``O``
    and the three gradients, ``O(B^2 + N d)``; the time is about three to
    four forward passes (seven tile products instead of two).

    Parameters
    ----------
    q : array_like, shape (Nq, d)
    k : array_like, shape (Nk, d)
    v : array_like, shape (Nk, d_v)
    grad_output : array_like, shape (Nq, d_v)
        The gradient of the loss with respect to the attention output.
    block_size : int
        Queries and keys per tile, ``B >= 1``; any value gives the same
        result up to float rounding.

    Returns
    -------
    dq : ndarray, shape (Nq, d)
    dk : ndarray, shape (Nk, d)
    dv : ndarray, shape (Nk, d_v)
        float32 if all inputs are float32, else float64.

    Raises
    ------
    ValueError
        If the shapes do not fit together, ``block_size < 1``, or an array
        holds NaN or inf.
    TypeError
        If an array does not hold real numbers or ``block_size`` is not an
        integer.

    Examples
    --------
    The gradient with respect to ``v`` is ``weights^T grad_output``:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    >>> g = rng.normal(size=(5, 2))
    >>> dq, dk, dv = blockwise_attention_grad(q, k, v, g, block_size=3)
    >>> s = q @ k.T / 2.0
    >>> w = np.exp(s - s.max(axis=1, keepdims=True))
    >>> w /= w.sum(axis=1, keepdims=True)
    >>> bool(np.allclose(dv, w.T @ g)), dq.shape, dk.shape
    (True, (5, 4), (7, 4))
    """
    q, k, v = check_qkv(q, k, v)
    g = as_float_array(grad_output, "grad_output", ndim=2)
    if g.shape != (q.shape[0], v.shape[1]):
        raise ValueError(
            f"grad_output must have the shape of the attention output "
            f"(Nq, d_v) = {(q.shape[0], v.shape[1])}; got {g.shape}"
        )
    block = as_positive_int(block_size, "block_size")
    dtype = np.result_type(q, k, v, g)
    q, k, v, g = (a.astype(dtype, copy=False) for a in (q, k, v, g))
    out, lse2 = _blockwise_forward(q, k, v, block)
    n_q, d = q.shape
    n_k = k.shape[0]
    # Scores in base-2 units, as in the forward pass: the weights are then
    # 2^(s2 - lse2). dS is the gradient with respect to the natural scores
    # s = q k^T / sqrt(d); the 1/sqrt(d) of dq and dk is applied once at the end.
    scale = dtype.type(np.log2(np.e) / np.sqrt(d))
    inv_sqrt_d = dtype.type(1 / np.sqrt(d))
    dq = np.empty_like(q)
    dk = np.zeros_like(k)
    dv = np.zeros_like(v)
    q_buf = np.empty((min(block, n_q), d), dtype=dtype)
    for q0 in range(0, n_q, block):
        q_raw = q[q0 : q0 + block]
        q_blk = q_buf[: len(q_raw)]
        np.multiply(q_raw, scale, out=q_blk)
        g_blk = g[q0 : q0 + block]
        big_d = np.einsum("ij,ij->i", g_blk, out[q0 : q0 + block])[:, None]
        lse_blk = lse2[q0 : q0 + block, None]
        dq_blk = np.zeros_like(q_blk)
        for k0 in range(0, n_k, block):
            k_blk, v_blk = k[k0 : k0 + block], v[k0 : k0 + block]
            weights = q_blk @ k_blk.T
            np.subtract(weights, lse_blk, out=weights)
            np.exp2(weights, out=weights)
            dv[k0 : k0 + block] += weights.T @ g_blk
            d_scores = g_blk @ v_blk.T  # dP, turned into dS in place
            np.subtract(d_scores, big_d, out=d_scores)
            np.multiply(d_scores, weights, out=d_scores)
            del weights  # at most two B x B tiles alive at once
            dq_blk += d_scores @ k_blk
            dk[k0 : k0 + block] += d_scores.T @ q_raw
            del d_scores
        np.multiply(dq_blk, inv_sqrt_d, out=dq[q0 : q0 + block])
    dk *= inv_sqrt_d
    return dq, dk, dv


def online_softmax_steps(scores: np.ndarray, block_size: int) -> list[dict]:
    """Trace the online softmax of one row of scores, block by block.

    A teaching aid for the recurrence behind :func:`blockwise_attention`:
    after each block it records the running maximum ``m``, the running sum
    ``l`` (of ``exp(s_j - m)`` over the scores seen so far) and the weights
    the scores seen so far would get if the row ended there.

    Parameters
    ----------
    scores : array_like, shape (N,)
        One query's scores.
    block_size : int
        Scores consumed per step, ``B >= 1``.

    Returns
    -------
    list of dict
        One dict per block with keys ``"seen"`` (how many scores so far),
        ``"m"``, ``"l"`` (floats) and ``"weights"`` (array of length N; zero
        for scores not seen yet). The last entry's weights equal
        ``softmax(scores)``.

    Examples
    --------
    >>> steps = online_softmax_steps([0.0, 1.0, 2.0, 3.0], block_size=2)
    >>> [(s["seen"], s["m"]) for s in steps]
    [(2, 1.0), (4, 3.0)]
    >>> [round(float(w), 4) for w in steps[-1]["weights"]]
    [0.0321, 0.0871, 0.2369, 0.6439]
    """
    s = as_float_array(scores, "scores", ndim=1)
    if s.size == 0:
        raise ValueError("scores must hold at least one score; got an empty array")
    block = as_positive_int(block_size, "block_size")
    m, ell = -np.inf, 0.0
    steps = []
    for start in range(0, s.size, block):
        chunk = s[start : start + block]
        m_new = max(m, float(chunk.max()))
        ell = ell * np.exp(m - m_new) + float(np.exp(chunk - m_new).sum())
        m = m_new
        seen = start + len(chunk)
        weights = np.zeros_like(s)
        weights[:seen] = np.exp(s[:seen] - m) / ell
        steps.append({"seen": seen, "m": m, "l": float(ell), "weights": weights})
    return steps
