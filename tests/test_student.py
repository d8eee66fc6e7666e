"""Student notebooks (`make student`): solutions gone, and they still run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_student import strip_solutions  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def _solution_sources(nb) -> list[str]:
    """Sources of the cells from each solution-start to its solution-end."""
    out, inside = [], False
    for cell in nb.cells:
        if "{solution-start}" in cell.source:
            inside = True
        if inside and cell.source.strip():
            out.append(cell.source)
        if "{solution-end}" in cell.source:
            inside = False
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_solution_text_remains(path):
    nb = nbformat.read(path, as_version=4)
    student, removed = strip_solutions(nb)
    n_exercises = sum("{exercise}" in c.source for c in nb.cells)
    assert removed == sum("{solution-start}" in c.source for c in nb.cells)
    assert removed == n_exercises, f"{path.name}: an exercise without its solution?"
    text = "\n".join(c.source for c in student.cells)
    assert "{solution" not in text
    for source in _solution_sources(nb):
        if "{solution" in source:
            continue
        assert source not in text, f"{path.name}: solution text left: {source[:80]!r}"
    assert sum("{exercise}" in c.source for c in student.cells) == n_exercises
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in student.cells
        if c.cell_type == "code"
    )
    assert "widgets" not in student.metadata


def test_strip_solutions_on_a_tiny_notebook():
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("```{exercise} Try\n:label: ex-t\n\nDo it.\n```"),
            v4.new_markdown_cell("```{solution-start} ex-t\n:class: dropdown\n```"),
            v4.new_code_cell("secret = 42"),
            v4.new_markdown_cell("```{solution-end}\n```"),
            v4.new_code_cell("print('after')"),
        ]
    )
    student, removed = strip_solutions(nb)
    assert removed == 1
    assert [c.source for c in student.cells] == [
        nb.cells[0].source,
        "**Your answer to exercise ex-t.** (The solution is in the book.)",
        "",
        "print('after')",
    ]
    nb.cells.pop(3)
    with pytest.raises(ValueError, match="solution-end"):
        strip_solutions(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_student_notebook_runs_top_to_bottom(path):
    # Without its solutions a chapter must still run: no later cell may
    # depend on a name that only a solution defines.
    student, _ = strip_solutions(nbformat.read(path, as_version=4))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = nbclient.NotebookClient(
        student,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError on any failing cell
    code = [c for c in student.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count for c in code)
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
