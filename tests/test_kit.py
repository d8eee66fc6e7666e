"""The teaching kit's cells in the chapters: quizzes, self-check sentences,
slide tags (written by tools/add_kit_cells.py), and the solution rule that
the student edition uses."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from add_kit_cells import add_quiz, add_self_checks, tag_slides  # noqa: E402
from make_student import solution_cells, strip_solutions  # noqa: E402
from quizzes import QUIZZES, render  # noqa: E402

from convattn import exercises  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


def test_every_question_has_one_right_option_and_explains_every_option():
    assert sorted(QUIZZES) == list(range(1, 10))
    for chapter, questions in QUIZZES.items():
        assert 3 <= len(questions) <= 5, chapter
        for question, options in questions:
            assert question.strip()
            assert len(options) >= 3, question
            assert sum(right for _, right, _ in options) == 1, question
            assert all(len(why) > 20 for _, _, why in options), question


def test_rendered_question_is_one_html_block_without_blank_lines():
    html = render(3, 1)
    assert "\n\n" not in html  # a blank line would end the HTML block in Markdown
    assert html.count("<details") == len(QUIZZES[3][0][1])
    assert html.count("Right.") == 1


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_kit_cells_are_up_to_date(path):
    nb = nbformat.read(path, as_version=4)
    chapter = int(path.name[:2])
    before = nbformat.writes(nb)
    assert add_self_checks(nb) == []
    assert tag_slides(nb) == []
    if chapter in QUIZZES:
        assert add_quiz(nb, chapter) == []
        ids = [c.id for c in nb.cells]
        first_exercise = next(
            k for k, c in enumerate(nb.cells) if "{exercise}" in c.source
        )
        assert ids.index(f"quiz-{chapter:02d}-heading") < first_exercise
    assert nbformat.writes(nb) == before, "run tools/add_kit_cells.py"
    text = "\n".join(c.source for c in nb.cells)
    for label in exercises.labels():
        if label.startswith(f"ex-{chapter:02d}-"):
            assert f'Self-check: `check("{label}", answer)`' in text
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    assert {"slide-objectives", "slide-figure", "slide-takeaways"} <= tags


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_solution_cells_are_what_strip_solutions_removes(path):
    nb = nbformat.read(path, as_version=4)
    drop = solution_cells(nb)
    student, removed = strip_solutions(nb)
    kept = [c.source for k, c in enumerate(nb.cells) if k not in drop]
    stripped = [c.source for c in student.cells]
    assert all(s in stripped for s in kept)
    assert len(stripped) == len(kept) + 2 * removed  # pointer + answer cell each
