"""What the browser test shares: where the site is, the browser, the report."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BOOK_SITE", ROOT / "_build" / "html")).resolve()
SHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", SITE.parent / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Full-page screenshots of every page in its three looks, for a reader's
#: review of the figures (`make screenshots`): set SCREENSHOTS=1. They check
#: nothing and cost about a third of the browser test, so `make test` and
#: `make browser` leave them out.
TAKE_SHOTS = os.environ.get("SCREENSHOTS", "") not in ("", "0")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Filled by the tests, printed at the end and saved next to the screenshots.
REPORT: dict = {
    "pages": 0,
    "console_errors": [],
    "failed_requests": [],
    "explorers": [],
    "chapters_with_launch_links": [],
    "axe": [],
    "too_wide": [],
    "small_text": [],
}


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to its root."""
    if not SITE.is_dir():
        return []
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not p.relative_to(SITE).parts[0].startswith("_")
    )
