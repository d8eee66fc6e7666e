"""The source of a named function, class or method of the package, for the book.

A chapter that shows package code selects it by name,
``show_source("conv._correlate")``, never by cutting a string at some line:
then a change to the package shows up in the chapter as it is, and a rename
fails loudly (an unknown name raises, and a test checks every name a chapter
shows).

In a notebook :func:`show_source` shows the code as an HTML listing,
``<pre class="convattn-listing">``, with the plain text beside it for
every other front end. The package is formatted at 88 columns, wider than a
printed output of the book's pages (about 78 characters of the output
font): the book's style sheet ``_static/listings.css`` sets listings in a
smaller font, so that a line of :data:`LISTING_WIDTH` characters fits
without scrolling sideways; in JupyterLab the listing is an ordinary block
of code.

This module imports only the standard library (and the package, and IPython
in a notebook, on demand).
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import textwrap

__all__ = ["LISTING_CLASS", "LISTING_WIDTH", "listing_html", "show_source", "source"]

#: The HTML class of a listing; ``_static/listings.css`` styles it on the site.
LISTING_CLASS = "convattn-listing"
#: The longest line a listing may hold: the package's line length (ruff).
LISTING_WIDTH = 88


def _resolve(name: str):
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a str such as 'conv2d'; got {type(name).__name__}"
        )
    parts = name.split(".")
    if not name or not all(p.isidentifier() for p in parts):
        raise ValueError(
            f"name must be a dotted Python name such as 'conv._correlate'; got {name!r}"
        )
    obj = importlib.import_module("convattn")
    path = "convattn"
    for part in parts:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:  # a submodule not imported yet
                obj = importlib.import_module(f"{path}.{part}")
            except ModuleNotFoundError:
                raise ValueError(
                    f"name {name!r}: convattn has no {path.removeprefix('convattn')[1:] or 'top-level'}"
                    f" attribute {part!r} (was it renamed?)"
                ) from None
        path = f"{path}.{part}"
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        raise ValueError(
            f"name {name!r} is a {type(obj).__name__}, not a function, class or method"
        )
    return obj


def source(name: str, docstring: bool = True) -> str:
    """The source code of ``convattn.<name>``, as it is in the package.

    Parameters
    ----------
    name : str
        A dotted name inside the package: ``"conv2d"``, ``"conv._correlate"``,
        ``"SelfAttention.__call__"``.
    docstring : bool
        Keep the docstring; ``False`` replaces it by the comment
        ``# (docstring omitted)``.

    Returns
    -------
    str
        The source, dedented, ending with a newline.

    Examples
    --------
    >>> short = source("softmax", docstring=False)
    >>> "# (docstring omitted)" in short, "Parameters" in source("softmax")
    (True, True)
    >>> [line for line in short.splitlines() if line.lstrip().startswith("def ")]
    ['def softmax(scores: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:']
    >>> source("no_such_function")
    Traceback (most recent call last):
    ...
    ValueError: name 'no_such_function': convattn has no top-level attribute 'no_such_function' (was it renamed?)
    """
    obj = _resolve(name)
    text = textwrap.dedent(inspect.getsource(obj))
    if docstring:
        return text
    node = ast.parse(text).body[0]
    body = node.body
    if not (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return text
    lines = text.splitlines(keepends=True)
    first, last = body[0].lineno - 1, body[0].end_lineno
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    return "".join([*lines[:first], f"{indent}# (docstring omitted)\n", *lines[last:]])


def listing_html(text: str) -> str:
    """``text`` as an HTML listing: escaped, in ``<pre class="convattn-listing">``.

    Examples
    --------
    >>> listing_html("if a < b & c:\\n")
    '<pre class="convattn-listing">if a &lt; b &amp; c:\\n</pre>'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    return f'<pre class="{LISTING_CLASS}">{html.escape(text, quote=False)}</pre>'


def show_source(name: str, docstring: bool = True) -> None:
    """Show :func:`source` ``(name, docstring)``: package code in a chapter.

    In IPython (a notebook) it displays one output holding the listing twice,
    as HTML (:func:`listing_html`) and as plain text; elsewhere it prints the
    plain text.
    """
    text = source(name, docstring=docstring)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(text, end="")
        return
    from IPython.display import display

    display({"text/plain": text, "text/html": listing_html(text)}, raw=True)
