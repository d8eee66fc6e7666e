"""Write student copies of the chapters: solutions removed, plain Markdown.

    .venv/bin/python tools/make_student.py book student      (or: make student)

For every chapter notebook of the source folder (``0*.ipynb``):

* the cells from a ``{solution-start}`` cell to its ``{solution-end}`` cell
  (both included), and any single-cell ``{solution}`` directive, are replaced
  by a short pointer to the solution in the book and a code cell for the
  student's answer; an exercise with a self-check gets the call
  ``check("ex-03-gradient", answer)`` there;
* every MyST construct becomes plain Markdown that JupyterLab, VS Code and
  Colab render as the site does: exercises become a bold "Exercise 3.2" and
  their prompt, ``{cite}`` the author-year text linked to the bibliography,
  ``{doc}`` and ``{ref}`` plain links, ``{math}`` dollar math, admonitions
  quoted paragraphs, figures images;
* every output, execution count and stored widget state is removed, so
  students run the notebook themselves.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from convattn.exercises import _REGISTRY as SELF_CHECKS  # noqa: E402

# Where the published book lives (GitHub Pages of the repository in _config.yml).
SITE = "https://convattn.github.io/convolution-vs-self-attention"

START = re.compile(r"^\s*(```+|:::+)\s*\{solution-start\}\s*(\S*)", re.M)
END = re.compile(r"^\s*(```+|:::+)\s*\{solution-end\}", re.M)
WHOLE = re.compile(r"^\s*(```+|:::+)\s*\{solution\}\s*(\S*)", re.M)
# A fenced directive: ```{name} argument / options / body / ``` (or ::: fences).
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.M | re.S,
)
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<text>[^`]*)`")
ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}


def solution_cells(nb: nbformat.NotebookNode) -> set[int]:
    """Indices of the cells that make up the solutions of ``nb``."""
    out, inside = set(), False
    for k, cell in enumerate(nb.cells):
        src = cell.source if cell.cell_type == "markdown" else ""
        if not inside and (m := START.search(src)):
            out.add(k)
            inside = not END.search(src[m.end() :])
        elif inside:
            out.add(k)
            inside = not END.search(src)
        elif WHOLE.search(src):
            out.add(k)
    if inside:
        raise ValueError("a {solution-start} has no {solution-end}")
    return out


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a student copy of ``nb`` (MyST still in) and the number of
    solutions removed."""
    cells, inside, removed, label = [], False, 0, ""
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown" and not inside and (m := START.search(src)):
            inside, label = True, m.group(2)
            if END.search(src[m.end() :]):  # start and end in one cell
                inside = False
                removed += 1
                cells += _answer_cells(label)
            continue
        if inside:
            if cell.cell_type == "markdown" and END.search(src):
                inside = False
                removed += 1
                cells += _answer_cells(label)
            continue
        if cell.cell_type == "markdown" and (m := WHOLE.search(src)):
            removed += 1
            cells += _answer_cells(m.group(2))
            continue
        cells.append(cell)
    if inside:
        raise ValueError(f"a {{solution-start}} {label} has no {{solution-end}}")
    student = nbformat.from_dict(nb)
    student.cells = cells
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    student.metadata.pop("widgets", None)
    return student, removed


def _answer_cells(label: str) -> list[nbformat.NotebookNode]:
    which = f" to exercise {label}" if label else ""
    cells = [
        nbformat.v4.new_markdown_cell(
            f"**Your answer{which}.** (The solution is in the book.)"
        )
    ]
    if label in SELF_CHECKS:
        expects = textwrap.wrap(f"answer: {SELF_CHECKS[label].expects}", 76)
        comment = "".join(f"# {line}\n" for line in expects)
        cells.append(
            nbformat.v4.new_code_cell(
                "from convattn.exercises import check\n\n"
                f"{comment}"
                "answer = ...  # replace ... with your answer\n"
                f'check("{label}", answer)'
            )
        )
    else:
        cells.append(nbformat.v4.new_code_cell(""))
    return cells


# -- MyST to plain Markdown -------------------------------------------------


def read_bibliography(path: Path) -> dict[str, str]:
    """Author-year text of every entry of a BibTeX file: ``{key: "Vaswani et
    al. 2017"}``."""
    text = path.read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", text, re.S):
        key, body = m.group(1).strip(), m.group(2)
        author = re.search(r"author\s*=\s*\{(.*?)\},?\s*\n", body, re.S)
        year = re.search(r"year\s*=\s*\{?(\d{4})", body)
        names = [a.strip() for a in author.group(1).split(" and ")] if author else []
        last = [_last_name(n) for n in names]
        if len(last) == 1:
            who = last[0]
        elif len(last) == 2:
            who = f"{last[0]} and {last[1]}"
        elif last:
            who = f"{last[0]} et al."
        else:
            who = key
        out[key] = f"{who} {year.group(1) if year else 'n.d.'}"
    return out


def _last_name(name: str) -> str:
    name = name.replace("{", "").replace("}", "")
    return name.split(",")[0].strip() if "," in name else name.split()[-1]


