"""convattn: the helper package of the book *Convolution vs Self-Attention*.

One question runs through the package: for one output pixel, which input
pixels does it read, and with what weights?

The numerical core is plain numpy and is imported here:

- :mod:`convattn.images`: sample images, pixels as tokens, pixel positions;
- :mod:`convattn.retrieval`: similarity, hard top-k and soft retrieval;
- :mod:`convattn.attention`: scaled dot-product attention, learned Q/K/V
  layers, positions;
- :mod:`convattn.conv`: convolution, kernels, receptive fields;
- :mod:`convattn.compare`: convolution and attention side by side: cost,
  equivariance;
- :mod:`convattn.train`: hand-derived gradients and a small optimiser;
- :mod:`convattn.tasks`: synthetic tasks (the marker task, the long-range
  task) and real images: the digits (scikit-learn's, bundled) and their
  variants;
- :mod:`convattn.bridge`: attention that convolves, local attention;
- :mod:`convattn.blockwise`: exact attention in bounded memory;
- :mod:`convattn.timing`: one stopwatch (warm-up, repeats, median);
- :mod:`convattn.models`: convolution, attention and MLP classifiers with
  hand-derived gradients.

Each module imports numpy and the modules above it in this list, never the
ones below.

The figure and widget helpers, :mod:`convattn.plotting` and
:mod:`convattn.widgets`, need matplotlib and ipywidgets; they are imported on
first use (``convattn.plotting``), so that ``import convattn`` stays light.

Examples
--------
>>> import convattn as ca
>>> tokens = ca.to_tokens(ca.sample_image("shapes", size=16))
>>> weights = ca.softmax(ca.similarity(tokens[:1], tokens), temperature=0.1)
>>> weights.shape, round(float(weights.sum()), 12)
((1, 256), 1.0)
"""

from __future__ import annotations

import importlib

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
    timing,
    train,
)
from .attention import *  # noqa: F403
from .blockwise import *  # noqa: F403
from .bridge import *  # noqa: F403
from .compare import *  # noqa: F403
from .conv import *  # noqa: F403
from .images import *  # noqa: F403
from .models import *  # noqa: F403
from .retrieval import *  # noqa: F403
from .tasks import *  # noqa: F403
from .timing import *  # noqa: F403
from .train import *  # noqa: F403

__version__ = "0.1.0"

_LAZY = ("plotting", "widgets")

__all__ = [
    *images.__all__,
    *retrieval.__all__,
    *attention.__all__,
    *conv.__all__,
    *compare.__all__,
    *train.__all__,
    *tasks.__all__,
    *bridge.__all__,
    *blockwise.__all__,
    *timing.__all__,
    *models.__all__,
]


def __getattr__(name: str):
    # plotting and widgets import matplotlib/ipywidgets: load them on first use.
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'convattn' has no attribute {name!r}")
