"""Three small image classifiers in plain numpy, with hand-derived backward passes.

All three map a batch of images ``(B, H, W)`` or ``(B, H, W, C)`` to one score
(logit) per class and share one interface: ``.params`` (a dict of arrays),
``.logits(images)``, ``.loss_and_grads(images, labels)`` (the mean
cross-entropy and its gradient for every array in ``.params``) and
``.predict(images)``. They differ in what each output pixel may read:

- :class:`ConvClassifier`: ``3 x 3`` convolutions with ReLU and average
  pooling, then the mean over all pixels and a linear read-out. Every
  feature reads a small window, with weights that depend only on the offset.
- :class:`AttentionClassifier`: every pixel (or patch of pixels) is a token
  with its position; one
  self-attention block (residual, with a small MLP), the mean over tokens and
  a linear read-out. Every token may read every other one. An optional fixed
  score bias ``-local_prior * |p_j - p_i|^2`` makes each query pixel start
  by reading its neighbourhood (a soft convolutional prior, after ConViT).
- :class:`MLPClassifier`: the pixels as one flat vector, one hidden ReLU
  layer. Nothing is shared between positions.

The backward passes run the forward passes in reverse. Convolution is
:func:`convattn.conv.conv2d`, and its backward pass is two more correlations: with
``G = dL/dY`` for ``Y = conv2d(X, W)`` (zero padding, odd ``K``)::

    dL/dX = conv2d(G, W flipped in space, C_in and C_out swapped)
    dL/dW[a, b] = sum over pixels p of X_padded[p + (a, b)]^T G[p]

The attention layer is :func:`convattn.train.attention_forward` and
:func:`convattn.train.attention_backward`. :func:`convattn.train.gradient_check`
compares all of them with central differences.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from ._validate import as_float_array, as_positive_float, as_positive_int, check_rng
from .attention import relative_position_bias, sinusoidal_encoding
from .conv import _valid_channels
from .retrieval import softmax
from .train import Adam, attention_backward, attention_forward

__all__ = [
    "AttentionClassifier",
    "ConvClassifier",
    "MLPClassifier",
    "accuracy",
    "cross_entropy",
    "fit_classifier",
    "fit_many",
]


# --- shared checks --------------------------------------------------------------


def _check_image_shape(image_shape: object) -> tuple[int, int, int]:
    """``(H, W)`` or ``(H, W, C)`` of positive ints -> ``(H, W, C)``."""
    if (
        not isinstance(image_shape, Sequence)
        or isinstance(image_shape, str)
        or len(image_shape) not in (2, 3)
        or not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0
            for s in image_shape
        )
    ):
        raise ValueError(
            "image_shape must be (H, W) or (H, W, C) of positive integers; "
            f"got {image_shape!r}"
        )
    h, w = int(image_shape[0]), int(image_shape[1])
    c = int(image_shape[2]) if len(image_shape) == 3 else 1
    return h, w, c


def _check_num_classes(num_classes: object) -> int:
    return as_positive_int(num_classes, "num_classes", minimum=2)


def _check_dtype(dtype: object) -> np.dtype:
    """``float32`` or ``float64``, the type of the parameters and activations."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}") from exc
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dt}")
    return dt


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax class probabilities, and its gradient.

    For one image with logits ``z`` and label ``y`` the loss is
    ``-log softmax(z)_y``; its gradient with respect to ``z`` is
    ``softmax(z) - onehot(y)``. Both are averaged over the batch.

    Parameters
    ----------
    logits : ndarray, shape (B, K)
    labels : ndarray of int, shape (B,)
        Each in ``0 ... K - 1``.

    Returns
    -------
    loss : float
    grad : ndarray, shape (B, K)
        ``dloss/dlogits``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, grad = cross_entropy(np.zeros((1, 4)), np.array([2]))
    >>> round(loss, 6) == round(float(np.log(4)), 6)
    True
    >>> grad
    array([[ 0.25,  0.25, -0.75,  0.25]])
    """
    z = as_float_array(logits, "logits", ndim=2)
    y = _check_labels(labels, z.shape[0], z.shape[1])
    probs = softmax(z, axis=1)
    b = z.shape[0]
    rows = np.arange(b)
    # log softmax, stably: z_y - max - log sum exp(z - max)
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted[rows, y] - np.log(np.exp(shifted).sum(axis=1))
    grad = probs.copy()
    grad[rows, y] -= 1.0
    return float(-log_probs.mean()), grad / b


def _check_labels(labels: object, batch: int, num_classes: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers; got dtype {y.dtype}")
    if y.shape != (batch,):
        raise ValueError(
            f"labels must have one entry per image, shape ({batch},); got {y.shape}"
        )
    if batch and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels must lie in 0 ... {num_classes - 1}; got values from "
            f"{y.min()} to {y.max()}"
        )
    return y


class _Classifier:
    """What the three classifiers share: input checks, ``predict``, counts."""

    image_shape: tuple[int, int, int]
    num_classes: int
    params: dict[str, np.ndarray]
    dtype: np.dtype

    def _images(self, images: object) -> np.ndarray:
        """A batch of images as ``(B, H, W, C)``, in the model's ``dtype``."""
        h, w, c = self.image_shape
        x = as_float_array(images, "images", ndim=(3, 4))
        if x.ndim == 3:
            x = x[..., None]
        if x.shape[1:] != (h, w, c):
            want = f"(B, {h}, {w})" if c == 1 else f"(B, {h}, {w}, {c})"
            raise ValueError(
                f"images must be a batch of shape {want} for this model; "
                f"got {as_float_array(images, 'images').shape}"
            )
        if x.shape[0] == 0:
            raise ValueError("images must hold at least one image; got 0")
        return x.astype(self.dtype, copy=False)

    def _cast(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The initial weights, drawn in float64, in the model's ``dtype``."""
        return {name: a.astype(self.dtype) for name, a in params.items()}

    @property
    def num_params(self) -> int:
        """The number of learned numbers."""
        return int(sum(p.size for p in self.params.values()))

    def logits(self, images: np.ndarray) -> np.ndarray:
        """One score per class for every image, shape ``(B, num_classes)``."""
        return self._forward(self._images(images))[0]

    def loss_and_grads(
        self, images: np.ndarray, labels: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy on a batch and its gradient for every parameter.

        Returns
        -------
        loss : float
        grads : dict
            Keyed like ``params``, each the shape of its parameter.
        """
        x = self._images(images)
        logits, cache = self._forward(x)
        loss, d_logits = cross_entropy(logits, labels)
        return loss, self._backward(d_logits, cache)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """The class with the largest logit for every image, shape ``(B,)``."""
        return self.logits(images).argmax(axis=1)

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, dict]:
        raise NotImplementedError

    def _backward(self, d_logits: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(image_shape={self.image_shape}, "
            f"num_classes={self.num_classes}, {self._settings()}, "
            f"dtype={self.dtype.name}) "
            f"with {self.num_params} parameters"
        )

    def _settings(self) -> str:
        return ""


def _normal(gen: np.random.Generator, shape: tuple[int, ...], fan_in: int, gain=1.0):
    """Weights with variance ``gain / fan_in`` (``gain = 2`` before a ReLU, He et al.)."""
    return gen.normal(scale=np.sqrt(gain / fan_in), size=shape)


# --- convolution ----------------------------------------------------------------


def _conv_batch(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """:func:`conv2d` (zero padding, same size) of every image of a batch at once.

    Each image ``(H, W, C)`` gets its own border of ``K // 2`` zeros, and the
    padded images are laid side by side into one wide image; one ``"valid"``
    call of ``conv2d`` then filters them all. Output column
    ``n (W + K - 1) + c`` is column ``c`` of image ``n``; the ``K - 1``
    columns after each image straddle two images and are dropped (``K - 1``
    more zero columns at the right make the output whole blocks). Side by
    side rather than one above the other, so that the rows ``conv2d`` copies
    and multiplies are long, not ``W`` pixels short.
    """
    b, h, w, c = x.shape
    k = kernel.shape[0]
    pad = k // 2
    wp = w + 2 * pad
    wide = np.zeros((h + 2 * pad, b * wp + 2 * pad, c), dtype=x.dtype)
    blocks = wide[:, : b * wp].reshape(h + 2 * pad, b, wp, c)
    blocks[pad : pad + h, :, pad : pad + w] = x.transpose(1, 0, 2, 3)
    out = _valid_channels(wide, kernel)  # conv2d "valid": (H, B (W + 2 pad), C_out)
    return out.reshape(h, b, wp, -1)[:, :, :w].transpose(1, 0, 2, 3)


def _kernel_grad(x: np.ndarray, grad: np.ndarray, k: int) -> np.ndarray:
    """``dL/dkernel`` of :func:`_conv_batch` for ``dL/doutput = grad``.

    ``dW[a, b, i, o] = sum over images n and pixels p of
    X_padded[n, p + (a, b), i] * G[n, p, o]``: a correlation of the padded
    input with the output gradient, in which the images play the part of
    channels and the gradient, ``(H, W, B, C_out)``, is the kernel. The input
    channels ``i`` are laid side by side into one wide image, so that a
    single ``"valid"`` ``conv2d`` computes them all; columns ``b`` of block
    ``i`` are the ones that read block ``i`` alone.
    """
    n, h, w, c_in = x.shape
    pad = k // 2
    wp = w + 2 * pad
    # W - 1 zero columns at the right make the output whole blocks of W + 2 pad.
    wide = np.zeros((h + 2 * pad, c_in * wp + w - 1, n), dtype=x.dtype)
    blocks = wide[:, : c_in * wp].reshape(h + 2 * pad, c_in, wp, n)
    blocks[pad : pad + h, :, pad : pad + w] = x.transpose(1, 3, 2, 0)
    out = _valid_channels(wide, grad.transpose(1, 2, 0, 3))  # conv2d "valid"
    # Output column i * (W + 2 pad) + b, for b < K, belongs to input channel i.
    out = out.reshape(k, c_in, wp, -1)[:, :, :k]  # (K, C_in, K, C_out)
    return out.transpose(0, 2, 1, 3)


def _pool(x: np.ndarray, size: int) -> np.ndarray:
    """Average over non-overlapping ``size x size`` blocks."""
    b, h, w, c = x.shape
    return x.reshape(b, h // size, size, w // size, size, c).mean(axis=(2, 4))


def _unpool(grad: np.ndarray, size: int) -> np.ndarray:
    """Backward pass of :func:`_pool`: each block shares its gradient equally."""
    b, h, w, c = grad.shape
    share = (grad / (size * size))[:, :, None, :, None, :]
    return np.broadcast_to(share, (b, h, size, w, size, c)).reshape(
        b, h * size, w * size, c
    )


class ConvClassifier(_Classifier):
    """A small convolutional network: ``3 x 3`` convolutions, ReLU, pooling.

    Layer ``l`` is ``relu(conv2d(x, kernel_l) + bias_l)`` (zero padding, so
    the size is kept), followed by ``pool x pool`` average pooling after
    every layer but the last. The last layer's maps are averaged over all
    pixels (global average pooling) and read out by ``w_out, b_out``.

    Every feature of the last layer reads a window of
    ``receptive_field`` pixels a side; global average pooling then *adds*
    the scores of all windows, so the classifier's logits are sums of local
    evidence. Its parameters do not depend on the image size.

    Parameters
    ----------
    image_shape : (H, W) or (H, W, C)
        ``H`` and ``W`` divisible by ``pool ** (len(channels) - 1)``.
    num_classes : int
    rng : numpy.random.Generator or int
        For the initial weights (He initialisation; biases 0).
    channels : sequence of int
        Output channels of each convolution.
    kernel_size : int
        Odd side ``K`` of every kernel.
    pool : int
        Side of the pooling blocks.
    dtype : float32 or float64
        Of the parameters and of every computation. float32 is faster and
        precise enough for training; use float64 for gradient checks.

    Attributes
    ----------
    params : dict
        ``kernel_1, bias_1, ..., kernel_L, bias_L`` (``kernel_l`` of shape
        ``(K, K, C_in, C_out)``), ``w_out`` ``(C_L, num_classes)``,
        ``b_out``.

    Examples
    --------
    >>> import numpy as np
    >>> model = ConvClassifier((8, 8), 10, rng=0)
    >>> model.num_params, model.receptive_field
    (2746, 8)
    >>> model.logits(np.zeros((5, 8, 8))).shape
    (5, 10)
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_classes: int,
        rng: np.random.Generator | int = 0,
        channels: Sequence[int] = (8, 32),
        kernel_size: int = 3,
        pool: int = 2,
        dtype: type | str = np.float64,
    ) -> None:
        self.image_shape = _check_image_shape(image_shape)
        self.num_classes = _check_num_classes(num_classes)
        self.dtype = _check_dtype(dtype)
        gen = check_rng(rng)
        if isinstance(channels, int | str) or not isinstance(channels, Sequence):
            raise TypeError(
                f"channels must be a sequence of ints, one per layer; got {channels!r}"
            )
        if not channels:
            raise ValueError("channels must name at least one layer; got none")
        self.channels = tuple(
            as_positive_int(c, f"channels[{i}]") for i, c in enumerate(channels)
        )
        k = as_positive_int(kernel_size, "kernel_size")
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd; got {k}")
        self.kernel_size = k
        self.pool = as_positive_int(pool, "pool")
        h, w, c = self.image_shape
        factor = self.pool ** (len(self.channels) - 1)
        if h % factor or w % factor:
            raise ValueError(
                f"image_shape must have H and W divisible by pool ** (layers - 1) = "
                f"{factor}; got {(h, w)}"
            )
        params = {}
        c_in = c
        for i, c_out in enumerate(self.channels, start=1):
            params[f"kernel_{i}"] = _normal(gen, (k, k, c_in, c_out), k * k * c_in, 2)
            params[f"bias_{i}"] = np.zeros(c_out)
            c_in = c_out
        params["w_out"] = _normal(gen, (c_in, self.num_classes), c_in)
        params["b_out"] = np.zeros(self.num_classes)
        self.params = self._cast(params)

    def _settings(self) -> str:
        return (
            f"channels={self.channels}, kernel_size={self.kernel_size}, "
            f"pool={self.pool}"
        )

    @property
    def receptive_field(self) -> int:
        """Side of the window of input pixels one last-layer feature reads.

        ``1 + sum over layers of (size - 1) * (product of earlier strides)``
        (Araujo et al. 2019), the convolutions being stride 1 and the
        poolings stride ``pool``.
        """
        field, jump = 1, 1
        for i in range(len(self.channels)):
            field += (self.kernel_size - 1) * jump
            if i < len(self.channels) - 1:
                field += (self.pool - 1) * jump
                jump *= self.pool
        return field

    def _forward(self, x):
        layers = []
        n_layers = len(self.channels)
        for i in range(1, n_layers + 1):
            pre = _conv_batch(x, self.params[f"kernel_{i}"]) + self.params[f"bias_{i}"]
            act = np.maximum(pre, 0.0)
            layers.append((x, pre))
            x = _pool(act, self.pool) if i < n_layers else act
        pooled = x.mean(axis=(1, 2))  # (B, C_L)
        logits = pooled @ self.params["w_out"] + self.params["b_out"]
        return logits, {"layers": layers, "pooled": pooled, "last_hw": x.shape[1:3]}

    def _backward(self, d_logits, cache):
        p = self.params
        grads = {
            "w_out": cache["pooled"].T @ d_logits,
            "b_out": d_logits.sum(axis=0),
        }
        h, w = cache["last_hw"]
        d_pooled = d_logits @ p["w_out"].T  # (B, C_L)
        # The mean over H x W pixels: each pixel gets 1 / (H W) of the gradient.
        b, c_last = d_pooled.shape
        d_act = np.broadcast_to(d_pooled[:, None, None, :] / (h * w), (b, h, w, c_last))
        for i in range(len(self.channels), 0, -1):
            x_in, pre = cache["layers"][i - 1]
            d_pre = d_act * (pre > 0)
            kernel = p[f"kernel_{i}"]
            grads[f"kernel_{i}"] = _kernel_grad(x_in, d_pre, self.kernel_size)
            grads[f"bias_{i}"] = d_pre.sum(axis=(0, 1, 2))
            if i > 1:
                # Adjoint of correlation: correlate with the flipped kernel,
                # input and output channels swapped.
                flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
                d_act = _unpool(_conv_batch(d_pre, flipped), self.pool)
        return {name: grads[name] for name in p}


# --- attention ------------------------------------------------------------------


class AttentionClassifier(_Classifier):
    """Pixels as tokens, one self-attention block, the mean over tokens, a read-out.

    Token ``n`` is pixel ``n``'s values with its position appended (a fixed
    2-D sinusoidal encoding, :func:`convattn.attention.sinusoidal_encoding`), mapped to
    width ``d`` by ``w_embed, b_embed``. Then one residual block, as in a
    transformer without layer normalisation::

        h1 = h0 + attention(h0)                       # w_q, w_k, w_v, w_o
        h2 = h1 + relu(h1 w_1 + b_1) w_2 + b_2        # a small MLP per token
        logits = mean over tokens of h2, times w_out, plus b_out

    The attention is :func:`convattn.train.attention_forward` (multi-head).
    With ``local_prior = alpha`` every head's scores get the fixed bias
    ``b_ij = -alpha |p_j - p_i|^2``: each query pixel starts by reading mostly
    its neighbours, a soft convolutional prior after the gated positional
    attention of ConViT (d'Ascoli et al. 2021; there the strength is learned
    per head). Content can still outweigh it.

    Parameters
    ----------
    image_shape : (H, W) or (H, W, C)
    num_classes : int
    rng : numpy.random.Generator or int
    d : int
        Width of the tokens, queries and keys.
    num_heads : int
        Must divide ``d``.
    mlp_width : int
        Hidden width of the MLP.
    position_dims : int
        Width of the positional encoding, a multiple of 4; 0 for none (then
        the model cannot tell where a pixel is).
    local_prior : float, optional
        ``alpha > 0`` of the local score bias; none by default.
    patch_size : int
        Side of the square patches that become tokens (1: every pixel is a
        token, as in :mod:`convattn.attention`; larger: a Vision Transformer's
        patches, ``patch_size**2 * C`` values per token). Divides ``H`` and ``W``.
    dtype : float32 or float64
        Of the parameters and of every computation. float32 is faster and
        precise enough for training; use float64 for gradient checks.

    Attributes
    ----------
    params : dict
        ``w_embed, b_embed, w_q, w_k, w_v, w_o, w_1, b_1, w_2, b_2, w_out, b_out``.
    positions : ndarray, shape (N, position_dims)
        The fixed encoding (not learned).
    bias : ndarray, shape (N, N), or None
        The fixed score bias.

    Examples
    --------
    >>> import numpy as np
    >>> model = AttentionClassifier((8, 8), 10, rng=0)
    >>> model.num_params
    2426
    >>> model.logits(np.zeros((5, 8, 8))).shape
    (5, 10)
    >>> weights = model.attention_weights(np.zeros((1, 8, 8)))
    >>> weights.shape  # (B, heads, query pixels, key pixels)
    (1, 2, 64, 64)
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_classes: int,
        rng: np.random.Generator | int = 0,
        d: int = 16,
        num_heads: int = 2,
        mlp_width: int = 32,
        position_dims: int = 8,
        local_prior: float | None = None,
        patch_size: int = 1,
        dtype: type | str = np.float64,
    ) -> None:
        self.image_shape = _check_image_shape(image_shape)
        self.num_classes = _check_num_classes(num_classes)
        self.dtype = _check_dtype(dtype)
        gen = check_rng(rng)
        self.patch_size = as_positive_int(patch_size, "patch_size")
        if (
            self.image_shape[0] % self.patch_size
            or self.image_shape[1] % self.patch_size
        ):
            raise ValueError(
                f"image_shape must have H and W divisible by patch_size "
                f"{self.patch_size}; got {self.image_shape[:2]}"
            )
        self.d = as_positive_int(d, "d")
        self.num_heads = as_positive_int(num_heads, "num_heads")
        if self.d % self.num_heads:
            raise ValueError(f"num_heads must divide d = {self.d}; got {num_heads}")
        self.mlp_width = as_positive_int(mlp_width, "mlp_width")
        self.position_dims = as_positive_int(position_dims, "position_dims", minimum=0)
        if self.position_dims % 4:
            raise ValueError(
                f"position_dims must be a multiple of 4; got {self.position_dims}"
            )
        h, w, c = self.image_shape
        ps = self.patch_size
        h, w, c = h // ps, w // ps, c * ps * ps  # the grid of tokens
        self.token_grid = (h, w)
        if self.position_dims:
            # A base of about the image size: the slowest wave spans the image.
            self.positions = sinusoidal_encoding(
                (h, w), self.position_dims, base=float(max(h, w, 2))
            )
        else:
            self.positions = np.zeros((h * w, 0))
        self.local_prior = (
            None
            if local_prior is None
            else as_positive_float(local_prior, "local_prior")
        )
        self.bias = (
            None
            if self.local_prior is None
            else relative_position_bias(
                (h, w), lambda dr, dc: 0.0 - self.local_prior * (dr**2 + dc**2)
            )
        )
        d, m, k = self.d, self.mlp_width, self.num_classes
        c_tok = c + self.position_dims
        self.positions = self.positions.astype(self.dtype)
        if self.bias is not None:
            self.bias = self.bias.astype(self.dtype)
        self.params = self._cast(
            {
                "w_embed": _normal(gen, (c_tok, d), c_tok),
                "b_embed": np.zeros(d),
                "w_q": _normal(gen, (d, d), d),
                "w_k": _normal(gen, (d, d), d),
                "w_v": _normal(gen, (d, d), d),
                "w_o": _normal(gen, (d, d), d),
                "w_1": _normal(gen, (d, m), d, 2),
                "b_1": np.zeros(m),
                "w_2": _normal(gen, (m, d), m),
                "b_2": np.zeros(d),
                "w_out": _normal(gen, (d, k), d),
                "b_out": np.zeros(k),
            }
        )

    def _settings(self) -> str:
        return (
            f"d={self.d}, num_heads={self.num_heads}, mlp_width={self.mlp_width}, "
            f"position_dims={self.position_dims}, local_prior={self.local_prior}, "
            f"patch_size={self.patch_size}"
        )

    def _tokens(self, x):
        b, h, w, c = x.shape
        ps = self.patch_size
        # (B, H, W, C) -> one row per ps x ps patch, its pixels row-major.
        patches = x.reshape(b, h // ps, ps, w // ps, ps, c).transpose(0, 1, 3, 2, 4, 5)
        patches = patches.reshape(b, (h // ps) * (w // ps), ps * ps * c)
        pos = np.broadcast_to(self.positions, (b, *self.positions.shape))
        return np.concatenate([patches, pos], axis=2)

    def _forward(self, x):
        p = self.params
        tokens = self._tokens(x)  # (B, N, C + P)
        h0 = tokens @ p["w_embed"] + p["b_embed"]
        attn = {name: p[name] for name in ("w_q", "w_k", "w_v", "w_o")}
        a, attn_cache = attention_forward(attn, h0, self.num_heads, self.bias)
        h1 = h0 + a
        pre = h1 @ p["w_1"] + p["b_1"]
        hidden = np.maximum(pre, 0.0)
        h2 = h1 + hidden @ p["w_2"] + p["b_2"]
        pooled = h2.mean(axis=1)
        logits = pooled @ p["w_out"] + p["b_out"]
        cache = {
            "tokens": tokens,
            "attn": attn_cache,
            "h1": h1,
            "pre": pre,
            "hidden": hidden,
            "pooled": pooled,
        }
        return logits, cache

    def _backward(self, d_logits, cache):
        p = self.params
        flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731
        n = cache["tokens"].shape[1]
        grads = {"w_out": cache["pooled"].T @ d_logits, "b_out": d_logits.sum(axis=0)}
        d_pooled = d_logits @ p["w_out"].T  # (B, d)
        d_h2 = np.repeat(d_pooled[:, None, :] / n, n, axis=1)  # the mean over tokens
        # h2 = h1 + mlp(h1): the residual passes d_h2 straight through.
        grads["w_2"] = flat(cache["hidden"]).T @ flat(d_h2)
        grads["b_2"] = d_h2.sum(axis=(0, 1))
        d_pre = (d_h2 @ p["w_2"].T) * (cache["pre"] > 0)
        grads["w_1"] = flat(cache["h1"]).T @ flat(d_pre)
        grads["b_1"] = d_pre.sum(axis=(0, 1))
        d_h1 = d_h2 + d_pre @ p["w_1"].T
        # h1 = h0 + attention(h0)
        d_attn = attention_backward(d_h1, cache["attn"])
        for name in ("w_q", "w_k", "w_v", "w_o"):
            grads[name] = d_attn[name]
        d_h0 = d_h1 + d_attn["tokens"]
        grads["w_embed"] = flat(cache["tokens"]).T @ flat(d_h0)
        grads["b_embed"] = d_h0.sum(axis=(0, 1))
        return {name: grads[name] for name in p}

    def attention_weights(self, images: np.ndarray) -> np.ndarray:
        """The attention weights of every head, ``(B, num_heads, N, N)``.

        Row ``i`` of head ``h`` is how much query pixel ``i`` reads each key
        pixel (row-major); every row sums to one.
        """
        _, cache = self._forward(self._images(images))
        return cache["attn"]["weights"]


# --- MLP ------------------------------------------------------------------------


class MLPClassifier(_Classifier):
    """A fully connected network on the flattened pixels: one hidden ReLU layer.

    ``logits = relu(x w_1 + b_1) w_2 + b_2`` with ``x`` the ``H W C`` pixel
    values in a row. Each hidden unit has its own weight for every pixel, so
    the parameters grow with the image and nothing learned at one position
    carries over to another.

    Parameters
    ----------
    image_shape : (H, W) or (H, W, C)
    num_classes : int
    rng : numpy.random.Generator or int
    hidden : int
        Width of the hidden layer.
    dtype : float32 or float64
        Of the parameters and of every computation. float32 is faster and
        precise enough for training; use float64 for gradient checks.

    Examples
    --------
    >>> import numpy as np
    >>> model = MLPClassifier((8, 8), 10, rng=0)
    >>> model.num_params  # 64 * 32 + 32 + 32 * 10 + 10
    2410
    >>> model.predict(np.zeros((3, 8, 8))).shape
    (3,)
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_classes: int,
        rng: np.random.Generator | int = 0,
        hidden: int = 32,
        dtype: type | str = np.float64,
    ) -> None:
        self.image_shape = _check_image_shape(image_shape)
        self.num_classes = _check_num_classes(num_classes)
        self.dtype = _check_dtype(dtype)
        gen = check_rng(rng)
        self.hidden = as_positive_int(hidden, "hidden")
        h, w, c = self.image_shape
        n_in = h * w * c
        self.params = self._cast(
            {
                "w_1": _normal(gen, (n_in, self.hidden), n_in, 2),
                "b_1": np.zeros(self.hidden),
                "w_2": _normal(gen, (self.hidden, self.num_classes), self.hidden),
                "b_2": np.zeros(self.num_classes),
            }
        )

    def _settings(self) -> str:
        return f"hidden={self.hidden}"

    def _forward(self, x):
        p = self.params
        flat = x.reshape(x.shape[0], -1)
        pre = flat @ p["w_1"] + p["b_1"]
        hidden = np.maximum(pre, 0.0)
        logits = hidden @ p["w_2"] + p["b_2"]
        return logits, {"flat": flat, "pre": pre, "hidden": hidden}

    def _backward(self, d_logits, cache):
        p = self.params
        d_pre = (d_logits @ p["w_2"].T) * (cache["pre"] > 0)
        return {
            "w_1": cache["flat"].T @ d_pre,
            "b_1": d_pre.sum(axis=0),
            "w_2": cache["hidden"].T @ d_logits,
            "b_2": d_logits.sum(axis=0),
        }


