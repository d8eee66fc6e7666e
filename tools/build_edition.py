"""Build another edition of the book from the same sources and configuration.

    .venv/bin/python tools/build_edition.py student   -> _build/student/html/

It reads ``_config.yml`` and changes only what the edition needs, so it can
never drift from the main book:

* ``student``: every exercise and no solution (the solution cells are left
  out of a copy of the sources, and sphinx-exercise's ``hide_solutions`` is
  set for any single-cell ``{solution}``).

It executes no notebook: it renders the stored outputs, which
``pytest --nbval`` checks against the current code (``make test``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {
    "student": ("html", {"hide_solutions": True}),
}


def edition_config(name: str) -> Path:
    """Write the edition's configuration file and return its path."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    # Paths in the file are relative to the file: make them absolute.
    ext = config.get("sphinx", {}).get("local_extensions", {}) or {}
    for key, where in ext.items():
        ext[key] = str(ROOT / where)
    config["bibtex_bibfiles"] = [
        str(ROOT / f) for f in config.get("bibtex_bibfiles", [])
    ]
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx.update(EDITIONS[name][1])
    if name == "student":
        config["title"] = f"{config.get('title', '')} (student edition)"
    path = ROOT / "_build" / "config" / f"_config.{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def student_sources(where: Path) -> Path:
    """A copy of the book's sources whose chapters have no solution cells.

    sphinx-exercise's ``hide_solutions`` drops ``{solution}`` directives, but
    not the cells between a ``{solution-start}`` and its ``{solution-end}``
    (and then fails on the orphaned end node), so those cells are removed
    here, with ``tools/make_student.py``'s rule; the other cells keep their
    stored outputs.
    """
    sys.path.insert(0, str(ROOT / "tools"))
    from make_student import solution_cells

    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, where / name)
    # The style sheets (Jupyter Book links every .css file of _static).
    if (ROOT / "_static").is_dir():
        shutil.copytree(ROOT / "_static", where / "_static")
    (where / "book").mkdir()
    for path in sorted((ROOT / "book").iterdir()):
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            drop = solution_cells(nb)
            nb.cells = [c for k, c in enumerate(nb.cells) if k not in drop]
            nbformat.write(nb, where / "book" / path.name)
        elif path.is_file():
            shutil.copy(path, where / "book" / path.name)
    return where


def build(name: str) -> Path:
    if name not in EDITIONS:
        raise ValueError(f"name must be one of {sorted(EDITIONS)}; got {name!r}")
    builder = EDITIONS[name][0]
    work = ROOT / "_build" / f"{name}-work"
    target = ROOT / "_build" / name / builder
    source = ROOT
    if name == "student":
        source = student_sources(ROOT / "_build" / "student-src")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(source), "--all", "-W", "-n", "--keep-going"]
    cmd += ["--builder", builder, "--config", str(edition_config(name))]
    cmd += ["--path-output", str(work)]
    subprocess.run(cmd, check=True, cwd=source)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(work / "_build" / builder), target)
    shutil.rmtree(work)
    if source != ROOT:
        shutil.rmtree(source)
    print(f"Built: {target / 'index.html'}")
    return target


if __name__ == "__main__":
    build(*sys.argv[1:])
