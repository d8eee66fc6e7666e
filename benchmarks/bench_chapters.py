"""How long each chapter takes top to bottom, how big it is stored, what changes.

Each chapter in ``book/`` is executed in a fresh kernel (as nbval and
``tools/run_notebooks.py`` do), without writing anything back. The script
prints, per chapter, the wall-clock execution time, the kernel's CPU time
(user + system, which a busy machine inflates less), the stored size, how
many code cells print something different from what is stored (cells marked
``# NBVAL_IGNORE_OUTPUT``, honestly machine dependent, are not counted, nor
cells tagged ``blas-dependent`` when another matrix-multiply kernel than the
one that computed the stored outputs runs: see ``tools/nbblas.py``) and the
slowest cells, then the totals.

Run: ``python benchmarks/bench_chapters.py [book/03_soft_attention.ipynb ...]``
(all of ``book/*.ipynb`` by default).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbblas  # noqa: E402
from run_notebooks import coalesce_streams  # noqa: E402

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _ignored(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    lines = [line.strip() for line in cell.source.splitlines()]
    return "nbval-ignore-output" in tags or "# NBVAL_IGNORE_OUTPUT" in lines


def _outputs(cell) -> str:
    """A cell's outputs as bytes would be stored (metadata and counts dropped;
    printed text merged, as tools/run_notebooks.py stores it)."""
    cell = copy.deepcopy(cell)
    coalesce_streams(cell)
    outs = []
    for o in cell.get("outputs", []):
        o = {k: v for k, v in o.items() if k not in ("execution_count", "metadata")}
        outs.append(o)
    return json.dumps(outs, sort_keys=True)


_CPU = (
    "import resource as _r\n"
    "_u = _r.getrusage(_r.RUSAGE_SELF)\n"
    "print(_u.ru_utime + _u.ru_stime)"
)


def _seconds(cell) -> float:
    t = cell.get("metadata", {}).get("execution", {})
    start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    from datetime import datetime

    def parse(x):
        return datetime.fromisoformat(x.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


def run(
    path: Path, slowest: int = 3
) -> tuple[float, float, list[int], int, list[tuple[float, int]]]:
    """(seconds, CPU seconds, numbers of the code cells whose outputs changed,
    code cells, slowest cells as (seconds, code cell number)) for one chapter."""
    stored = nbformat.read(path, as_version=4)
    nb = copy.deepcopy(stored)
    nb.cells.append(nbformat.v4.new_code_cell(_CPU))
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    cpu = float(nb.cells.pop().outputs[0]["text"])
    code = [
        (a, b)
        for a, b in zip(stored.cells, nb.cells, strict=True)
        if a.cell_type == "code" and a.source.strip()
    ]
    # Cells whose outputs depend on the matrix-multiply kernel count only
    # where the kernel that computed the stored outputs runs (tools/nbblas.py).
    foreign = nbblas.recorded(stored) != nbblas.kernel()
    changed = [
        n
        for n, (a, b) in enumerate(code, 1)
        if not (_ignored(a) or (foreign and nbblas.tagged(a)))
        and _outputs(a) != _outputs(b)
    ]
    slow = sorted(((_seconds(b), n) for n, (_, b) in enumerate(code, 1)), reverse=True)
    return seconds, cpu, changed, len(code), slow[:slowest]


def main(paths: list[Path], slowest: int = 3) -> None:
    print(
        f"{'chapter':32s} {'seconds':>8s} {'CPU s':>6s} {'MiB':>6s} "
        f"{'changed cells':>14s}  slowest cells (s, cell)"
    )
    total_s = total_cpu = total_b = total_changed = 0
    for path in paths:
        seconds, cpu, changed, n_code, slow = run(path, slowest)
        size = path.stat().st_size
        total_s += seconds
        total_cpu += cpu
        total_b += size
        total_changed += len(changed)
        cells = ", ".join(f"{t:.1f} (#{n})" for t, n in slow)
        which = " ".join(f"#{n}" for n in changed)
        print(
            f"{path.name:32s} {seconds:8.1f} {cpu:6.1f} {size / 2**20:6.2f} "
            f"{len(changed):>6d} of {n_code:<3d}   {cells}"
            + (f"; changed: {which}" if changed else ""),
            flush=True,
        )
    print(
        f"{'total':32s} {total_s:8.1f} {total_cpu:6.1f} {total_b / 2**20:6.2f} "
        f"{total_changed:>6d}"
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Each chapter is executed in a fresh kernel; nothing is written.",
    )
    parser.add_argument(
        "chapters",
        nargs="*",
        type=Path,
        help="notebooks to run (default: every book/*.ipynb)",
    )
    parser.add_argument(
        "--slowest",
        type=int,
        default=3,
        metavar="N",
        help="how many of each chapter's slowest cells to list (default 3)",
    )
    args = parser.parse_args()
    if args.slowest < 0:
        parser.error("--slowest must be >= 0")
    missing = [p for p in args.chapters if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(map(str, missing))}")
    main(args.chapters or sorted((ROOT / "book").glob("*.ipynb")), args.slowest)
