"""Package code shown in the book, selected by name (convattn.source)."""

import ast
import inspect

import pytest

import convattn as ca
from convattn.source import show_source, source


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
