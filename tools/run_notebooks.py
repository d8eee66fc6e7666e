"""Execute notebooks top to bottom in a fresh kernel and store their outputs.

    .venv/bin/python tools/run_notebooks.py book/03_soft_attention.ipynb ...

The stored outputs are what nbval re-checks on every test run and what the
site shows (it is built from them, not re-executed), so run this after
changing a chapter or the code it calls (``make execute`` runs it on every
notebook in book/), then ``make notebooks`` (nbval, which stamps the
notebooks it accepts; ``make book`` builds only from stamped notebooks).

No widget state is stored: the book's explorers are plain HTML outputs, and
stored widget state (random model ids) would change on every run.
"""

import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbblas

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def coalesce_streams(cell) -> None:
    """Merge consecutive stdout (stderr) outputs of a cell into one.

    How the kernel's printed text is cut into messages depends on timing, so
    the same text can arrive as one output or as several; merged, the stored
    bytes are the same every run.
    """
    merged = []
    for out in cell.get("outputs", []):
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == out.get("name")
        ):
            merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    if "outputs" in cell:
        cell["outputs"] = merged


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        # Per-cell timestamps in the metadata would change on every run.
        record_timing=False,
    )
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbblas.record(nb)  # which matrix-multiply kernel computed these outputs
    for cell in nb.cells:  # timestamps of an earlier run
        cell.metadata.pop("execution", None)
        coalesce_streams(cell)
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: executed in {run(Path(arg)):.1f} s")
