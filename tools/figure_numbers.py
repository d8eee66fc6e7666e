"""Sphinx extension: number figures per chapter, "Fig. 3.2" for the second
figure of chapter 3.

Sphinx numbers figures per chapter only in a numbered table of contents, and
Jupyter Book 1 starts its numbering afresh in every part, so chapter 4 would
be "1". The chapters' file names carry their numbers (``03_soft_attention``):
after Sphinx has numbered the figures through the whole book, this takes the
chapter number from the file name and counts the figures within the chapter,
in the order Sphinx found them. A page without a chapter number (the
introduction) counts its own figures: Fig. 1, Fig. 2.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

CHAPTER = re.compile(r"(?:^|/)(\d+)_[^/]*$")


def chapter_numbers(fignumbers: dict, docname: str) -> dict:
    """``fignumbers`` of one page, renumbered (chapter, k) or (k,); a new dict."""
    m = CHAPTER.search(docname)
    prefix = (int(m.group(1)),) if m else ()
    renumbered = {}
    for figtype, ids in fignumbers.items():
        in_order = sorted(ids, key=lambda figid: ids[figid])
        renumbered[figtype] = {
            figid: (*prefix, k + 1) for k, figid in enumerate(in_order)
        }
    return renumbered


def _renumber(app: Sphinx, env: BuildEnvironment) -> list[str]:
    for docname, fignumbers in list(env.toc_fignumbers.items()):
        env.toc_fignumbers[docname] = chapter_numbers(fignumbers, docname)
    return []


def setup(app: Sphinx) -> dict:
    # after Sphinx's own numbering (the toctree collector, priority 500)
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
