"""The built book in a real browser, with no network and no kernel.

Run by `make browser` (part of `make test`, after `make book`):
``pytest tests/browser/check_site.py``. The file name keeps it out of the
unit tests, which must not need a built site.

For every page: no console errors, no failed or outside requests, equations
typeset by MathJax, alt text on every image, a screenshot. Chapter pages
offer Binder, Colab and their .ipynb. For every kernel-free explorer
(`convattn.widgets.frame_explorer`): moving each of its sliders changes the
picture, with no Python running.
"""

from __future__ import annotations

import pytest
from browser_site import REPORT, SHOTS, SITE, site_pages

PAGES = site_pages()

WIDGETS_RENDERED = """() => {
  const views = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const areas = [...document.querySelectorAll('.widget-subarea')];
  return areas.length >= views && areas.every(a => a.querySelector('.jupyter-widgets'));
}"""

MATH_TYPESET = """async () => {
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
  await MathJax.startup.promise;
  return true;
}"""

IMAGES_LOADED = """() => [...document.images].every(i => i.complete)"""


def test_the_site_has_pages():
    assert PAGES, "no HTML pages found: run `make book` first"


@pytest.mark.parametrize("path", PAGES)
def test_page(path, context, base_url):
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None
        ),
    )
    page.goto(base_url + path, wait_until="load")

    has_widgets = page.locator(
        'script[type="application/vnd.jupyter.widget-view+json"]'
    ).count()
    if has_widgets:
        page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)
    n_math = page.locator(".math").count()
    if n_math:
        page.wait_for_function(MATH_TYPESET, timeout=30_000)
        typeset = page.locator("mjx-container").count()
        assert typeset >= n_math, f"{path}: {typeset} of {n_math} equations typeset"
        assert page.locator("mjx-merror").count() == 0, f"{path}: a TeX error"
    page.wait_for_function(IMAGES_LOADED, timeout=30_000)
    page.wait_for_load_state("networkidle")

    no_alt = page.evaluate(
        "() => [...document.images].filter(i => !(i.alt || '').trim())"
        ".map(i => (i.currentSrc || i.src).slice(0, 80))"
    )
    launch = _launch_links(page, path)
    explorers = page.locator(".convattn-frame-explorer")
    moved = [
        _move_every_slider(page, explorers.nth(i), path)
        for i in range(explorers.count())
    ]

    shot = SHOTS / (path.removesuffix(".html") + ".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    page.close()

    outside = [f"{url} (outside the site)" for url in context.blocked]
    REPORT["pages"] += 1
    REPORT["console_errors"] += [f"{path}: {e}" for e in errors]
    REPORT["failed_requests"] += [f"{path}: {f}" for f in failed + outside]
    REPORT["explorers"] += moved
    REPORT["chapters_with_launch_links"] += [path] if _is_chapter(path) else []
    assert not errors, f"{path}: console errors: {errors}"
    assert not failed and not outside, f"{path}: failed requests: {failed + outside}"
    assert not no_alt, f"{path}: images without alt text: {no_alt}"
    assert not launch, f"{path}: missing launch or download links: {launch}"


def _is_chapter(path) -> bool:
    stem, sources = path.removesuffix(".html"), SITE / "_sources"
    return (sources / f"{stem}.ipynb").is_file() and not (
        sources / f"{stem}.md"
    ).is_file()


def _launch_links(page, path) -> list[str]:
    """A chapter page (a .ipynb, not a MyST text page) offers Binder, Colab and
    its .ipynb."""
    if not _is_chapter(path):
        return []
    stem = path.removesuffix(".html")
    wanted = {
        "Binder": f'a[href^="https://mybinder.org/"][href*="{stem}.ipynb"]',
        "Colab": f'a[href^="https://colab.research.google.com/"][href$="{stem}.ipynb"]',
        "download": f'a[href$="_sources/{stem}.ipynb"]',
    }
    return [name for name, css in wanted.items() if not page.locator(css).count()]


def _move_every_slider(page, explorer, path) -> str:
    """Move each slider of one explorer a step; the picture must change each time."""
    picture = explorer.locator(".convattn-frames").first
    handles = explorer.locator(".noUi-handle")
    assert handles.count() >= 2, f"{path}: an explorer without its sliders"
    explorer.scroll_into_view_if_needed()
    for i in range(handles.count()):
        handle = handles.nth(i)
        before = picture.screenshot()
        now = int(float(handle.get_attribute("aria-valuenow")))
        top = int(float(handle.get_attribute("aria-valuemax")))
        handle.focus()
        page.keyboard.press("ArrowLeft" if now == top else "ArrowRight")
        page.wait_for_timeout(150)
        after = picture.screenshot()
        assert after != before, (
            f"{path}: moving slider {i} of an explorer left its picture unchanged"
        )
    return f"{path}: {handles.count()} sliders"
