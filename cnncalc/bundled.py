"""The example nets that ship inside the package (`cnncalc/examples/*.cnn`), so that
`cnncalc analyze resnet50` works from any directory, and `cnncalc examples` lists them.

Each file opens with a comment that says what the net is, where it comes from (`Source:`)
and the figures measured from the reference implementation (`Reference`); the listing reads
them from there, so it cannot drift from the files.
"""

from __future__ import annotations

import re
from importlib import resources


def _directory():
    return resources.files("cnncalc") / "examples"


def names() -> list[str]:
    return sorted(p.name[:-4] for p in _directory().iterdir() if p.name.endswith(".cnn"))


def path_of(name: str) -> str | None:
    """The file of the bundled example called `name` (`resnet50` or `resnet50.cnn`)."""
    stem = name[:-4] if name.endswith(".cnn") else name
    if stem not in names():
        return None
    return str(_directory() / f"{stem}.cnn")


def about(name: str) -> dict:
    """What the example's opening comment says: its title, source and reference figures."""
    header = []
    for line in (_directory() / f"{name}.cnn").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line[1:].strip())
    paragraphs = _paragraphs(header)
    return {"name": name, "title": _title(paragraphs[0][0]) if paragraphs else name,
            "source": _labelled(paragraphs, "Source:"),
            "reference": _labelled(paragraphs, "Reference")}


def _paragraphs(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for line in lines:
        if line:
            out[-1].append(line)
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def _sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence (not an initial, "et al.", "e.g.")."""
    found = re.search(r"(?<![A-Z])(?<!et al)(?<!e\.g)(?<!i\.e)(?<!Proc)\.(\s|$)", text)
    return text[:found.start()] if found else text


def _title(line: str) -> str:
    """The net's name: the first line up to its first comma, colon, bracket or full stop."""
    cut = min([i for i in (line.find(t) for t in (", ", ": ", " (", "; ", ". ")) if i > 0]
              or [len(line)])
    return line[:cut].rstrip(".")


def _labelled(paragraphs: list[list[str]], label: str) -> str | None:
    """The sentence that starts with `label`, without a "Source:" label; for figures worked
    out line by line (no sentence), the first line and the line of totals."""
    for paragraph in paragraphs:
        for i, line in enumerate(paragraph):
            if not line.startswith(label):
                continue
            text = _sentence(" ".join(paragraph[i:]))
            if len(text) > 300:
                totals = [t for t in paragraph[i + 1:] if t.startswith("total")]
                text = line.rstrip(",") + (f"; {' '.join(totals[-1].split())}" if totals else "")
            return text[len(label):].strip() if label.endswith(":") else text
    return None
