"""Plain-loop references for the tests, written once, for clarity, not speed.

Each computes what a package function promises from its definition, one
pixel, one key or one term at a time, with none of the package's code.
"""

import math

import numpy as np


def loop_similarity(q, k, kind):
    out = np.zeros((len(q), len(k)))
    for i in range(len(q)):
        for j in range(len(k)):
            if kind == "dot":
                out[i, j] = sum(a * b for a, b in zip(q[i], k[j], strict=True))
            elif kind == "cosine":
                nq, nk = (
                    math.sqrt(sum(a * a for a in q[i])),
                    math.sqrt(sum(b * b for b in k[j])),
                )
                dot = sum(a * b for a, b in zip(q[i], k[j], strict=True))
                out[i, j] = 0.0 if nq == 0 or nk == 0 else dot / (nq * nk)
            else:
                out[i, j] = -sum((a - b) ** 2 for a, b in zip(q[i], k[j], strict=True))
    return out


def loop_top_k(scores, k):
    """The columns of each row's k largest scores, best first, ties towards
    the lower column: a plain sort of (-score, column) pairs per row."""
    return np.array(
        [
            [j for _, j in sorted((-x, j) for j, x in enumerate(row))[:k]]
            for row in scores
        ]
    )


def loop_hard(q, k, v, top, kind):
    scores = loop_similarity(q, k, kind)
    out = np.zeros((len(q), v.shape[1]))
    for i in range(len(q)):
        order = sorted(range(len(k)), key=lambda j: (-scores[i, j], j))
        out[i] = np.mean([v[j] for j in order[:top]], axis=0)
    return out


def loop_soft(q, k, v, temperature, kind):
    scores = loop_similarity(q, k, kind)
    out = np.zeros((len(q), v.shape[1]))
    for i in range(len(q)):
        m = max(scores[i])
        w = [math.exp((s - m) / temperature) for s in scores[i]]
        total = sum(w)
        for j in range(len(k)):
            out[i] += w[j] / total * v[j]
    return out


def loop_attention(q, k, v, bias=None):
    d = q.shape[1]
    out = np.zeros((len(q), v.shape[1]))
    weights = np.zeros((len(q), len(k)))
    for i in range(len(q)):
        scores = []
        for j in range(len(k)):
            s = sum(a * b for a, b in zip(q[i], k[j], strict=True)) / math.sqrt(d)
            if bias is not None:
                s += bias[i, j]
            scores.append(s)
        m = max(scores)
        e = [math.exp(s - m) for s in scores]
        for j in range(len(k)):
            weights[i, j] = e[j] / sum(e)
            out[i] += weights[i, j] * v[j]
    return out, weights


def loop_multi_head(x, w_q, w_k, w_v, w_o, num_heads, bias=None):
    dh, dvh = w_q.shape[1] // num_heads, w_v.shape[1] // num_heads
    heads, all_weights = [], []
    for h in range(num_heads):
        q = x @ w_q[:, h * dh : (h + 1) * dh]
        k = x @ w_k[:, h * dh : (h + 1) * dh]
        v = x @ w_v[:, h * dvh : (h + 1) * dvh]
        b = None if bias is None else (bias[h] if bias.ndim == 3 else bias)
        out, w = loop_attention(q, k, v, b)
        heads.append(out)
        all_weights.append(w)
    return np.concatenate(heads, axis=1) @ w_o, np.stack(all_weights)


def source_pixel(p, n, padding):
    """The input index that padded coordinate p copies, or None for a zero."""
    if 0 <= p < n:
        return p
    if padding == "zeros":
        return None
    if padding == "circular":
        return p % n
    if padding == "edge":  # the nearest pixel inside
        return min(max(p, 0), n - 1)
    # reflect, without repeating the edge pixel
    return -p if p < 0 else 2 * (n - 1) - p


