"""Add the teaching kit's cells to the chapters, keeping every other cell.

    .venv/bin/python tools/add_kit_cells.py book/0[1-9]_*.ipynb

Idempotent, and it never reorders, deletes or re-ids an existing cell:

* inserts a "Check your understanding" heading cell and one cell per question
  of ``tools/quizzes.py`` before the exercises (cell ids ``quiz-NN-...``), or
  updates their sources if they are already there;
* adds a "Self-check" sentence to the prompt of every exercise that
  ``convattn.exercises`` can check;
* tags the cells the slides are made of (``slide-objectives`` for the opening
  cell, ``slide-formula`` for displayed formulas, ``slide-figure`` for figure
  outputs, ``slide-takeaways`` for the summary), metadata only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from quizzes import HEADING, QUIZZES, render  # noqa: E402

from convattn.exercises import _REGISTRY  # noqa: E402

SLIDE_TAGS = ("slide-objectives", "slide-formula", "slide-figure", "slide-takeaways")
EXERCISE = re.compile(
    r"^(`{3,})\{exercise\}.*?^:label:\s*(\S+).*?(?=^\1[ \t]*$)", re.M | re.S
)


def self_check_sentence(label: str) -> str:
    return (
        f'Self-check: `check("{label}", answer)` '
        f"(`from convattn.exercises import check`), with `answer` "
        f"{_REGISTRY[label].expects}.\n"
    )


def add_self_checks(nb) -> list[str]:
    changed = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "{exercise}" not in cell.source:
            continue
        m = EXERCISE.search(cell.source)
        if not m or m.group(2) not in _REGISTRY:
            continue
        label = m.group(2)
        body = m.group(0)
        new_body = re.sub(
            r"\nSelf-check: .*\Z", "\n", body.rstrip("\n") + "\n", flags=re.S
        )
        new_body = new_body.rstrip("\n") + "\n\n" + self_check_sentence(label)
        if new_body != body:
            cell.source = cell.source.replace(body, new_body, 1)
            changed.append(cell.id)
    return changed


def add_quiz(nb, chapter: int) -> list[str]:
    wanted = [(f"quiz-{chapter:02d}-heading", HEADING)]
    wanted += [
        (f"quiz-{chapter:02d}-{k}", render(chapter, k))
        for k in range(1, len(QUIZZES[chapter]) + 1)
    ]
    ids = {cell.id: cell for cell in nb.cells}
    changed = []
    if wanted[0][0] in ids:  # already inserted: update in place
        for cid, src in wanted:
            if cid in ids and ids[cid].source != src:
                ids[cid].source = src
                changed.append(cid)
        return changed
    where = next(
        k
        for k, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and re.search(r"^## Exercises", c.source, re.M)
    )
    # Where the summary and the exercises share a cell, the quiz goes before both.
    new = []
    for cid, src in wanted:
        cell = nbformat.v4.new_markdown_cell(src)
        cell.id = cid
        new.append(cell)
    nb.cells[where:where] = new
    return [cid for cid, _ in wanted]


def tag_slides(nb) -> list[str]:
    changed = []
    for k, cell in enumerate(nb.cells):
        tags = []
        if k == 0:
            tags.append("slide-objectives")
        if cell.cell_type == "markdown" and "$$" in cell.source:
            tags.append("slide-formula")
        if cell.cell_type == "markdown" and re.search(
            r"^## Summary", cell.source, re.M
        ):
            tags.append("slide-takeaways")
        if cell.cell_type == "code" and any(
            "image/png" in out.get("data", {}) for out in cell.get("outputs", [])
        ):
            tags.append("slide-figure")
        old = list(cell.metadata.get("tags", []))
        kept = [t for t in old if t not in SLIDE_TAGS]
        new = kept + tags
        if new != old:
            if new:
                cell.metadata["tags"] = new
            else:
                cell.metadata.pop("tags", None)
            changed.append(cell.id)
    return changed


def main(paths: list[str]) -> None:
    for name in paths:
        path = Path(name)
        chapter = int(path.name[:2])
        nb = nbformat.read(path, as_version=4)
        before = [c.id for c in nb.cells]
        checks = add_self_checks(nb)
        quiz = add_quiz(nb, chapter) if chapter in QUIZZES else []
        tags = tag_slides(nb)
        after = [c.id for c in nb.cells if not c.id.startswith("quiz-")]
        # Every existing cell kept, in its order, with its id.
        assert after == [c for c in before if not c.startswith("quiz-")]
        nbformat.write(nb, path)
        print(
            f"{path}: self-check sentence in {checks}; quiz cells {quiz}; slide tags on {tags}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
