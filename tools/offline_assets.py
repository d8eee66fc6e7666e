"""Sphinx extension: serve the book's browser libraries from the book itself.

By default the rendered pages load require.js and the Jupyter widget manager
(myst-nb) and MathJax (Sphinx) from public CDNs, so the book cannot be read
offline and its interactive parts depend on third parties. ``make
web-assets`` installs pinned copies from the npm registry (``package.json``,
``package-lock.json``) into ``_build/web_assets/node_modules`` (nothing is
committed; ``$BOOK_WEB_ASSETS`` overrides the place), and this extension
copies what the pages need into ``_build/html/_static/vendor/`` after every
HTML build. ``_config.yml`` points ``mathjax_path`` and
``nb_ipywidgets_js`` at those copies (paths relative to ``_static``).

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
ASSETS = {
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist": "html-manager",
    "mathjax/es5": "mathjax",
}
#: Our own glue, next to this file -> target under _static/vendor.
LOCAL = {"widgets_setup.js": "widgets-setup.js"}
#: Not needed by a browser (source maps, the non-AMD bundle).
SKIP = shutil.ignore_patterns("*.map", "embed.js", "*.LICENSE.txt", "node-main*")


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
    for src, dst in LOCAL.items():
        shutil.copy2(Path(__file__).with_name(src), vendor / dst)


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


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", lambda app: _check_installed())
    # Early: `html-page-context` stops at the first handler that returns a
    # template, and the duplicates are global, present before any handler.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=1)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
