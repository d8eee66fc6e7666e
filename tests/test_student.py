"""Student notebooks (`make student`): solutions gone, and they still run."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_student import (  # noqa: E402
    chapter_titles,
    read_bibliography,
    strip_solutions,
    to_student,
)

from convattn import exercises  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("0*.ipynb"))
TITLES = chapter_titles(ROOT / "book")
BIB = read_bibliography(ROOT / "book" / "references.bib")


def _student(path):
    nb = nbformat.read(path, as_version=4)
    return to_student(nb, int(path.name[:2]), TITLES, BIB)


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


#: Chapter 9 trains models and runs longest: first, so that the run's workers
#: share out the other chapters meanwhile and do not wait for it at the end.
LONGEST_FIRST = sorted(NOTEBOOKS, key=lambda p: not p.name.startswith("09_"))


@pytest.mark.parametrize("path", LONGEST_FIRST, ids=lambda p: p.name)
def test_the_student_notebook_runs_top_to_bottom(path):
    # Without its solutions a chapter must still run: no later cell may
    # depend on a name that only a solution defines.
    student, _ = _student(path)
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


# MyST that plain JupyterLab, VS Code and Colab would show as source text.
MYST = [
    (re.compile(r"\{[\w:-]+\}`"), "a role such as {cite}`...`"),
    (re.compile(r"^\s*(`{3,}|:{3,})\s*\{", re.M), "a directive fence"),
    (re.compile(r"^:{3,}", re.M), "a colon fence"),
    (re.compile(r"^:(label|class|name|alt):", re.M), "a directive option"),
    (re.compile(r"^\([\w-]+\)=\s*$", re.M), "a target"),
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_markdown_is_plain(path):
    student, _ = _student(path)
    md = MarkdownIt("commonmark")
    for cell in student.cells:
        if cell.cell_type != "markdown":
            continue
        for pattern, what in MYST:
            assert not pattern.search(cell.source), (path.name, what, cell.source[:200])
        html = md.render(cell.source)
        # Rendered, no code block may hold a directive, no inline code a role.
        assert not re.search(r"<code[^>]*>\{[\w:-]+\}", html), html[:300]
        assert "{exercise}" not in html and "{solution" not in html


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_numbered_and_checkable(path):
    nb = nbformat.read(path, as_version=4)
    student, _ = _student(path)
    chapter = int(path.name[:2])
    n = sum("{exercise}" in c.source for c in nb.cells)
    text = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    for k in range(1, n + 1):
        assert f"**Exercise {chapter}.{k}." in text
        assert (
            f"**Your answer to Exercise {chapter}.{k}.** The solution is in the book: ["
            in text
        )
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    ours = [lab for lab in exercises.labels() if lab.startswith(f"ex-{chapter:02d}-")]
    assert len(ours) >= 2
    for label in ours:
        assert f'check("{label}", answer)' in code
    assert code.count("from convattn.exercises import check") == len(ours)


def test_citations_and_links_become_plain_markdown():
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell(
                "As {cite}`vaswani2017attention` and {cite:t}`buades2005nonlocal` "
                "say; see {doc}`06_conv_vs_attention` and {doc}`the notes <notation>`."
            ),
            v4.new_markdown_cell("```{math}\n:label: eq-x\nx = 1\n```"),
            v4.new_markdown_cell(":::{note}\nMind the border.\n:::"),
            v4.new_markdown_cell(
                "```{exercise} Try\n:label: ex-05-t\n\nDo {math}`x`.\n```"
            ),
            v4.new_markdown_cell("```{solution-start} ex-05-t\n:class: dropdown\n```"),
            v4.new_code_cell("secret = 42"),
            v4.new_markdown_cell("```{solution-end}\n```"),
        ]
    )
    titles = {"06_conv_vs_attention": "Six", "notation": "Notation"}
    student, removed = to_student(nb, 5, titles, BIB)
    src = [c.source for c in student.cells]
    assert removed == 1
    assert "([Vaswani et al. 2017](" in src[0] and "bibliography.html)" in src[0]
    assert "[Buades et al. (2005)](" in src[0]
    assert "[Six](06_conv_vs_attention.ipynb)" in src[0]
    assert "[the notes](" in src[0] and "/notation.html)" in src[0]
    assert src[1] == "$$\nx = 1\n$$"
    assert src[2] == "> **Note.** Mind the border."
    assert src[3] == "**Exercise 5.1. Try**\n\nDo $x$."
    assert src[4].startswith(
        "**Your answer to Exercise 5.1.** The solution is in the book"
    )
    assert "secret" not in "\n".join(src)


def test_bibliography_gives_author_year_for_every_entry():
    text = (ROOT / "book" / "references.bib").read_text()
    keys = re.findall(r"@\w+\{([^,]+),", text)
    assert sorted(BIB) == sorted(keys)
    for key, who in BIB.items():
        assert re.fullmatch(r".+ (\d{4}|n\.d\.)", who), (key, who)
        assert "{" not in who
