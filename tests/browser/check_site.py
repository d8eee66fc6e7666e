"""The built book in a real browser, with no network and no kernel.

Run by `make browser` (part of `make test`, after `make book`):
``pytest tests/browser/check_site.py``. The file name keeps it out of the
unit tests, which must not need a built site.

For every page: no console errors, no failed or outside requests, equations
typeset by MathJax, alt text on every image, an axe-core
accessibility audit (no critical or serious WCAG 2 A/AA violation), and no
printed output wider than its box at 1280 px, no Markdown table left as
text. Chapter pages offer Binder,
Colab and their .ipynb. For every kernel-free explorer
(`convattn.widgets.frame_explorer`): moving each of its range inputs changes
the picture, its readout and the pictures' alt text, with no Python running,
and each panel's mark (ticks, outline) stays where the frame shown puts it,
outside the pixels it marks, also at 390 px.
Each page, loaded once, is then looked at again at phone width (390 px) and
in dark mode (chosen with the theme's colour-mode button): the audit, no
explorer wider than the screen. At 390 px also: no page wider than the
screen, no figure's text drawn below 10 px (a figure's smallest text is
plotting.MIN_FONT_PT at its natural width, so its rendered width must be at
least 10 px / that size of its natural width), and no figure reaching out
of its output box (a figure wider than the column scrolls inside a box of
its own, _static/figures.js).
The colour audits are shown to find what they look for: a chapter with a
faint link and faint text added fails both, in light and in dark mode.
With SCREENSHOTS=1 (`make screenshots`), full-page screenshots (JPEG) of
each look go to _build/screenshots, with the phone and dark ones in its
390/ and dark/ folders; the run's report goes there in any case.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_site import REPORT, SHOTS, SITE, TAKE_SHOTS, site_pages

from convattn import plotting, widgets

PAGES = site_pages()
AXE = Axe()
#: The audit: WCAG 2.0/2.1 level A and AA rules; these impacts fail the test.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # No re-fetching of stylesheets: axe resolves the theme's relative
    # @import against the page and requests a /basic.css that does not exist.
    "preload": False,
    # Nodes only for the violations: the passes of a chapter's thousands of
    # elements would otherwise be serialised and sent back with them.
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = ("critical", "serious")

#: Printed outputs (and tables) wider than their box: they scroll sideways.
TOO_WIDE = """() => [...document.querySelectorAll(
    '.cell_output pre, .output pre, .cell_output .output, div.output')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => {
    const cell = e.closest('.cell');
    const cells = [...document.querySelectorAll('.cell')];
    return `code cell ${cells.indexOf(cell) + 1}: ${e.scrollWidth} px in a `
      + `${e.clientWidth} px box: ${(e.innerText || '').split('\\n')[0].slice(0, 70)}`;
  })"""

#: The smallest text of a figure at its natural width, in CSS px: figures
#: are drawn at plotting.DPI px per inch with no text below MIN_FONT_PT.
SMALLEST_TEXT_PX = plotting.MIN_FONT_PT * plotting.DPI / 72
#: The least size of that text on screen.
LEAST_TEXT_PX = 10.0

#: Every figure picture (not the explorers' pictures, which hold no text):
#: its natural width (stored pixels / plotting.PIXEL_RATIO) and the width it
#: is drawn at.
FIGURE_WIDTHS = """ratio => [...document.querySelectorAll('.cell_output img')]
  .filter(i => !i.closest('.convattn-frame-explorer') && i.naturalWidth)
  .map(i => {
    const fig = i.closest('figure');
    const number = fig && fig.querySelector('.caption-number');
    const box = i.closest('.cell_output');
    return {name: number ? number.textContent.trim() : (i.alt || '').slice(0, 40),
            natural: i.naturalWidth / ratio, drawn: i.getBoundingClientRect().width,
            beyond: box.getBoundingClientRect().right > window.innerWidth + 1
                    || box.scrollWidth > box.clientWidth + 1};
  })"""

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

#: A Markdown table in an output that was not rendered as a table.
RAW_TABLES = """() => [...document.querySelectorAll('.cell_output p, .output p')]
  .filter(p => /^\\s*\\|.*\\|/.test(p.textContent))
  .map(p => p.textContent.slice(0, 60))"""

IMAGES_LOADED = """() => [...document.images].every(i => i.complete)"""

#: The rules that read colours: colour contrast, and links told apart from
#: the text around them (by colour or otherwise). Colours depend on the mode
#: and not on the width in this theme, so these run in light and dark at
#: 1280 px, and every other rule in light at 1280 and 390 px.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]

#: axe's colour rules cost about 2 ms per element with text, and a chapter
#: has thousands (every token of highlighted code is one). Contrast depends
#: only on the text's colour, size and weight and on what is behind it, so
#: of the text elements that agree in all of these (and in tag and class)
#: one is kept and the others are removed before those rules run; a link,
#: and anything inside one, is always kept (link-in-text-block compares it
#: with its paragraph). LOOKS records each text element's look in the
#: current colour mode (called once in light and once in dark mode);
#: SAME_LOOKS removes every element whose looks in both modes repeat those
#: of one kept earlier. It runs after every other check on the page.
LOOKS = """() => {
  const behind = e => {
    for (let a = e; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.backgroundImage !== 'none' || !/rgba\\(.*, 0\\)|transparent/.test(s.backgroundColor))
        return s.backgroundColor + s.backgroundImage + s.opacity;
    }
    return 'page';
  };
  const looks = window.__looks = window.__looks || new Map();
  for (const e of [...document.querySelectorAll('body *')]) {
    if (e.children.length || !e.parentElement || !(e.textContent || '').trim()
        || e.closest('a')) continue;
    const s = getComputedStyle(e);
    const look = [e.tagName, e.className, s.color, s.fontSize, s.fontWeight,
                  s.opacity, s.textShadow, behind(e)].join('|');
    looks.set(e, (looks.get(e) || '') + '#' + look);
  }
  return looks.size;
}"""
SAME_LOOKS = """() => {
  const seen = new Set();
  let removed = 0;
  for (const [e, look] of window.__looks) {
    if (seen.has(look)) { e.remove(); removed++; } else seen.add(look);
  }
  return removed;
}"""

#: After a change of size or colours: every CSS transition it started (the
#: theme fades colours between modes) has finished, and one more animation
#: frame has passed, so layout and styles are final (the explorers redraw
#: their rings on "resize"). Contrast measured mid-fade is wrong.
SETTLED = """async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  const fades = document.getAnimations().filter(a => a instanceof CSSTransition);
  await Promise.all(fades.map(a => a.finished.catch(() => null)));
  await frame();
}"""

#: After a change of width: the theme gives every box that scrolls a tab stop
#: (and takes it from one that no longer does) in a resize handler it delays
#: by 300 ms; until then the audit finds scrolling boxes without keyboard
#: access that no reader, whose page loads at its width, ever meets. This is
#: the theme's rule (pydata-sphinx-theme, addTabStopsToScrollableElements).
TAB_STOPS = """() => [...document.querySelectorAll(
    'pre, .nboutput > .output_area, .cell_output > .output, '
    + '.jp-RenderedHTMLCommon, .pst-scrollable-table-container')]
  .every(e => (e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight)
              === (e.tabIndex === 0))"""


#: Explorers that do not fit the screen.
EXPLORERS_TOO_WIDE = """() => [...document.querySelectorAll('.convattn-frame-explorer')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
            || e.scrollWidth > e.clientWidth + 1)
  .map(e => e.id)"""


#: Each explorer panel's mark, as drawn, against the frame shown (its page
#: data and the controls): a panel marking the query pixel has its ticks,
#: the current one on, and a panel marking a block of its own pixels has
#: none; the outline lies 1.5 to 3 screen px outside the marked pixels on
#: every side (never over them), and is drawn exactly where those pixels
#: are drawn at least RING_MIN_PX wide. Returns what is wrong.
MARKS = """([root, ringMin]) => {
  const d = JSON.parse(root.querySelector('script.cax-data').textContent);
  const inputs = [...root.querySelectorAll('input.cax-range')];
  let f = 0;
  inputs.forEach((inp, a) => { f = f * d.labels[a].length + Number(inp.value); });
  const r = d.rows[inputs[0].value], c = d.cols[inputs[1].value];
  const seen = e => getComputedStyle(e).visibility === 'visible';
  const bad = [];
  [...root.querySelectorAll('.cax-panel')].forEach((el, k) => {
    const mark = d.frames[f][k][5], where = `panel ${k}, query (${r}, ${c})`;
    const svg = el.querySelector('.cax-pic svg'), img = el.querySelector('.cax-pic img');
    const ring = svg.querySelector('rect.cax-ring-in');
    const ticks = [...el.querySelectorAll('.cax-tl svg')];
    const on = [...el.querySelectorAll('.cax-tick-on')].map(t => t.dataset.axis + t.dataset.v);
    const drawn = seen(svg) && getComputedStyle(ring).display !== 'none';
    if (mark === false) {
      if (drawn || ticks.some(seen)) bad.push(`${where}: marked, but marks nothing`);
      return;
    }
    if (mark === true && !(ticks.every(seen) && on.sort().join() === `col${c},row${r}`))
      bad.push(`${where}: ticks ${on} do not mark the query pixel`);
    if (mark !== true && ticks.some(seen)) bad.push(`${where}: query ticks on a block mark`);
    const vb = svg.viewBox.baseVal, pic = img.getBoundingClientRect();
    const sx = pic.width / vb.width, sy = pic.height / vb.height;
    const s = Number(svg.dataset.s);
    const [y0, y1, x0, x1] = mark === true
      ? [r + 0.5 - s / 2, r + 0.5 + s / 2, c + 0.5 - s / 2, c + 0.5 + s / 2]
      : mark;
    const least = mark === true ? 1 : Math.min(y1 - y0, x1 - x0);
    if ((least * sx >= ringMin) !== drawn)
      bad.push(`${where}: outline ${drawn ? 'over' : 'missing at'} ${(least * sx).toFixed(1)} px`);
    if (!drawn) return;
    const g = ring.getBoundingClientRect();
    const gaps = [pic.left + x0 * sx - g.left, g.right - (pic.left + x1 * sx),
                  pic.top + y0 * sy - g.top, g.bottom - (pic.top + y1 * sy)];
    if (gaps.some(v => v < 1.5 || v > 3))
      bad.push(`${where}: outline ${gaps.map(v => v.toFixed(1))} px outside its pixels`);
  });
  return bad;
}"""


def _marks(explorer, path, when):
    bad = explorer.evaluate(
        "(root, ringMin) => (" + MARKS + ")([root, ringMin])", widgets.RING_MIN_PX
    )
    assert not bad, f"{path} ({when}): explorer marks: {bad}"


def test_the_site_has_pages():
    assert PAGES, "no HTML pages found: run `make book` first"


@pytest.mark.parametrize("path", PAGES)
def test_page(path, context, base_url):
    """One page, loaded once and looked at three ways: light at 1280 px (every
    check), light at 390 px and dark at 1280 px (the audit, the explorers'
    fit, and with SCREENSHOTS=1 a screenshot each). The colour rules
    (COLOUR_RULES) are audited in light and dark at 1280 px, the others in
    light at both widths."""
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

    # Light, 1280 px.
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
    too_wide = sorted(set(page.evaluate(TOO_WIDE)))
    raw_tables = page.evaluate(RAW_TABLES)
    assert _theme(page) == "light", f"{path}: not in light mode"
    wide = {"1280": page.evaluate(EXPLORERS_TOO_WIDE)}
    _screenshot(page, path)
    violations = {"light, 1280 px": _audit(page)}

    # Light, 390 px.
    _resize(page, 390)
    for i in range(explorers.count()):
        _marks(explorers.nth(i), path, "390 px")
    wide["390"] = page.evaluate(EXPLORERS_TOO_WIDE)
    page_width = page.evaluate("() => document.documentElement.scrollWidth")
    figures = page.evaluate(FIGURE_WIDTHS, plotting.PIXEL_RATIO)
    small_text = _small_text(figures)
    beyond = [f["name"] for f in figures if f["beyond"]]
    _screenshot(page, path, "390")
    violations["light, 390 px"] = _audit(page)
    _resize(page, 1280)

    # Dark, 1280 px.
    _to_dark(page)
    wide["dark"] = page.evaluate(EXPLORERS_TOO_WIDE)
    _screenshot(page, path, "dark")
    colours = _colour_audits(page)
    violations["dark"] = colours["dark"]
    violations["light, 1280 px"] += colours["light"]
    page.close()

    outside = [f"{url} (outside the site)" for url in context.blocked]
    wide = [f"{e} ({mode})" for mode, ids in wide.items() for e in ids]
    violations = [f"({mode}) {v}" for mode, vs in violations.items() for v in vs]
    REPORT["pages"] += 1
    REPORT["console_errors"] += [f"{path}: {e}" for e in errors]
    REPORT["failed_requests"] += [f"{path}: {f}" for f in failed + outside]
    REPORT["explorers"] += moved
    REPORT["chapters_with_launch_links"] += [path] if _is_chapter(path) else []
    REPORT["too_wide"] += [f"{path}: {w}" for w in too_wide]
    REPORT["axe"] += [f"{path} {v}" for v in violations]
    REPORT["small_text"] += [f"{path}: {t}" for t in small_text]
    assert not errors, f"{path}: console errors: {errors}"
    assert not failed and not outside, f"{path}: failed requests: {failed + outside}"
    assert not no_alt, f"{path}: images without alt text: {no_alt}"
    assert not launch, f"{path}: missing launch or download links: {launch}"
    assert not violations, f"{path}: accessibility violations: {violations}"
    assert not too_wide, f"{path}: printed outputs wider than their box: {too_wide}"
    assert not raw_tables, f"{path}: Markdown tables shown as text: {raw_tables}"
    assert not wide, f"{path}: explorers wider than the screen: {wide}"
    assert page_width <= 391, f"{path}: {page_width} px wide on a 390 px screen"
    assert not small_text, f"{path} (390 px): figure text below 10 px: {small_text}"
    assert not beyond, f"{path} (390 px): figures wider than their output box: {beyond}"


#: What the colour audits must find: a link told apart from its paragraph by
#: a colour too close to the text's (and nothing else), and faint text,
#: whatever the mode (both colours are mixed from the mode's own).
FAULTY_PARAGRAPH = """() => {
  const p = document.createElement('p');
  p.innerHTML = 'Words before the link, and more words, <a href="#" id="faint-link" '
    + 'style="color: color-mix(in srgb, currentColor 80%, #36f); text-decoration: none">'
    + 'a link</a> and more words after it, then <span id="faint-text" style="color: '
    + 'color-mix(in srgb, currentColor 25%, var(--pst-color-background))">faint words</span>.';
  document.querySelector('main p').after(p);
}"""


def test_the_colour_audits_find_a_faint_link_and_faint_text(context, base_url):
    """The colour audits of test_page, on a chapter with a faulty paragraph
    added: each rule finds its element in both modes, after the pruning."""
    chapter = next(path for path in PAGES if _is_chapter(path))
    page = context.new_page()
    page.goto(base_url + chapter, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate(FAULTY_PARAGRAPH)
    _to_dark(page)
    found = _colour_audits(page)
    page.close()
    for mode, violations in found.items():
        for rule, element in [
            ("link-in-text-block", "#faint-link"),
            ("color-contrast", "#faint-text"),
        ]:
            assert any(v.startswith(rule) and element in v for v in violations), (
                f"{chapter} ({mode}): the {rule} audit missed {element}: {violations}"
            )


def _to_dark(page) -> None:
    """Dark mode, as a reader picks it with the theme's colour-mode button
    (light, then auto, then dark) while the system asks for dark colours;
    the light looks are recorded first (LOOKS)."""
    page.evaluate(LOOKS)
    page.emulate_media(color_scheme="dark")
    _choose_mode(page, "dark")
    page.evaluate(SETTLED)


def _colour_audits(page) -> dict[str, list[str]]:
    """The colour rules' violations, in dark mode (where _to_dark left the
    page) and back in light mode, on what SAME_LOOKS leaves of the page."""
    page.evaluate(LOOKS)
    page.evaluate(SAME_LOOKS)
    found = {"dark": _audit(page, colours=True)}
    page.emulate_media(color_scheme="light")
    _choose_mode(page, "light")
    page.evaluate(SETTLED)
    found["light"] = _audit(page, colours=True)
    return found


def _resize(page, width: int) -> None:
    """The page at ``width`` CSS px, once layout, styles and the theme's tab
    stops have caught up."""
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate(SETTLED)
    page.wait_for_function(TAB_STOPS, timeout=10_000, polling=50)


def _theme(page) -> str:
    return page.evaluate("() => document.documentElement.dataset.theme")


def _choose_mode(page, theme: str) -> None:
    """Press the theme's colour-mode button until the page is in ``theme``."""
    button = page.locator(".theme-switch-button").first
    for _ in range(3):
        if _theme(page) == theme:
            return
        button.click()
    assert _theme(page) == theme, f"the colour-mode button never gave {theme}"
    _at_rest(page)


