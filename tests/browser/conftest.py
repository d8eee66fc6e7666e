"""Fixtures for the browser test of the built book (`make browser`).

The site in ``_build/html`` (or ``$BOOK_SITE``) is served on 127.0.0.1 and
read by Debian's headless Chromium through Playwright. Every request that
leaves the site is aborted and counted as a failure: the book must read
offline. Chromium is never downloaded by Playwright; a missing browser fails
the run with a message saying how to install it.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from browser_site import CHROMIUM, CHROMIUM_FLAGS, REPORT, SHOTS, SITE, TAKE_SHOTS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book at {SITE}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's package "
            "(`sudo apt-get install -y chromium`) or set CHROMIUM=/path/to/chromium. "
            "The browser test never downloads a browser."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: `make` installs it from requirements.txt")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _new_context(browser, base_url):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900},
        service_workers="block",
        color_scheme="light",
    )
    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(base_url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    ctx.route("**/*", only_local)
    ctx.blocked = blocked
    return ctx


@pytest.fixture()
def context(browser, base_url):
    """A fresh browser context (1280 px, light) in which only the local site
    can be reached."""
    ctx = _new_context(browser, base_url)
    yield ctx
    ctx.close()


_START = time.perf_counter()


def _worker(config) -> str | None:
    """The xdist worker's id (gw0, ...), or None in the controlling process."""
    return getattr(config, "workerinput", {}).get("workerid")


def pytest_configure(config):
    # The controlling process clears the workers' reports of an earlier run.
    if _worker(config) is None and SHOTS.is_dir():
        for old in SHOTS.glob(".report-*.json"):
            old.unlink()


def pytest_sessionfinish(session):
    # Each worker (`pytest -n 2`) saves its part of the report for the
    # controlling process, which adds them up in the summary below.
    worker = _worker(session.config)
    if worker is not None and REPORT["pages"]:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f".report-{worker}.json").write_text(json.dumps(REPORT))


def _merged_report() -> dict:
    report = {k: (list(v) if isinstance(v, list) else v) for k, v in REPORT.items()}
    for part in sorted(SHOTS.glob(".report-*.json")) if SHOTS.is_dir() else []:
        for key, value in json.loads(part.read_text()).items():
            report[key] = report[key] + value
        part.unlink()
    return report


def pytest_terminal_summary(terminalreporter):
    if _worker(terminalreporter.config) is not None:
        return
    REPORT.update(_merged_report())
    if not REPORT["pages"]:
        return
    seconds = time.perf_counter() - _START
    REPORT["seconds"] = round(seconds, 1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "report.json").write_text(json.dumps(REPORT, indent=1))
    write = terminalreporter.write_line
    write("")
    write(
        f"browser test: {REPORT['pages']} pages checked, "
        f"{len(REPORT['console_errors'])} console errors, "
        f"{len(REPORT['failed_requests'])} failed requests, "
        f"{len(REPORT['explorers'])} kernel-free explorers moved, "
        f"{len(REPORT['chapters_with_launch_links'])} chapters with launch links, "
        f"{seconds:.1f} s; "
        + (
            f"screenshots in {SHOTS}"
            if TAKE_SHOTS
            else "no screenshots (SCREENSHOTS=1)"
        )
    )
    write(
        f"  axe-core: {len(REPORT['axe'])} critical or serious violations; "
        f"{len(REPORT['too_wide'])} printed outputs wider than their box; "
        f"{len(REPORT['small_text'])} figures with text below 10 px at 390 px"
    )
    for kind in ("console_errors", "failed_requests", "axe", "too_wide", "small_text"):
        for item in REPORT[kind][:60]:
            write(f"  {kind}: {item}")
