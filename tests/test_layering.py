"""The package's import layering, read from the source (no import needed).

The numerical core imports numpy and the core modules before it in
``CORE_ORDER``, never the figure and widget helpers, matplotlib or
ipywidgets; only reading the bundled photo (``images._hopper``) may import
matplotlib, inside that one function.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "convattn"
CORE_ORDER = [
    "_validate",
    "images",
    "retrieval",
    "attention",
    "conv",
    "compare",
    "train",
    "tasks",
    "bridge",
    "blockwise",
    "timing",
    "models",
    "exercises",
]
# Display helpers for notebooks: they may import matplotlib, ipywidgets or
# IPython, and nothing in the core imports them.
TOP = ("plotting", "widgets", "source")
FORBIDDEN = ("matplotlib", "ipywidgets", "traitlets", "IPython")
#: (module, function) pairs allowed to import matplotlib, and only inside.
PHOTO_READERS = {("images", "_hopper")}


def _imports(tree: ast.Module):
    """Yield (imported module, enclosing top-level function or None)."""
    for top in tree.body:
        owner = top.name if isinstance(top, ast.FunctionDef) else None
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, owner
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    yield node.module, owner
                elif node.module:  # from .x import y
                    yield "convattn." + node.module, owner
                else:  # from . import x, y
                    for alias in node.names:
                        yield "convattn." + alias.name, owner


def _core_modules():
    names = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    return [n for n in names if n not in TOP]


@pytest.mark.parametrize("module", _core_modules())
def test_core_never_imports_plotting_widgets_or_matplotlib(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    for name, owner in _imports(tree):
        root = name.split(".")[0]
        if root in FORBIDDEN:
            assert (module, owner) in PHOTO_READERS, (
                f"convattn.{module} imports {name}"
                + (f" in {owner}" if owner else " at module level")
            )
        assert name not in (f"convattn.{t}" for t in TOP), (
            f"convattn.{module} imports {name}"
        )


@pytest.mark.parametrize("module", CORE_ORDER)
def test_core_imports_only_the_modules_before_it(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    before = set(CORE_ORDER[: CORE_ORDER.index(module)])
    for name, _ in _imports(tree):
        if name.startswith("convattn."):
            assert name.split(".")[1] in before, (
                f"convattn.{module} imports {name}, which is not before it in "
                f"{CORE_ORDER}"
            )


def test_every_core_module_has_a_place_in_the_order():
    assert set(CORE_ORDER) >= set(_core_modules())


def test_the_checker_sees_a_forbidden_import():
    # The test above must be able to fail: a module-level matplotlib import is found.
    tree = ast.parse("import numpy as np\nfrom matplotlib import pyplot\n")
    assert ("matplotlib", None) in list(_imports(tree))
    tree = ast.parse("def f():\n    from . import plotting\n")
    assert ("convattn.plotting", "f") in list(_imports(tree))