def _at_rest(page) -> None:
    """No tooltip on the page: the theme's buttons fade one in after a click
    and out when the pointer and the focus go; an audit mid-fade measures
    half-transparent text, which no reader sees at rest. Called after a
    click and again right before each contrast audit (one run had a tooltip
    back by then)."""
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.wait_for_function(
        "() => !document.querySelector('.tooltip')", timeout=5_000, polling=50
    )


#: JPEG holds at most 65,535 rows: a taller page is saved in parts of this
#: many CSS px (name.jpg, name-2.jpg, ...); Chromium writes an empty file for
#: a whole page beyond the limit.
SHOT_PART_PX = 60_000


def _screenshot(page, path, mode: str = "") -> None:
    """The whole page as a JPEG in _build/screenshots (``mode``: a folder),
    in parts of SHOT_PART_PX for a very long page (the API reference); only
    when asked for (TAKE_SHOTS)."""
    if not TAKE_SHOTS:
        return
    shot = SHOTS / mode / (path.removesuffix(".html") + ".jpg")
    shot.parent.mkdir(parents=True, exist_ok=True)
    for old in shot.parent.glob(f"{shot.stem}-*.jpg"):
        old.unlink()
    # From the top: the sticky sidebars are drawn where the page is scrolled.
    page.evaluate("window.scrollTo(0, 0)")
    width, height = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.documentElement.scrollHeight]"
    )
    for k, top in enumerate(range(0, height, SHOT_PART_PX)):
        part = shot if k == 0 else shot.with_name(f"{shot.stem}-{k + 1}.jpg")
        clip = {"x": 0, "y": top, "width": width}
        clip["height"] = min(SHOT_PART_PX, height - top)
        page.screenshot(
            path=str(part), full_page=True, clip=clip, type="jpeg", quality=85
        )
        assert part.stat().st_size > 0, f"{path}: empty screenshot {part}"


