"""Turn nbval's comment markers (``# NBVAL_IGNORE_OUTPUT`` ...) into cell tags.

nbval reads the same instructions from a cell's tags (``nbval-ignore-output``, ``nbval-skip``,
``nbval-check-output``, ``nbval-raises-exception``), which learners do not see in the code. A
line holding only a marker comment is removed and the tag added to the cell's metadata; nothing
else in the notebook changes (the JSON is written as Jupyter writes it).

Usage::

    python scripts/nbval_tags.py [NOTEBOOK ...]     # default: every notebook under notebooks/
    python scripts/nbval_tags.py --check [...]      # exit 1 if a marker comment is left
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

MARKER = re.compile(r"^\s*#\s*NBVAL_(IGNORE_OUTPUT|SKIP|CHECK_OUTPUT|RAISES_EXCEPTION)\s*$")


def convert_cell(cell: dict) -> list[str]:
    """Move the marker comments of one code cell into its tags; return the markers found."""
    source = cell.get("source", [])
    lines = source.splitlines(keepends=True) if isinstance(source, str) else list(source)
    found = [m.group(1) for line in lines if (m := MARKER.match(line))]
    if cell.get("cell_type") != "code" or not found:
        return []
    kept = [line for line in lines if not MARKER.match(line)]
    if kept:  # the last line of a cell has no newline in Jupyter's format
        kept[-1] = kept[-1].rstrip("\n")
    cell["source"] = kept if isinstance(source, list) else "".join(kept)
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    for name in found:
        tag = "nbval-" + name.lower().replace("_", "-")
        if tag not in tags:
            tags.append(tag)
    return found


def convert(path: Path, *, write: bool = True) -> int:
    """Convert one notebook in place (unless ``write`` is false); return its marker count."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for i, cell in enumerate(nb.get("cells", [])):
        found = convert_cell(cell)
        if found:
            count += len(found)
            print(f"{path}: cell {i + 1}: {', '.join(found)} -> tags {cell['metadata']['tags']}")
    if count and write:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to convert (default: notebooks/**/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if any marker comment is left")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    paths = args.notebooks or sorted(p for p in (root / "notebooks").rglob("*.ipynb")
                                     if ".ipynb_checkpoints" not in p.parts)
    total = sum(convert(p, write=not args.check) for p in paths)
    if args.check and total:
        print(f"{total} nbval marker comment(s) left; run python scripts/nbval_tags.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