class Converter:
    """MyST Markdown of one chapter to plain (CommonMark + dollar math)."""

    def __init__(self, chapter: int, titles: dict[str, str], bib: dict[str, str]):
        self.chapter, self.titles, self.bib = chapter, titles, bib
        self.exercise_numbers: dict[str, str] = {}
        self.count = 0

    def number_exercises(self, cells) -> None:
        for cell in cells:
            if cell.cell_type != "markdown":
                continue
            for m in DIRECTIVE.finditer(cell.source):
                if m.group("name") == "exercise":
                    self.count += 1
                    label = _option(m.group("body"), "label")
                    if label:
                        self.exercise_numbers[label] = f"{self.chapter}.{self.count}"
        self.count = 0

    def __call__(self, text: str) -> str:
        text = DIRECTIVE.sub(self._directive, text)
        text = re.sub(r"^\([\w-]+\)=[ \t]*\n", "", text, flags=re.M)  # targets
        text = re.sub(r"^%.*\n?", "", text, flags=re.M)  # MyST comments
        text = re.sub(
            r"\*\*Your answer to exercise (ex-[\w-]+)\.\*\* \(The solution is in the book\.\)",
            self._pointer,
            text,
        )
        return ROLE.sub(self._role, text)

    def _pointer(self, m: re.Match) -> str:
        label = m.group(1)
        number = self.exercise_numbers.get(label, label)
        page = _page_of(label, self.titles)
        return (
            f"**Your answer to Exercise {number}.** The solution is in the book: "
            f"[{self.titles.get(page, page)}]({SITE}/{page}.html#{label})."
        )

    def _directive(self, m: re.Match) -> str:
        name, arg = m.group("name"), m.group("arg").strip()
        body = _drop_options(m.group("body")).strip("\n")
        body = DIRECTIVE.sub(self._directive, body)
        if name == "exercise":
            self.count += 1
            title = f" {arg}" if arg else ""
            return f"**Exercise {self.chapter}.{self.count}.{title}**\n\n{body}"
        if name in ("math", "equation"):
            return f"$$\n{body.strip()}\n$$"
        if name in ADMONITIONS or name == "admonition":
            head = arg if name == "admonition" else ADMONITIONS[name]
            return _quote(f"**{head}.** {body}" if head else body)
        if name in ("figure", "image"):
            alt = _option(m.group("body"), "alt") or body.split("\n")[0] or arg
            image = f"![{alt}]({arg})"
            return f"{image}\n\n*{body}*" if body and name == "figure" else image
        if name == "dropdown":
            return f"**{arg}**\n\n{body}" if arg else body
        if name in ("code", "code-block", "code-cell", "literalinclude"):
            return f"```{arg}\n{body}\n```"
        return f"**{arg}**\n\n{body}" if arg else body  # any other: its content

    def _role(self, m: re.Match) -> str:
        name, text = m.group("name"), m.group("text")
        shown, target = _split_target(text)
        if name.startswith("cite"):
            keys = [k.strip() for k in target.split(",")]
            refs = [self.bib.get(k, k) for k in keys]
            link = f"{SITE}/bibliography.html"
            if name in ("cite:t", "cite:ts"):
                words = [re.sub(r" (\d{4})$", r" (\1)", r) for r in refs]
                return f"[{'; '.join(words)}]({link})"
            return f"([{'; '.join(refs)}]({link}))"
        if name == "doc":
            page = target.removeprefix("/").removesuffix(".md").removesuffix(".ipynb")
            title = shown or self.titles.get(page, page)
            if re.match(r"\d\d_", page):
                return f"[{title}]({page}.ipynb)"
            return f"[{title}]({SITE}/{page}.html)"
        if name in ("ref", "numref"):
            number = self.exercise_numbers.get(target)
            page = _page_of(target, self.titles)
            if number and not shown:
                shown = f"Exercise {number}"
            return f"[{shown or target}]({SITE}/{page}.html#{target})"
        if name == "math":
            return f"${text}$"
        if name == "eq":
            return f"({target})"
        return f"`{shown or text}`" if name in ("code", "py:func", "func") else text


def _page_of(label: str, titles: dict[str, str]) -> str:
    m = re.match(r"ex-(\d\d)-", label)
    if m:
        for page in titles:
            if page.startswith(m.group(1) + "_"):
                return page
    return "index"


def _split_target(text: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)\s*<([^>]+)>$", text, re.S)
    return (m.group(1).strip(), m.group(2).strip()) if m else ("", text.strip())


def _option(body: str, name: str) -> str:
    m = re.search(rf"^:{name}:[ \t]*(.*)$", body, re.M)
    return m.group(1).strip() if m else ""


def _drop_options(body: str) -> str:
    lines = body.split("\n")
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def chapter_titles(source: Path) -> dict[str, str]:
    """The first heading of every page of the book, by page name."""
    titles = {}
    for path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        titles[path.stem] = _first_heading(c.source for c in nb.cells)
    for path in sorted(source.glob("*.md")):
        titles[path.stem] = _first_heading([path.read_text(encoding="utf-8")])
    return titles


def _first_heading(sources) -> str:
    for src in sources:
        m = re.search(r"^#\s+(.+)$", src, re.M)
        if m:
            return m.group(1).strip()
    return ""


def to_student(
    nb: nbformat.NotebookNode, chapter: int, titles: dict[str, str], bib: dict[str, str]
) -> tuple[nbformat.NotebookNode, int]:
    """Solutions removed, then every markdown cell converted to plain Markdown."""
    convert = Converter(chapter, titles, bib)
    convert.number_exercises(nb.cells)
    student, removed = strip_solutions(nb)
    for cell in student.cells:
        if cell.cell_type == "markdown":
            cell.source = convert(cell.source)
    return student, removed


def main(source: str = "book", target: str = "student") -> None:
    src, out = Path(source), Path(target)
    out.mkdir(parents=True, exist_ok=True)
    titles = chapter_titles(src)
    bib = read_bibliography(src / "references.bib")
    for path in sorted(src.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        student, removed = to_student(nb, int(path.name[:2]), titles, bib)
        _write(student, out / path.name)
        print(f"{out / path.name}: {removed} solutions removed")


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    # Fresh ids for every cell, then a valid nbformat 4.5 file.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)


if __name__ == "__main__":
    main(*sys.argv[1:])
