"""Build the course notebooks (`notebooks/NN-slug.ipynb`) from their text sources.

The notebooks are authored as Markdown in `notebooks/src/NN-slug.md`, because a text file
diffs and reviews well and an .ipynb does not. A line `<!-- cell: KIND [tags=a,b] -->`
starts a cell (KIND is `markdown` or `code`); everything up to the next marker is its
source. A cell tagged `solution` is also collapsed (`jupyter.source_hidden`), so a learner
opens it on purpose. Output is deterministic (stable cell ids, no outputs, no execution
counts) so that the committed .ipynb files can be compared with a fresh build.

    python notebooks/build.py          # write every notebook
    python notebooks/build.py --check  # exit 1 if a committed notebook is out of date
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# nbformat validates with jsonschema, whose format checkers compile rfc3987_syntax's Lark
# grammar at import when Jupyter's extras installed it: 2.3 s of CPU, for the `iri` format no
# notebook schema uses. Left out, as `kubelab` leaves it out of its own process.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import nbformat  # noqa: E402

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
_MARKER = re.compile(r"^<!-- cell: (markdown|code)(?: tags=([a-z0-9,-]+))? -->$")
_KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


class NotebookSourceError(ValueError):
    """A notebook source that cannot be turned into cells; names the file and line."""


@dataclass(frozen=True)
class Cell:
    kind: str
    tags: tuple[str, ...]
    source: str


def parse_cells(text: str, *, origin: str = "<text>") -> list[Cell]:
    """Split a source into cells at the markers; text before the first marker is refused."""
    cells: list[Cell] = []
    kind: str | None = None
    tags: tuple[str, ...] = ()
    lines: list[str] = []

    def close() -> None:
        if kind is not None:
            body = "\n".join(lines).strip("\n")
            if not body.strip():
                raise NotebookSourceError(f"{origin}: a {kind} cell is empty")
            cells.append(Cell(kind=kind, tags=tags, source=body))

    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.match(line.strip())
        if match:
            close()
            kind = match.group(1)
            tags = tuple(t for t in (match.group(2) or "").split(",") if t)
            lines = []
        elif kind is None:
            if line.strip():
                raise NotebookSourceError(
                    f"{origin}:{number}: text before the first `<!-- cell: ... -->` marker"
                )
        else:
            lines.append(line)
    close()
    if not cells:
        raise NotebookSourceError(f"{origin}: no cells (start one with `<!-- cell: markdown -->`)")
    return cells


def build_notebook(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    """An nbformat v4 notebook with stable cell ids derived from the name and position."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(_KERNEL), "language_info": {"name": "python"}}
    for index, cell in enumerate(cells):
        cell_id = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:12]
        metadata: dict = {}
        if cell.tags:
            metadata["tags"] = list(cell.tags)
        if "solution" in cell.tags:
            metadata["jupyter"] = {"source_hidden": True}
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source, metadata=metadata)
        else:
            node = nbformat.v4.new_code_cell(cell.source, metadata=metadata)
        node.id = cell_id
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def render(source: Path) -> str:
    """The .ipynb text for one source file."""
    cells = parse_cells(source.read_text(encoding="utf-8"), origin=str(source))
    return nbformat.writes(build_notebook(source.stem, cells)) + "\n"


def targets() -> dict[Path, Path]:
    """Each source and the notebook built from it."""
    return {src: HERE / f"{src.stem}.ipynb" for src in sorted(SOURCES.glob("*.md"))}


def stale() -> list[Path]:
    """Notebooks missing or different from what their sources build."""
    return [
        out
        for src, out in targets().items()
        if not out.is_file() or out.read_text(encoding="utf-8") != render(src)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for path in bad:
            print(f"out of date: {path.relative_to(HERE.parent)} (run python notebooks/build.py)")
        return 1 if bad else 0
    for src, out in targets().items():
        out.write_text(render(src), encoding="utf-8")
        print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
