"""Chapter outputs that depend on the processor's matrix-multiply kernel.

numpy hands matrix products to OpenBLAS, which picks a kernel for the
processor at start-up (``Haswell``, ``SkylakeX``, ...). Kernels add the
products in different orders, so the last bits of a product can differ
from one kernel to another; numpy's own loops for ``exp`` or ``log`` are
likewise chosen for the processor's vector instructions. Most outputs of the
book print too few digits to show it.
Training does not: a few hundred steps amplify a difference in the last bit
until the same seed reaches a visibly different accuracy (chapter 9 says so
where it trains).

- ``tools/run_notebooks.py`` records in each notebook's metadata
  (``convattn.blas``, from :func:`kernel`) the kernel that computed its
  stored outputs.
- As a pytest plugin (``pytest -p nbblas --nbval ...``, with ``tools/`` on
  ``PYTHONPATH``; the Makefile's nbval runs load it), it leaves code cells
  tagged ``blas-dependent`` as they are when nbval runs with the recorded
  kernel: their outputs are compared like any other cell's. With another
  kernel it still runs them, but does not compare their outputs, and says so
  at the end of the session, naming the notebook, the cells and both kernels.
  What the text concludes from such outputs is checked by cells that are not
  tagged, on every machine.
"""

from __future__ import annotations

import platform

TAG = "blas-dependent"
_UNCHECKED = "nbblas-unchecked"


def kernel() -> str:
    """The machine, numpy (version and the vector instructions its loops use)
    and BLAS (library, version, kernel) that compute in this process, e.g.
    ``"x86_64 numpy 2.4.6 simd X86_V3 blas openblas 0.3.31.188.0, kernel
    Haswell"``."""
    import numpy

    from convattn.timing import numpy_blas

    # numpy's own loops (exp, log, ...) are chosen for the processor's vector
    # instructions at start-up, as the BLAS kernel is.
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        simd = "+".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))
    except ImportError:  # another numpy layout: say so rather than guess
        simd = "unknown"
    machine = [platform.machine(), "numpy", numpy.__version__, "simd", simd or "none"]
    return " ".join([*machine, "blas", numpy_blas()])


def recorded(nb) -> str | None:
    """The kernel recorded in a notebook's metadata, if any."""
    return nb.get("metadata", {}).get("convattn", {}).get("blas")


def record(nb) -> None:
    """Record this process's kernel in a notebook's metadata."""
    nb.setdefault("metadata", {}).setdefault("convattn", {})["blas"] = kernel()


def tagged(cell) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


# --- pytest plugin ---


def pytest_collection_modifyitems(session, config, items):
    here = None
    for item in items:
        cell, notebook = getattr(item, "cell", None), getattr(item.parent, "nb", None)
        if cell is None or notebook is None or not tagged(cell):
            continue
        here = here or kernel()
        stored = recorded(notebook)
        if stored != here:
            item.options["check"] = False
            item.user_properties.append((_UNCHECKED, f"{stored} | {here}"))


_SEEN: dict[str, tuple[list[str], str]] = {}


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == _UNCHECKED:
            path, cell = report.nodeid.split("::", 1)
            _SEEN.setdefault(path, ([], value))[0].append(cell)


def pytest_terminal_summary(terminalreporter):
    for path, (cells, kernels) in sorted(_SEEN.items()):
        stored, here = kernels.split(" | ")
        n = len(cells)
        these = f"{n} cell{'s' * (n > 1)} tagged {TAG} {'were' if n > 1 else 'was'}"
        terminalreporter.write_line(
            f"{path}: {these} run without comparing outputs ({', '.join(cells)}): "
            f"stored with [{stored}], this machine computes with [{here}]"
        )
