import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# The browser test needs a built site and runs on its own (`make browser`).
collect_ignore = ["browser"]

settings.register_profile(
    "book", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("book")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
