"""The whole-book PDF (`make pdf`): every chapter, in order, and a sane length.

Run by `make pdf` after printing (not part of `pytest tests`, which does not
build the book). The text is read with pypdf.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf" / "book.pdf"
sys.path.insert(0, str(ROOT / "tools"))
from make_student import chapter_titles  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


@pytest.fixture(scope="module")
def pages():
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: run `make pdf`")
    reader = PdfReader(PDF)
    return [_squash(p.extract_text() or "") for p in reader.pages]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _page_of(title: str, pages: list[str]) -> int:
    want = _squash(title)
    return next((k for k, text in enumerate(pages) if want in text), -1)


def test_page_count(pages):
    # Eight chapters with figures run to well over a hundred A4/Letter pages;
    # far fewer means the print stopped early or the figures are missing.
    assert 10 * len(CHAPTERS) <= len(pages) <= 60 * len(CHAPTERS), len(pages)


def test_every_chapter_title_in_order(pages):
    titles = chapter_titles(ROOT / "book")
    found = [(_page_of(titles[p.stem], pages), titles[p.stem]) for p in CHAPTERS]
    missing = [t for k, t in found if k < 0]
    assert not missing, f"chapter titles not in the PDF: {missing}"
    order = [k for k, _ in found]
    assert order == sorted(order), f"chapters out of order: {found}"


def test_figures_are_in_the_pdf():
    # Every stored figure output is an image in the PDF: count image XObjects.
    reader = PdfReader(PDF)
    n_images = sum(len(page.images) for page in reader.pages)
    n_figures = sum(
        1
        for path in CHAPTERS
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        and any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    )
    assert n_images >= n_figures, (n_images, n_figures)
