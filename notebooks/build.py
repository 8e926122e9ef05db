"""Run the chapter notebooks in a Jupyter kernel and save them with their
outputs, so that their figures and animations show on GitHub and in VS Code.

    python notebooks/build.py            # both notebooks
    python notebooks/build.py --check    # exit 1 if a saved notebook lacks outputs

Each notebook runs in a temporary folder (files it writes stay out of the
repository); volatile metadata (execution times) is dropped so that a rebuild
changes only what changed. A notebook that raises is not written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

from dfdx._files import atomic_write

HERE = Path(__file__).resolve().parent
NOTEBOOKS = ("calculus.ipynb", "calculus-zh.ipynb")


def missing_outputs(nb) -> list[int]:
    """Indices of code cells saved without any output."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and not cell.get("outputs")
    ]


def build(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        client = nbclient.NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": tmp}},
        )
        client.execute()  # raises CellExecutionError: nothing is written
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell.setdefault("id", f"cell-{i}")  # stable ids: rebuilds diff cleanly
    nb.metadata.pop("widgets", None)
    text = nbformat.writes(nb) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check the saved notebooks"
    )
    args = parser.parse_args(argv)
    status = 0
    for name in NOTEBOOKS:
        path = HERE / name
        if args.check:
            empty = missing_outputs(nbformat.read(path, as_version=4))
            if empty:
                print(f"{name}: code cells without outputs: {empty}")
                status = 1
            continue
        build(path)
        print(f"built {name}")
    return status


if __name__ == "__main__":
    sys.exit(main())
