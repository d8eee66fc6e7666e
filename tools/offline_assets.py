"""Sphinx extension: serve the book's browser libraries from the book itself.

By default the rendered pages load MathJax (Sphinx) from a public CDN, so
the book could not be read offline. ``make web-assets`` installs a pinned copy
from the npm registry (``package.json``, ``package-lock.json``) into
``_build/web_assets/node_modules`` (nothing is committed;
``$BOOK_WEB_ASSETS`` overrides the place), and this extension copies it into
``_build/html/_static/vendor/`` after every HTML build. ``_config.yml``
points ``mathjax_path`` at that copy (relative to ``_static``). The
explorers are self-contained HTML (``convattn.widgets.frame_explorer``), so
no page loads require.js or the widget manager.

It also fixes one accessibility error of the generated HTML: docutils marks
each bibliography entry ``role="doc-biblioentry"`` inside a
``role="list"``, a role that ARIA 1.2 no longer accepts there (axe:
``aria-required-children``, critical); each entry becomes a ``listitem``.

The source folder is deliberately not called ``_static``: Jupyter Book 1
injects every ``.js`` file found in a ``_static`` source folder into every
page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = Path(
    os.environ.get("BOOK_WEB_ASSETS", ROOT / "_build" / "web_assets" / "node_modules")
)

#: What to copy: source under node_modules -> target under _static/vendor.
ASSETS = {"mathjax/es5": "mathjax"}
#: Not needed by a browser.
SKIP = shutil.ignore_patterns("*.map", "*.LICENSE.txt")


def _check_installed() -> None:
    missing = [src for src in ASSETS if not (NODE_MODULES / src).exists()]
    if missing:
        raise ExtensionError(
            "offline_assets: the browser libraries are not installed "
            f"(missing {', '.join(missing)} under {NODE_MODULES}); "
            "run `make web-assets` (npm ci from package-lock.json)"
        )


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    vendor = Path(app.builder.outdir) / "_static" / "vendor"
    for src, dst in ASSETS.items():
        source, target = NODE_MODULES / src, vendor / dst
        if source.is_dir():
            shutil.copytree(source, target, ignore=SKIP, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep one copy of each script: sphinx-thebe registers its inline
    configuration (``const THEBE_JS_URL = ...``) twice, and the second
    ``const`` is a console error on every page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", None) or "", attrs.get("body"))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _list_items(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", lambda app: _check_installed())
    # Early: `html-page-context` stops at the first handler that returns a
    # template, and the duplicates are global, present before any handler.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=1)
    app.connect("html-page-context", _list_items, priority=1)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
