"""One reveal.js deck per chapter, from the cells tagged for slides.

    .venv/bin/python tools/make_slides.py book _build/slides     (or: make slides)

A chapter's deck has one slide per cell tagged ``slide-objectives``,
``slide-formula``, ``slide-figure`` or ``slide-takeaways`` (the tags are set
by ``tools/add_kit_cells.py``), in the chapter's order: markdown cells as
plain Markdown (``tools/make_student.py``'s conversion), figure cells as their
stored picture without the code. nbconvert's SlidesExporter writes the HTML
with a template (``tools/slides_template/offline``) that loads reveal.js,
require.js and MathJax from the deck's own folder, copied from the pinned npm
packages (``make web-assets``): the decks work offline.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_student import Converter, chapter_titles, read_bibliography  # noqa: E402

NODE_MODULES = ROOT / "_build" / "web_assets" / "node_modules"
TAGS = ("slide-objectives", "slide-formula", "slide-figure", "slide-takeaways")
#: npm package path -> folder next to the decks.
ASSETS = {
    "reveal.js/dist": "reveal.js/dist",
    "reveal.js/plugin/notes": "reveal.js/plugin/notes",
    "mathjax/es5": "mathjax",
    "requirejs/require.js": "require.js",
}


def slide_notebook(nb, chapter: int, titles, bib) -> nbformat.NotebookNode:
    """The tagged cells of ``nb`` as a slideshow notebook."""
    convert = Converter(chapter, titles, bib)
    convert.number_exercises(nb.cells)
    cells = []
    for cell in nb.cells:
        if not set(cell.metadata.get("tags", [])) & set(TAGS):
            continue
        if cell.cell_type == "markdown":
            src = re.split(r"^## Exercises", cell.source, maxsplit=1, flags=re.M)[0]
            new = nbformat.v4.new_markdown_cell(convert(src).strip())
        else:
            outputs = []
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data:
                    keep = {"image/png": data["image/png"]}
                    if "text/plain" in data:
                        keep["text/plain"] = data["text/plain"]
                    outputs.append(nbformat.v4.new_output("display_data", data=keep))
            new = nbformat.v4.new_code_cell(cell.source, outputs=outputs)
        new.metadata["slideshow"] = {"slide_type": "slide"}
        cells.append(new)
    deck = nbformat.v4.new_notebook(cells=cells)
    deck.metadata.update(
        {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    )
    deck.metadata["title"] = titles.get(f"{chapter:02d}", "")
    return deck


def _skip(folder: str, names: list[str]) -> list[str]:
    """What a deck never loads: source maps, and MathJax's other bundles and
    its SVG output (the decks use tex-mml-chtml.js)."""
    skip = [n for n in names if n.endswith(".map")]
    if Path(folder) == NODE_MODULES / "mathjax" / "es5":
        skip += [n for n in names if n.endswith(".js") and n != "tex-mml-chtml.js"]
    if Path(folder) == NODE_MODULES / "mathjax" / "es5" / "output":
        skip += [n for n in names if n != "chtml" and n != "chtml.js"]
    return skip


def copy_assets(target: Path) -> None:
    missing = [src for src in ASSETS if not (NODE_MODULES / src).exists()]
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)} under {NODE_MODULES}: run `make web-assets`"
        )
    for src, dst in ASSETS.items():
        source, dest = NODE_MODULES / src, target / dst
        if dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=_skip)
        else:
            shutil.copy(source, dest)


def main(source: str = "book", target: str = "_build/slides") -> None:
    src, out = Path(source), Path(target)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    titles = chapter_titles(src)
    bib = read_bibliography(src / "references.bib")
    exporter = SlidesExporter(
        template_name="offline",
        extra_template_basedirs=[str(ROOT / "tools" / "slides_template")],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_number="c/t",
        require_js_url="require.js",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    for path in sorted(src.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        deck = slide_notebook(nb, int(path.name[:2]), titles, bib)
        deck.metadata["title"] = titles.get(path.stem, path.stem)
        body, _ = exporter.from_notebook_node(deck)
        html = out / f"{path.stem}.html"
        html.write_text(body, encoding="utf-8")
        print(f"{html}: {len(deck.cells)} slides, {html.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:])