def _small_text(figures: list[dict]) -> list[str]:
    """The figures whose smallest text is drawn below LEAST_TEXT_PX."""
    out = []
    for f in figures:
        text_px = f["drawn"] / f["natural"] * SMALLEST_TEXT_PX
        if text_px < LEAST_TEXT_PX - 0.05:
            out.append(
                f"{f['name']}: {f['natural']:.0f} px drawn at {f['drawn']:.0f} px, "
                f"text {text_px:.1f} px"
            )
    return out


def _audit(page, colours: bool = False) -> list[str]:
    """axe-core's critical and serious WCAG 2 A/AA violations on the page:
    every rule but COLOUR_RULES on the whole page, or (``colours``) those
    on what SAME_LOOKS left of it."""
    if colours:
        _at_rest(page)
        options = {**AXE_OPTIONS, "runOnly": {"type": "rule", "values": COLOUR_RULES}}
    else:
        off = {rule: {"enabled": False} for rule in COLOUR_RULES}
        options = {**AXE_OPTIONS, "rules": off}
    violations = AXE.run(page, options=options).response["violations"]
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements: "
        f"{v['nodes'][0]['target']}): {v['help']}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
    ]


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
    """Move each range input of one explorer a step: the picture, the readout
    and the pictures' alt text must follow."""
    picture = explorer.locator(".cax-panels").first
    inputs = explorer.locator('input[type="range"]')
    assert inputs.count() >= 2, f"{path}: an explorer without its controls"
    explorer.scroll_into_view_if_needed()
    _marks(explorer, path, "start")
    for i in range(inputs.count()):
        slider = inputs.nth(i)
        name = page.evaluate(
            "e => e.labels.length ? e.labels[0].textContent : ''",
            slider.element_handle(),
        )
        assert name.strip(), f"{path}: range input {i} has no label"
        before = picture.screenshot()
        alts = explorer.locator(".cax-panel img").evaluate_all(
            "els => els.map(e => e.alt)"
        )
        now, top = int(slider.input_value()), int(slider.get_attribute("max"))
        slider.focus()
        page.keyboard.press("ArrowLeft" if now == top else "ArrowRight")
        page.wait_for_timeout(100)
        after = picture.screenshot()
        assert int(slider.input_value()) != now, f"{path}: input {i} did not move"
        assert after != before, (
            f"{path}: moving input {i} ({name}) of an explorer left its picture unchanged"
        )
        readout = explorer.locator(f'output[for="{slider.get_attribute("id")}"]')
        text = readout.inner_text()
        assert text == slider.get_attribute("aria-valuetext"), (
            f"{path}: readout {text!r} is not the input's value"
        )
        new_alts = explorer.locator(".cax-panel img").evaluate_all(
            "els => els.map(e => e.alt)"
        )
        assert new_alts != alts, f"{path}: alt text did not follow input {i}"
        assert all(f"{name} {text}" in a for a in new_alts), (
            f"{path}: alt text {new_alts[0]!r} does not say {name} {text}"
        )
        _marks(explorer, path, f"{name} moved")
    return f"{path}: {inputs.count()} controls"