def loop_conv2d(image, kernel, padding, stride=1, dilation=1):
    """out[r, c, o] = sum_{a, b, i} kernel[a, b, i, o] * image[s*r + d*(a - kh//2), ...].

    The output rows are r = 0, 1, ... as long as the query pixel s*r is a row
    of the image (padded modes) or the whole dilated window lies inside it
    (valid).
    """
    x = image if image.ndim == 3 else image[:, :, None]
    h, w, c_in = x.shape
    kh, kw = kernel.shape[:2]
    s, d = stride, dilation
    depthwise = kernel.ndim == 2
    c_out = c_in if depthwise else kernel.shape[3]
    if padding == "valid":
        rows = [r for r in range(h) if s * r + d * (kh - 1) < h]
        cols = [c for c in range(w) if s * c + d * (kw - 1) < w]
        off_r = off_c = 0
    else:
        rows = [r for r in range(h) if s * r < h]
        cols = [c for c in range(w) if s * c < w]
        off_r, off_c = kh // 2, kw // 2
    out = np.zeros((len(rows), len(cols), c_out))
    for r in rows:
        for c in cols:
            for a in range(kh):
                for b in range(kw):
                    sr = source_pixel(s * r + d * (a - off_r), h, padding)
                    sc = source_pixel(s * c + d * (b - off_c), w, padding)
                    if sr is None or sc is None:
                        continue
                    for o in range(c_out):
                        if depthwise:
                            out[r, c, o] += kernel[a, b] * x[sr, sc, o]
                        else:
                            for i in range(c_in):
                                out[r, c, o] += kernel[a, b, i, o] * x[sr, sc, i]
    if image.ndim == 2 and depthwise:
        return out[:, :, 0]
    return out


def loop_local(q, k, v, shape, size, bias):
    h, w = shape
    r = size // 2
    out = np.zeros((h * w, v.shape[1]))
    for i in range(h * w):
        ri, ci = divmod(i, w)
        keys, scores = [], []
        for j in range(h * w):
            rj, cj = divmod(j, w)
            if abs(rj - ri) <= r and abs(cj - ci) <= r:
                keys.append(j)
                scores.append(
                    q[i] @ k[j] / math.sqrt(q.shape[1]) + bias[rj - ri + r, cj - ci + r]
                )
        m = max(scores)
        e = [math.exp(s - m) for s in scores]
        for j, e_j in zip(keys, e, strict=True):
            out[i] += e_j / sum(e) * v[j]
    return out


def loop_conv_macs(h, w, k, c_in, c_out):
    """Count the multiply-adds of a plain-loop, zero-padded conv2d."""
    count = 0
    for _r in range(h):
        for _c in range(w):
            for _a in range(k):
                for _b in range(k):
                    count += c_in * c_out  # one C_in x C_out matrix per offset
    return count


def loop_relative_error(got, want):
    num = sum((a - b) ** 2 for a, b in zip(got.ravel(), want.ravel(), strict=True))
    den = sum(b**2 for b in want.ravel())
    return float(np.sqrt(num / den))


def loop_bias(shape, distance, sharpness):
    h, w = shape
    out = np.zeros((h * w, h * w))
    for i in range(h * w):
        for j in range(h * w):
            dr = j // w - i // w
            dc = j % w - i % w
            out[i, j] = -sharpness * (dr**2 + (dc - distance) ** 2)
    return out


def series_theta3(x):
    return sum(x ** (n * n) for n in range(-60, 61))


def paper_bound(image, kernel, alpha):
    """(theta_3(e^-alpha)^2 - 1) * sum_h 2 max|X W_h|, computed from scratch."""
    x = image[:, :, None] if image.ndim == 2 else image
    tokens = x.reshape(-1, x.shape[2])
    size = kernel.shape[0]
    total = 0.0
    for a in range(size):
        for b in range(size):
            w_h = (
                kernel[a, b] * np.eye(x.shape[2]) if kernel.ndim == 2 else kernel[a, b]
            )
            total += 2 * np.abs(tokens @ w_h).max()
    t = sum(math.exp(-alpha * n * n) for n in range(1, 61))  # theta_3 = 1 + 2t
    return (4 * t + 4 * t * t) * total
