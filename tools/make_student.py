"""Write student copies of the chapters: solutions removed, outputs cleared.

    .venv/bin/python tools/make_student.py book student      (or: make student)

In every notebook of the source folder, the cells from a ``{solution-start}``
cell to its ``{solution-end}`` cell (both included), and any single-cell
``{solution}`` directive, are replaced by one markdown cell and one empty code
cell for the student's answer. Every output, execution count and stored
widget state is removed, so students run the notebook themselves.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

START = re.compile(r"^\s*(```+|:::+)\s*\{solution-start\}\s*(\S*)", re.M)
END = re.compile(r"^\s*(```+|:::+)\s*\{solution-end\}", re.M)
WHOLE = re.compile(r"^\s*(```+|:::+)\s*\{solution\}\s*(\S*)", re.M)


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a student copy of ``nb`` and the number of solutions removed."""
    cells, inside, removed, label = [], False, 0, ""
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown" and not inside and (m := START.search(src)):
            inside, label = True, m.group(2)
            if END.search(src[m.end() :]):  # start and end in one cell
                inside = False
                removed += 1
                cells += _answer_cells(label)
            continue
        if inside:
            if cell.cell_type == "markdown" and END.search(src):
                inside = False
                removed += 1
                cells += _answer_cells(label)
            continue
        if cell.cell_type == "markdown" and (m := WHOLE.search(src)):
            removed += 1
            cells += _answer_cells(m.group(2))
            continue
        cells.append(cell)
    if inside:
        raise ValueError(f"a {{solution-start}} {label} has no {{solution-end}}")
    student = nbformat.from_dict(nb)
    student.cells = cells
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    student.metadata.pop("widgets", None)
    return student, removed


def _answer_cells(label: str) -> list[nbformat.NotebookNode]:
    which = f" to exercise {label}" if label else ""
    return [
        nbformat.v4.new_markdown_cell(
            f"**Your answer{which}.** (The solution is in the book.)"
        ),
        nbformat.v4.new_code_cell(""),
    ]


def main(source: str = "book", target: str = "student") -> None:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(source).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        student, removed = strip_solutions(nb)
        _write(student, out / path.name)
        print(f"{out / path.name}: {removed} solutions removed")


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    # Fresh ids for every cell, then a valid nbformat 4.5 file.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)


if __name__ == "__main__":
    main(*sys.argv[1:])
