"""Browser checks of the teaching kit (`make browser-kit`).

* the quiz of every chapter works on the static site with no kernel and no
  network: one question is answered and its feedback shows;
* the student edition (``_build/student/html``) shows every exercise and no
  solution text;
* every slide deck (``_build/slides``) opens, steps through all its slides,
  typesets its formulas, with 0 console errors and 0 requests leaving it.

Each set is skipped with a message when its build is missing; ``make test``
builds all three first.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from browser_site import ROOT, SITE

sys.path.insert(0, str(ROOT / "tools"))
from make_student import solution_cells
from quizzes import QUIZZES

CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))
STUDENT = ROOT / "_build" / "student" / "html"
SLIDES = ROOT / "_build" / "slides"
DECKS = sorted(SLIDES.glob("0*.html"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@functools.cache
def _serve(folder: Path) -> str:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/"


def _page(browser, base: str):
    """A page that can reach only ``base``, with its errors and blocked requests."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    errors, outside = [], []

    def only_local(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_local)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None
        ),
    )
    return ctx, page, errors, outside


def _chapter_url(site: Path, base: str, stem: str) -> str:
    for where in (f"book/{stem}.html", f"{stem}.html"):
        if (site / where).is_file():
            return base + where
    pytest.fail(f"no page for {stem} in {site}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_quiz_feedback_without_kernel(path, context, base_url):
    chapter = int(path.name[:2])
    if chapter not in QUIZZES:
        pytest.skip(f"chapter {chapter} has no quiz")
    page = context.new_page()
    page.goto(_chapter_url(SITE, base_url, path.stem), wait_until="load")
    quiz = page.locator(f"#quiz-{chapter:02d}-1")
    assert quiz.count() == 1, "the first question of the quiz is missing"
    options = quiz.locator("details.quiz-option")
    assert options.count() == len(QUIZZES[chapter][0][1])
    # A wrong option: its explanation is hidden, one click shows it.
    k = next(i for i, (_, right, _) in enumerate(QUIZZES[chapter][0][1]) if not right)
    option = options.nth(k)
    feedback = option.locator("p")
    assert not feedback.is_visible()
    option.locator("summary").click()
    assert feedback.is_visible()
    assert feedback.inner_text().startswith("Not quite.")
    assert page.locator(f"#quiz-{chapter:02d}-1 details[open]").count() == 1
    page.close()
    assert not context.blocked, context.blocked


def _solution_snippets(path: Path) -> list[str]:
    """Distinctive lines of the chapter's solutions (prose and code): long,
    free of markup, and found nowhere else in the chapter."""
    nb = nbformat.read(path, as_version=4)
    drop = solution_cells(nb)
    rest = "\n".join(c.source for k, c in enumerate(nb.cells) if k not in drop)
    out = []
    for k in sorted(drop):
        for line in nb.cells[k].source.splitlines():
            line = line.strip()
            if len(line) >= 30 and not line.startswith(("```", ":::", "$")):
                if not any(ch in line for ch in "\\${`*") and line not in rest:
                    out.append(line)
    return out


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_has_no_solutions(path, browser):
    if not (STUDENT / "index.html").is_file():
        pytest.skip("no student edition: run `make book-student`")
    base = _serve(STUDENT)
    ctx, page, errors, outside = _page(browser, base)
    page.goto(_chapter_url(STUDENT, base, path.stem), wait_until="load")
    text = re.sub(r"\s+", " ", page.inner_text("main"))
    n_exercises = sum(
        "{exercise}" in c.source for c in nbformat.read(path, as_version=4).cells
    )
    assert page.locator(".exercise").count() == n_exercises
    assert page.locator(".solution").count() == 0
    snippets = _solution_snippets(path)
    assert snippets, "no solution text to look for"
    left = [s for s in snippets if re.sub(r"\s+", " ", s) in text]
    ctx.close()
    assert not left, f"solution text in the student edition: {left[:3]}"
    assert not errors and not outside, errors + outside


@pytest.mark.parametrize("deck", DECKS, ids=lambda p: p.stem)
def test_deck_steps_through_offline(deck, browser):
    base = _serve(SLIDES)
    ctx, page, errors, outside = _page(browser, base)
    page.goto(base + deck.name, wait_until="load")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    total = page.evaluate("() => Reveal.getTotalSlides()")
    assert total >= 3, f"{deck.name}: only {total} slides"
    seen = {page.evaluate("() => Reveal.getIndices().h")}
    while not page.evaluate("() => Reveal.isLastSlide()"):
        page.keyboard.press("ArrowRight")
        seen.add(page.evaluate("() => Reveal.getIndices().h"))
        assert len(seen) <= total
    assert seen == set(range(total)), f"{deck.name}: slides {sorted(seen)} of {total}"
    if page.evaluate("() => document.body.innerHTML.includes('$')"):
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " && document.querySelectorAll('mjx-container').length > 0",
            timeout=30_000,
        )
        assert page.locator("mjx-merror").count() == 0, f"{deck.name}: a TeX error"
    page.wait_for_load_state("networkidle")
    ctx.close()
    assert not errors, f"{deck.name}: console errors {errors}"
    assert not outside, f"{deck.name}: requests outside the deck {outside}"


def test_there_is_one_deck_per_chapter():
    if not DECKS:
        pytest.skip("no decks: run `make slides`")
    assert [d.stem for d in DECKS] == [p.stem for p in CHAPTERS]
