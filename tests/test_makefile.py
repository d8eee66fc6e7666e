"""What the Makefile sets up for the commands it runs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_keeps_bytecode_in_the_venv_even_when_the_shell_says_not_to():
    # With PYTHONDONTWRITEBYTECODE set, each kernel and test worker would
    # compile numpy, matplotlib and convattn from source again (1.5 s each).
    probe = (
        f"probe: ; @'{sys.executable}' -c 'import sys; "
        "print(sys.flags.dont_write_bytecode, sys.pycache_prefix)'"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # Nothing of a make that runs this test (its flags, its prefix) leaks in.
    for name in ("PYTHONPYCACHEPREFIX", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    out = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "-C",
            str(ROOT),
            f"--eval={probe}",
            "probe",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["0", str(ROOT / ".venv" / "pycache")]
