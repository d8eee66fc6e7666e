"""The source of a named function, class or method of the package, for the book.

A chapter that shows package code selects it by name,
``show_source("conv._correlate")``, never by cutting a string at some line:
then a change to the package shows up in the chapter as it is, and a rename
fails loudly (an unknown name raises, and a test checks every name a chapter
shows).

This module imports only the standard library (and the package on demand).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap

__all__ = ["show_source", "source"]


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
    >>> print(source("softmax", docstring=False).splitlines()[1])
        # (docstring omitted)
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


def show_source(name: str, docstring: bool = True) -> None:
    """Print :func:`source` ``(name, docstring)``: package code shown in a chapter."""
    print(source(name, docstring=docstring), end="")
