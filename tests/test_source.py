"""Package code shown in the book, selected by name (convattn.source)."""

import ast
import html
import inspect
import json
import re
from pathlib import Path

import pytest

import convattn as ca
from convattn.source import (
    LISTING_CLASS,
    LISTING_WIDTH,
    listing_html,
    show_source,
    source,
)

ROOT = Path(__file__).resolve().parents[1]
SHOWN = re.compile(
    r"""show_source\(\s*["']([\w.]+)["']\s*(?:,\s*docstring\s*=\s*(\w+))?"""
)


def test_source_is_the_object_source_dedented():
    assert source("conv._correlate") == inspect.getsource(ca.conv._correlate)
    method = source("SelfAttention.__call__")
    assert method.startswith("def __call__(")
    ast.parse(method)  # dedented: valid on its own


def test_docstring_left_out_and_nothing_else():
    full = source("blockwise_attention")
    short = source("blockwise_attention", docstring=False)
    doc = ca.blockwise_attention.__doc__
    assert doc.strip().splitlines()[0] in full
    assert doc.strip().splitlines()[0] not in short
    assert "# (docstring omitted)" in short
    # Every other line is kept, in order.
    kept = [line for line in short.splitlines() if "docstring omitted" not in line]
    assert [line for line in full.splitlines() if line in kept] == kept
    tree = ast.parse(short).body[0]
    assert isinstance(tree, ast.FunctionDef) and ast.get_docstring(tree) is None


def test_show_source_prints_it(capsys):
    show_source("softmax")
    assert capsys.readouterr().out == source("softmax")


def test_in_a_notebook_show_source_displays_html_and_text(monkeypatch, capsys):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(
        IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw))
    )
    show_source("blockwise_attention", docstring=False)
    assert capsys.readouterr().out == ""
    [((bundle,), kwargs)] = shown
    assert kwargs == {"raw": True}
    text = source("blockwise_attention", docstring=False)
    assert bundle["text/plain"] == text
    assert bundle["text/html"] == listing_html(text)


def test_listing_html_escapes_and_keeps_every_character():
    text = source("blockwise_attention")  # holds "<=" and quotes
    assert "<=" in text
    page = listing_html(text)
    head, tail = f'<pre class="{LISTING_CLASS}">', "</pre>"
    assert page.startswith(head) and page.endswith(tail)
    inner = page[len(head) : -len(tail)]
    assert "<" not in inner and ">" not in inner
    assert html.unescape(inner) == text
    with pytest.raises(TypeError, match=r"^text"):
        listing_html(b"def f(): pass")


def test_the_style_sheet_styles_the_listing_class():
    css = (ROOT / "_static" / "listings.css").read_text(encoding="utf-8")
    rule = re.search(r"\." + re.escape(LISTING_CLASS) + r"\s*\{([^}]*)\}", css)
    assert rule, f"_static/listings.css has no rule for .{LISTING_CLASS}"
    assert "font-size" in rule.group(1)


def test_every_listing_a_chapter_shows_fits_the_listing_width():
    # The style sheet sizes the listing font for lines of LISTING_WIDTH
    # characters; a longer line would scroll sideways on the site.
    shown = set()
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                for name, doc in SHOWN.findall("".join(cell["source"])):
                    shown.add((name, doc != "False"))
    assert shown, "no chapter shows package code"
    for name, docstring in sorted(shown):
        for line in source(name, docstring=docstring).splitlines():
            assert len(line) <= LISTING_WIDTH, (
                f"convattn.{name}: a line of {len(line)} characters "
                f"(a listing holds {LISTING_WIDTH}): {line[:60]}"
            )


@pytest.mark.parametrize(
    "name, error",
    [
        ("no_such_function", ValueError),
        ("conv.no_such_helper", ValueError),
        ("conv", ValueError),  # a module, not a function
        ("conv..x", ValueError),
        ("", ValueError),
        (3, TypeError),
    ],
)
def test_unknown_names_fail_naming_the_argument(name, error):
    with pytest.raises(error, match=r"^name"):
        source(name)
