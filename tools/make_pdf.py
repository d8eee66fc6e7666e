"""The whole book as one PDF, printed by Debian's Chromium.

    .venv/bin/python tools/make_pdf.py            (or: make pdf)

``tools/build_edition.py single`` renders the book on one HTML page (Sphinx's
``singlehtml`` builder, from the stored outputs); this script adds a print
style sheet that hides the live widget views (each explorer's static figure
stays in its place) and the site's navigation, serves the page on
127.0.0.1, and prints it with ``chromium --headless --print-to-pdf`` into
``_build/pdf/book.pdf``. Jupyter Book's own ``pdfhtml`` builder would need a
browser downloaded by pyppeteer, which fails offline.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ROOT / "_build" / "single" / "singlehtml"
TARGET = ROOT / "_build" / "pdf" / "book.pdf"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

PRINT_CSS = """<style media="print" id="book-pdf">
  .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-header-article, .header-article-items, .prev-next-area, .footer-article-items,
  .jupyter-widgets, .widget-subarea, .jp-OutputArea-output .widget-vbox,
  script[type="application/vnd.jupyter.widget-view+json"] { display: none !important; }
  .bd-main, .bd-content, .bd-article-container { max-width: 100% !important; }
  .cell_output img { max-width: 100% !important; page-break-inside: avoid; }
  h1 { page-break-before: always; }
</style>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def add_print_css(index: Path) -> None:
    html = index.read_text(encoding="utf-8")
    if 'id="book-pdf"' not in html:
        html = html.replace("</head>", PRINT_CSS + "</head>", 1)
        index.write_text(html, encoding="utf-8")


def print_pdf(site: Path = SINGLE, target: Path = TARGET) -> Path:
    if not (site / "index.html").is_file():
        raise SystemExit(
            f"no one-page book at {site}: run tools/build_edition.py single"
        )
    if not Path(CHROMIUM).is_file():
        raise SystemExit(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        )
    add_print_css(site / "index.html")
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=30000",  # let MathJax typeset first
            f"--print-to-pdf={target}",
            f"http://127.0.0.1:{server.server_port}/index.html",
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    server.shutdown()
    print(f"Wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


if __name__ == "__main__":
    print_pdf(*(Path(a) for a in sys.argv[1:]))
