"""tools/nbblas.py: outputs that depend on the matrix-multiply kernel are
compared where that kernel runs, and only run elsewhere."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np

import convattn as ca

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbblas  # noqa: E402


def test_the_kernel_names_the_machine_numpy_and_numpys_blas():
    import sklearn.datasets  # noqa: F401  (scipy, which it imports, brings a BLAS)

    name = nbblas.kernel()
    assert name.startswith(f"{os.uname().machine} numpy {np.__version__} simd ")
    # One BLAS library, its version and its kernel: numpy's, not scipy's too.
    assert name.endswith(" blas " + ca.numpy_blas()), name
    assert name.count("kernel") == 1, name


def test_a_notebook_records_the_kernel_of_its_outputs():
    nb = nbformat.v4.new_notebook()
    assert nbblas.recorded(nb) is None
    nbblas.record(nb)
    assert nbblas.recorded(nb) == nbblas.kernel()


def _nbval(tmp_path, recorded_kernel, untagged_output="4\n"):
    """nbval with the plugin on a notebook whose tagged cell stored a wrong
    output and whose untagged cell stored ``untagged_output`` (right: 4)."""
    v4 = nbformat.v4
    tagged = v4.new_code_cell("print(6 * 7)", execution_count=1)
    tagged.metadata["tags"] = [nbblas.TAG]
    tagged.outputs = [v4.new_output("stream", name="stdout", text="41\n")]
    plain = v4.new_code_cell("print(2 + 2)", execution_count=2)
    plain.outputs = [v4.new_output("stream", name="stdout", text=untagged_output)]
    nb = v4.new_notebook(cells=[tagged, plain])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["convattn"] = {"blas": recorded_kernel}
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tools"))
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    cmd = [sys.executable, "-m", "pytest", "-p", "nbblas", "--nbval", "-q"]
    cmd += ["-p", "no:cacheprovider", "-p", "no:xdist", "--rootdir", str(tmp_path)]
    return subprocess.run(
        [*cmd, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_tagged_outputs_are_compared_where_their_kernel_runs(tmp_path):
    run = _nbval(tmp_path, nbblas.kernel())
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "without comparing" not in run.stdout


def test_tagged_outputs_are_run_but_not_compared_with_another_kernel(tmp_path):
    run = _nbval(tmp_path, "x86_64 numpy 0.0 openblas 0.0 Elsewhere")
    assert run.returncode == 0, run.stdout
    assert "2 passed" in run.stdout, run.stdout
    assert (
        "tiny.ipynb: 1 cell tagged blas-dependent was run without comparing outputs "
        "(Cell 0): stored with [x86_64 numpy 0.0 openblas 0.0 Elsewhere], this "
        f"machine computes with [{nbblas.kernel()}]"
    ) in run.stdout


def test_an_untagged_cell_is_compared_whatever_the_kernel(tmp_path):
    run = _nbval(tmp_path, "another kernel", untagged_output="5\n")
    assert run.returncode == 1, run.stdout
    assert "2 failed" not in run.stdout and "1 failed, 1 passed" in run.stdout


def test_every_chapter_that_tags_cells_records_its_kernel():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(nbblas.tagged(c) for c in nb.cells):
            assert nbblas.recorded(nb), f"{path.name}: tags cells, records no kernel"