# --- training -------------------------------------------------------------------

_MODELS = (ConvClassifier, AttentionClassifier, MLPClassifier)


def _check_model(model: object) -> _Classifier:
    if not isinstance(model, _Classifier):
        names = ", ".join(m.__name__ for m in _MODELS)
        raise TypeError(f"model must be one of {names}; got {type(model).__name__}")
    return model


def accuracy(model: _Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of ``images`` that ``model`` puts in the right class.

    Examples
    --------
    >>> import numpy as np
    >>> model = MLPClassifier((2, 2), 2, rng=0)
    >>> accuracy(model, np.zeros((4, 2, 2)), np.array([0, 0, 1, 1]))
    0.5
    """
    m = _check_model(model)
    predicted = m.predict(images)
    y = _check_labels(labels, len(predicted), m.num_classes)
    return float(np.mean(predicted == y))


def fit_classifier(
    model: _Classifier,
    images: np.ndarray,
    labels: np.ndarray,
    steps: int = 300,
    lr: float = 0.01,
    batch_size: int = 32,
    rng: np.random.Generator | int = 0,
    print_every: int | None = None,
) -> np.ndarray:
    """Train a classifier by Adam on the mean cross-entropy of mini-batches.

    Each step draws ``batch_size`` different training images at random (all
    of them when there are fewer), computes the loss and gradients with
    ``model.loss_and_grads`` and takes one step of
    :class:`convattn.train.Adam`. The arrays of ``model.params`` are
    replaced by views of one vector, which then changes in place.

    Parameters
    ----------
    model : ConvClassifier, AttentionClassifier or MLPClassifier
    images : ndarray, shape (B, H, W) or (B, H, W, C)
    labels : ndarray of int, shape (B,)
    steps : int
        Number of optimiser steps (the same budget for any number of images).
    lr : float
        Adam's step size.
    batch_size : int
    rng : numpy.random.Generator or int
        Draws the mini-batches.
    print_every : int, optional
        Print the step and the loss (4 decimals) every so many steps, and at
        the last; nothing by default.

    Returns
    -------
    ndarray, shape (steps,)
        The mini-batch loss before each step.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((40, 2, 2))
    >>> labels = np.arange(40) % 2
    >>> images[labels == 1, 0, 0] = 1.0  # class 1: top-left pixel lit
    >>> model = MLPClassifier((2, 2), 2, rng=0)
    >>> history = fit_classifier(model, images, labels, steps=60, lr=0.05,
    ...                          print_every=30)
    step    0  loss 0.6668
    step   30  loss 0.0413
    step   59  loss 0.0128
    >>> accuracy(model, images, labels)
    1.0
    """
    m = _check_model(model)
    x = m._images(images)
    y = _check_labels(labels, x.shape[0], m.num_classes)
    steps = as_positive_int(steps, "steps")
    batch = min(as_positive_int(batch_size, "batch_size"), x.shape[0])
    every = None if print_every is None else as_positive_int(print_every, "print_every")
    gen = check_rng(rng)
    opt = Adam(lr=lr)
    # Adam treats every number alike, so it can update all parameters as one
    # vector: one pass of its arithmetic per step instead of one per array.
    names = list(m.params)
    flat = np.concatenate([m.params[name].ravel() for name in names])
    start = 0
    for name in names:
        shape = m.params[name].shape
        stop = start + m.params[name].size
        m.params[name] = flat[start:stop].reshape(shape)
        start = stop
    history = np.empty(steps)
    # The matrices of these models are small: splitting each product across
    # BLAS threads costs more than it saves, several times more on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        for step in range(steps):
            pick = gen.choice(x.shape[0], size=batch, replace=False)
            logits, cache = m._forward(x[pick])
            loss, d_logits = cross_entropy(logits, y[pick])
            history[step] = loss
            if every and (step % every == 0 or step == steps - 1):
                print(f"step {step:4d}  loss {loss:.4f}")
            grads = m._backward(d_logits, cache)
            opt.step(
                {"all": flat},
                {"all": np.concatenate([grads[name].ravel() for name in names])},
            )
    return history


# --- many independent runs at once -----------------------------------------------

#: What one run of :func:`fit_many` must say, and what it may add.
_RUN_KEYS = ("model", "images", "labels", "test_images", "test_labels")
_FIT_KEYS = ("steps", "lr", "batch_size", "rng")


def _check_runs(runs: object) -> list[dict]:
    if isinstance(runs, dict) or not isinstance(runs, Sequence):
        raise TypeError(f"runs must be a list of dicts; got {type(runs).__name__}")
    checked = []
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise TypeError(f"runs[{i}] must be a dict; got {type(run).__name__}")
        missing = [k for k in _RUN_KEYS if k not in run]
        unknown = [k for k in run if k not in _RUN_KEYS + _FIT_KEYS]
        if missing or unknown:
            raise ValueError(
                f"runs[{i}] must have the keys {list(_RUN_KEYS)} and may have "
                f"{list(_FIT_KEYS)}; missing {missing}, unknown {unknown}"
            )
        _check_model(run["model"])
        checked.append(run)
    return checked


def _fit_one(run: dict) -> tuple[_Classifier, float, float]:
    model = run["model"]
    fit = {k: run[k] for k in _FIT_KEYS if k in run}
    fit_classifier(model, run["images"], run["labels"], **fit)
    return (
        model,
        accuracy(model, run["images"], run["labels"]),
        accuracy(model, run["test_images"], run["test_labels"]),
    )


def fit_many(runs: Sequence[dict], processes: int | None = None) -> list[tuple]:
    """Train independent runs of :func:`fit_classifier`, several at once.

    Each run is a dict with ``model``, its training ``images`` and
    ``labels``, the ``test_images`` and ``test_labels`` to score it on, and
    optionally ``steps``, ``lr``, ``batch_size`` and ``rng`` for
    :func:`fit_classifier`. The runs are shared out between ``processes``
    worker processes (by default one per available core, at most 2). Every
    run is seeded and trains on its own copy of the model, so the results are
    those of training the runs one after the other; only the time differs.

    Returns
    -------
    list of (model, train_accuracy, test_accuracy), in the order of ``runs``
        ``model`` is the trained copy (the models passed in are not changed
        when the runs go to worker processes).

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((40, 2, 2))
    >>> labels = np.arange(40) % 2
    >>> images[labels == 1, 0, 0] = 1.0
    >>> runs = [dict(model=MLPClassifier((2, 2), 2, rng=seed), images=images,
    ...              labels=labels, test_images=images, test_labels=labels,
    ...              steps=60, lr=0.05, rng=seed) for seed in (0, 1)]
    >>> [round(test, 2) for _, _, test in fit_many(runs, processes=1)]
    [1.0, 1.0]
    """
    checked = _check_runs(runs)
    if processes is None:
        import os

        available = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count()
        )
        processes = max(1, min(2, available or 1))
    processes = as_positive_int(processes, "processes")
    if processes == 1 or len(checked) <= 1:
        return [_fit_one(run) for run in checked]
    from concurrent.futures.process import BrokenProcessPool

    try:
        return list(_worker_pool(processes).map(_fit_one, checked))
    except BrokenProcessPool:
        _POOLS.pop(processes).shutdown()  # a worker died: start afresh next time
        raise


#: Worker processes, started on first use and kept for later calls (starting
#: one costs about a second: it imports numpy and convattn).
_POOLS: dict = {}


def _worker_pool(processes: int):
    if processes not in _POOLS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn" starts clean interpreters on every system (fork is not
        # offered everywhere and does not mix with threads).
        context = multiprocessing.get_context("spawn")
        if not _POOLS:
            import atexit

            atexit.register(_close_pools)
        _POOLS[processes] = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_ignore_interrupts
        )
    return _POOLS[processes]


def _ignore_interrupts() -> None:
    # An interrupt (Ctrl-C, or a Jupyter kernel shutting down) is for the
    # parent, which then closes the pool; workers would only print tracebacks.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _close_pools() -> None:
    while _POOLS:
        _POOLS.popitem()[1].shutdown()
