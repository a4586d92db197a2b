"""The notebooks in notebooks/ run, top to bottom, so they cannot rot.

Each notebook is executed with nbclient in a kernel started from this
interpreter (the project's virtual environment), with the working directory
set to notebooks/ as a person running it would have. Committed notebooks
carry no outputs, so what is in the repository is never stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = [
    "01_quickstart.ipynb",
    "02_where_the_3_point_assumption_breaks.ipynb",
    "03_feeding_planners.ipynb",
    "04_planning_a_sprint.ipynb",
    "05_skills_and_gaps.ipynb",
]
KERNEL_NAME = "python3"


def _execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=300, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    return client.execute()


def _files(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def test_all_notebooks_are_found() -> None:
    """A missing or renamed notebook fails here instead of silently not running."""
    assert [p.name for p in NOTEBOOKS] == EXPECTED


def test_kernel_is_this_interpreter() -> None:
    """The notebooks run in the project's environment, not some other Python."""
    nb = new_notebook(cells=[new_code_cell(
        "import json, os, sys\n"
        "print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix, "
        "'cwd': os.getcwd()}))")])
    _execute(nb)
    (text,) = [output["text"] for output in nb.cells[0].outputs
               if output.get("name") == "stdout"]
    seen = json.loads(text)
    assert seen["executable"] == sys.executable
    assert Path(seen["prefix"]) == Path(sys.prefix)
    assert Path(seen["cwd"]).resolve() == NOTEBOOKS_DIR


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {index} was executed"
            assert not cell.source.lstrip().startswith("!"), (
                f"{path.name}: cell {index} runs a shell command")
    assert nb.cells[0].cell_type == "markdown", f"{path.name} should open with its question"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    """Every cell runs without an error, and nothing is written into the repository."""
    watched = [NOTEBOOKS_DIR, NOTEBOOKS_DIR.parent / "data"]
    before = {directory: _files(directory) for directory in watched}
    nb = nbformat.read(path, as_version=4)
    _execute(nb)  # raises CellExecutionError, naming the cell, on any error
    errors = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    for directory in watched:
        assert _files(directory) == before[directory], f"{path.name} wrote into {directory}"
