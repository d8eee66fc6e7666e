"""Which chapters' stored outputs nbval has accepted, for the current code.

The site is built from the outputs stored in the notebooks (``_config.yml``:
``execute_notebooks: "off"``), and those outputs are what ``pytest --nbval``
re-checks. The rule: **the book is only built from notebooks whose stored
outputs nbval accepted, with the current code.** A *stamp* records one
acceptance: a file ``_build/nbval-stamps/<notebook>.sha256`` holding the hash
of the notebook (sources, outputs, metadata; not per-cell timestamps), every
``convattn/*.py`` and ``requirements.txt``. A
change to any of them makes the stamp stale. Stamps are build products (never
committed): a fresh clone has none.

- As a pytest plugin (``pytest -p nbstamps --nbval book/...``, with ``tools/``
  on ``PYTHONPATH``; ``make notebooks`` does this) it writes the stamp of
  every notebook all of whose cells passed.
- ``python tools/nbstamps.py ensure book/*.ipynb`` (run by ``make book``)
  lists the notebooks without a fresh stamp, runs nbval on just those (which
  stamps them), and exits 1, naming the notebooks nbval rejects and the
  command that fixes them, if any remain.
- ``python tools/nbstamps.py check book/*.ipynb`` only lists them (exit 1 if
  any).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(os.environ.get("NBSTAMPS_ROOT", Path(__file__).resolve().parents[1]))


def stamp_dir(root: Path = ROOT) -> Path:
    return Path(os.environ.get("NBVAL_STAMPS", root / "_build" / "nbval-stamps"))


def key(notebook: Path, root: Path = ROOT) -> str:
    """Hash of what a chapter's outputs depend on: it, the package, the pins."""
    h = hashlib.sha256()
    package = sorted((root / "convattn").rglob("*.py"))
    h.update(Path(notebook).name.encode() + b"\0" + _content(Path(notebook)) + b"\0")
    inputs = [(p.relative_to(root).as_posix(), p) for p in package]
    inputs += [("requirements.txt", root / "requirements.txt")]
    for name, path in inputs:
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def _content(notebook: Path) -> bytes:
    """The notebook without per-cell execution timestamps (which say nothing
    about its outputs), canonically serialised."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
    return json.dumps(nb, sort_keys=True, ensure_ascii=False).encode()


def _stamp(notebook: Path, root: Path) -> Path:
    return stamp_dir(root) / (Path(notebook).name + ".sha256")


def write(notebook: Path, root: Path = ROOT, digest: str | None = None) -> None:
    """Stamp ``notebook`` as accepted (``digest``: its key when nbval began)."""
    target = _stamp(notebook, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((digest or key(Path(notebook).resolve(), root)) + "\n")


def stale(notebooks, root: Path = ROOT) -> list[Path]:
    """The notebooks without a stamp matching their current key."""
    out = []
    for nb in notebooks:
        target = _stamp(nb, root)
        fresh = target.is_file() and target.read_text().strip() == key(
            Path(nb).resolve(), root
        )
        if not fresh:
            out.append(Path(nb))
    return out


def ensure(notebooks, root: Path = ROOT, python: str = sys.executable) -> int:
    """Run nbval on the notebooks without a fresh stamp; 0 if all are then stamped."""
    todo = stale(notebooks, root)
    if not todo:
        print(f"nbval stamps: all {len(notebooks)} notebooks checked with this code")
        return 0
    names = " ".join(str(p) for p in todo)
    print(f"nbval stamps: not checked with this code yet: {names}; running nbval")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env["NBSTAMPS_ROOT"] = str(root)
    cmd = [python, "-m", "pytest", "-p", "nbstamps", "-p", "nbblas", "--nbval", "-q"]
    cmd += ["-p", "no:cacheprovider", "--rootdir", str(root)]
    if len(todo) > 1 and (os.cpu_count() or 1) > 1:
        cmd += ["-n", "2", "--dist", "loadfile"]
    subprocess.run([*cmd, *map(str, todo)], cwd=root, env=env, check=False)
    rejected = stale(todo, root)
    if rejected:
        names = " ".join(str(p) for p in rejected)
        print(
            "\nERROR: the book is built from the outputs stored in the notebooks, "
            f"and nbval rejects those of: {names}\n"
            "Re-execute them with the current code and store their outputs:\n"
            f"    .venv/bin/python tools/run_notebooks.py {names}\n"
            "then run `make book` again.",
            file=sys.stderr,
        )
        return 1
    return 0


# --- pytest plugin: stamp every notebook whose cells all passed nbval ---


_STATE: dict = {"seen": set(), "failed": set(), "keys": {}}


def pytest_sessionstart(session):
    # The keys as nbval starts: an edit made while it runs is not vouched for.
    for arg in session.config.args:
        path = Path(arg.split("::", 1)[0])
        if path.suffix == ".ipynb" and path.is_file():
            _STATE["keys"][path.resolve()] = key(path.resolve(), ROOT)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if not path.endswith(".ipynb"):
        return
    _STATE["seen"].add(path)
    if report.failed:
        _STATE["failed"].add(path)


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes
        return
    root = Path(str(session.config.rootpath))
    for path in sorted(_STATE["seen"] - _STATE["failed"]):
        full = (root / path).resolve()
        if full in _STATE["keys"]:
            write(full, ROOT, _STATE["keys"][full])


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("check", "ensure"):
        print(__doc__)
        return 2
    notebooks = [Path(a) for a in argv[1:]]
    if argv[0] == "ensure":
        return ensure(notebooks)
    todo = stale(notebooks)
    for nb in todo:
        print(f"not checked by nbval with the current code: {nb}")
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
