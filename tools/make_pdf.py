"""The whole book as one PDF, printed by Debian's Chromium.

    .venv/bin/python tools/make_pdf.py [SITE] [PDF]      (or: make pdf)

Every page of the built site (``_build/html``, from ``make book``) in the
order of ``_toc.yml`` is opened in headless Chromium (Playwright driving
``/usr/bin/chromium``, never a downloaded browser) with only the site
reachable; after MathJax has typeset it, it is printed with a print style
sheet that hides the navigation and the live widget views, so each explorer
is represented by its static figure; pypdf joins the pages into
``_build/pdf/book.pdf``. Printing page by page keeps MathJax and the figures
exactly as the site shows them; Jupyter Book's own ``pdfhtml`` builder would
need a browser downloaded by pyppeteer, which fails offline.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import sys
import threading
from pathlib import Path

import yaml
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
TARGET = ROOT / "_build" / "pdf" / "book.pdf"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

PRINT_CSS = """
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
.bd-header-article, .prev-next-area, .footer-article-items, .bd-footer-article,
.skip-link, #pst-skip-link, .header-article-items, .bd-search, .search-button,
.jupyter-widgets, .widget-subarea, .headerlink { display: none !important; }
.bd-main .bd-content .bd-article-container, .bd-page-width, .bd-container__inner
  { max-width: 100% !important; }
.cell_output img { max-width: 100% !important; break-inside: avoid; }
"""

MATH_TYPESET = """async () => {
  if (!document.querySelector('.math')) return true;
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
  await MathJax.startup.promise;
  return true;
}"""


IMAGES_LOADED = "() => [...document.images].every(i => i.complete)"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """The book's documents in reading order (``book/intro``, ...)."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    pages = [data["root"]]
    for part in data.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return pages


def print_pdf(site: Path = SITE, target: Path = TARGET) -> Path:
    from playwright.sync_api import sync_playwright

    if not (site / "index.html").is_file():
        raise SystemExit(f"no built book at {site}: run `make book`")
    if not Path(CHROMIUM).is_file():
        raise SystemExit(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        )
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    writer = PdfWriter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ctx = browser.new_context()
        ctx.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(base) else r.abort(),
        )
        page = ctx.new_page()
        for doc in toc_pages():
            if not (site / f"{doc}.html").is_file():
                raise SystemExit(f"{doc}.html is missing from {site}")
            page.goto(base + f"{doc}.html", wait_until="load")
            page.wait_for_function(MATH_TYPESET, timeout=60_000)
            page.wait_for_function(IMAGES_LOADED, timeout=60_000)
            page.add_style_tag(content=PRINT_CSS)
            page.emulate_media(media="print")
            pdf = page.pdf(
                format="A4",
                print_background=True,
                margin={
                    "top": "15mm",
                    "bottom": "15mm",
                    "left": "12mm",
                    "right": "12mm",
                },
            )
            writer.append(io.BytesIO(pdf), outline_item=page.title().split(" — ")[0])
        browser.close()
    server.shutdown()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as f:
        writer.write(f)
    print(
        f"Wrote {target}: {len(writer.pages)} pages, {target.stat().st_size / 1e6:.1f} MB"
    )
    return target


if __name__ == "__main__":
    print_pdf(*(Path(a) for a in sys.argv[1:]))
