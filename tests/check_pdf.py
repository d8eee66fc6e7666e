"""The whole-book PDF (`make pdf`): every chapter, in order, and a sane length.

Run by `make pdf` after printing (not part of `pytest tests`, which does not
build the book). The text is read with pypdf.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
PDF = Path(os.environ.get("BOOK_PDF", ROOT / "_build" / "pdf" / "book.pdf"))
sys.path.insert(0, str(ROOT / "tools"))
from make_student import chapter_titles, solution_cells  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


@pytest.fixture(scope="module")
def pages():
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: run `make pdf`")
    reader = PdfReader(PDF)
    return [_squash(p.extract_text() or "") for p in reader.pages]


def _squash(text: str) -> str:
    # NFKC undoes the ligatures of the PDF's text ("ﬁ" -> "fi").
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def _page_of(title: str, pages: list[str], after: int = -1) -> int:
    """The page, after page ``after``, that a chapter starts on: its title
    opens the page."""
    want = _squash(title)
    return next(
        (k for k, text in enumerate(pages) if k > after and text.startswith(want)), -1
    )


def test_page_count(pages):
    # Each chapter, with its figures, runs to 10-40 A4 pages (the API page adds
    # about a hundred); far fewer means the print stopped early or lost figures.
    assert 10 * len(CHAPTERS) <= len(pages) <= 60 * len(CHAPTERS), len(pages)


def test_equations_are_typeset(pages):
    # Untypeset MathJax would leave its TeX delimiters in the text.
    raw = [k for k, text in enumerate(pages) if "\\(" in text or "\\[" in text]
    assert not raw, f"TeX source on pages {raw[:10]}"


def test_every_chapter_title_in_order(pages):
    titles = chapter_titles(ROOT / "book")
    where = -1
    for path in CHAPTERS:
        start = _page_of(titles[path.stem], pages, after=where)
        assert start >= 0, (
            f"{titles[path.stem]!r} does not open a page after page {where}"
        )
        where = start


def _static_figures(path: Path) -> int:
    """Figure outputs of a chapter that print: not in a solution (folded away,
    or absent from the student edition) and not a live widget view (printed
    as the explorer's static figure instead)."""
    nb = nbformat.read(path, as_version=4)
    drop = solution_cells(nb)
    widget = "application/vnd.jupyter.widget-view+json"
    return sum(
        1
        for k, cell in enumerate(nb.cells)
        if k not in drop
        and cell.cell_type == "code"
        and any("image/png" in o.get("data", {}) for o in cell.outputs)
        and not any(widget in o.get("data", {}) for o in cell.outputs)
    )


def _images(resources, seen: set) -> int:
    """Image objects a page draws: its own and those of the forms it uses
    (counted from the resources, without decoding a single image)."""
    xobjects = resources.get("/XObject") if resources else None
    n = 0
    for ref in xobjects.get_object().values() if xobjects is not None else ():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            n += 1
        elif obj.get("/Subtype") == "/Form" and id(obj) not in seen:
            seen.add(id(obj))
            n += _images(obj.get("/Resources"), seen)
    return n


def test_figures_are_in_the_pdf():
    # Every printed figure output is an image in the PDF: count image objects.
    reader = PdfReader(PDF)
    n_images = sum(_images(page.get("/Resources"), set()) for page in reader.pages)
    n_figures = sum(_static_figures(path) for path in CHAPTERS)
    assert n_images >= n_figures, (n_images, n_figures)
