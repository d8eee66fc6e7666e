"""How long each chapter takes top to bottom, how big it is stored, what changes.

Each chapter in ``book/`` is executed in a fresh kernel (as nbval and
``tools/run_notebooks.py`` do), without writing anything back. The script
prints, per chapter, the execution time, the stored size, and how many code
cells print something different from what is stored (cells marked
``# NBVAL_IGNORE_OUTPUT``, honestly machine dependent, are not counted), then
the totals.

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
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _ignored(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    lines = [line.strip() for line in cell.source.splitlines()]
    return "nbval-ignore-output" in tags or "# NBVAL_IGNORE_OUTPUT" in lines


def _outputs(cell) -> str:
    """A cell's outputs as bytes would be stored (metadata and counts dropped)."""
    outs = []
    for o in cell.get("outputs", []):
        o = {k: v for k, v in o.items() if k not in ("execution_count", "metadata")}
        outs.append(o)
    return json.dumps(outs, sort_keys=True)


def run(path: Path) -> tuple[float, int, int]:
    """(seconds, cells whose outputs changed, code cells) for one chapter."""
    stored = nbformat.read(path, as_version=4)
    nb = copy.deepcopy(stored)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    code = [
        (a, b)
        for a, b in zip(stored.cells, nb.cells, strict=True)
        if a.cell_type == "code" and a.source.strip()
    ]
    changed = sum(_outputs(a) != _outputs(b) for a, b in code if not _ignored(a))
    return seconds, changed, len(code)


def main(paths: list[Path]) -> None:
    print(f"{'chapter':32s} {'seconds':>8s} {'MiB':>6s} {'changed cells':>14s}")
    total_s = total_b = total_changed = 0
    for path in paths:
        seconds, changed, n_code = run(path)
        size = path.stat().st_size
        total_s += seconds
        total_b += size
        total_changed += changed
        print(
            f"{path.name:32s} {seconds:8.1f} {size / 2**20:6.2f} "
            f"{changed:>6d} of {n_code:<3d}",
            flush=True,
        )
    print(f"{'total':32s} {total_s:8.1f} {total_b / 2**20:6.2f} {total_changed:>6d}")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "book").glob("*.ipynb"))
    main(args)
