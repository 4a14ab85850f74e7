"""Errors and warnings that point into the spec text.

Every mistake a user can make ends as a `CnnCalcError` carrying the `Span` of the text that
caused it; `Diagnostic.render` prints it the way compilers do:

    net.cnn:3:6: error: unknown layer 'maxpol', did you mean 'maxpool'?
      conv 6 k5 | maxpol k2
                  ^~~~~~
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import NamedTuple


@lru_cache(maxsize=8)
def _line_starts(text: str) -> tuple[int, ...]:
    """Offsets where each line begins (a str caches its hash, so the lookup is cheap)."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return tuple(starts)


class Source(NamedTuple):
    """A spec's text and the name it is reported under (a path, `<stdin>` or `<spec>`)."""

    name: str
    text: str

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    def line_text(self, line: int) -> str:
        """Line `line` (1-based), as Span.line counts them: only \n ends a line."""
        starts = _line_starts(self.text)
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1]:end]


class Span(NamedTuple):
    """A half-open character range [start, end) of a `Source`."""

    source: Source
    start: int
    end: int

    def __repr__(self) -> str:
        return f"Span({self.source.name}:{self.start}-{self.end})"

    @property
    def line(self) -> int:
        return bisect_right(_line_starts(self.source.text), self.start)

    @property
    def col(self) -> int:
        starts = _line_starts(self.source.text)
        return self.start - starts[bisect_right(starts, self.start) - 1] + 1

    @property
    def text(self) -> str:
        return self.source.text[self.start:self.end]

    def to(self, other: "Span") -> "Span":
        """The span covering both `self` and `other`."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))


MAX_SHOWN = 100  # columns of a source line shown under a diagnostic


def one_line(text: str) -> str:
    """Source text shown on one line: comments dropped, and a line break read as the
    statement separator it is (`{ conv 4 k1 | relu` + newline + `dwconv k3 }` shows as
    `{ conv 4 k1 | relu | dwconv k3 }`)."""
    out = ""
    for line in text.split("\n"):
        line = " ".join(line.split("#", 1)[0].split())
        if not line:
            continue
        if out and not (out.endswith(("|", "{", "(", ",")) or line.startswith(("|", "}", ")"))):
            out += " |"
        out = f"{out} {line}" if out else line
    return out


def brief(text: str, width: int = 60) -> str:
    """Spec text as a name for it (a verdict's, a diff's column): on one line, its spaces
    squeezed, cut short with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _columns(text: str) -> int:
    """Terminal columns of `text`: a wide or full-width character (`｜`, `，`, 中) takes two,
    so the caret stays under what it points at."""
    if text.isascii():
        return len(text)
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def render_diagnostic(level: str, message: str, span: Span | None, where: str = "") -> str:
    """`FILE:LINE:COL: level: message`, the source line and a caret under the span.

    Without a span (a file that cannot be read) the prefix is `where` (the file name)."""
    if span is None:
        return f"{where or 'cnncalc'}: {level}: {message}"
    line_text = span.source.line_text(span.line).rstrip("\r").expandtabs(1)
    col = span.col
    stop = span.source.text.find("\n", span.start)
    stop = len(span.source.text) if stop < 0 else stop
    width = max(1, min(span.end, stop) - span.start)
    start = 0
    if len(line_text) > MAX_SHOWN:  # a window around the caret, marked with ellipses
        start = max(0, min(col - 1 - MAX_SHOWN // 3, len(line_text) - MAX_SHOWN))
        shown = line_text[start:start + MAX_SHOWN]
        line_text = ("…" if start else "") + shown + ("…" if start + MAX_SHOWN < len(line_text) else "")
        start -= 1 if start else 0
        width = min(width, MAX_SHOWN - (col - 1 - start))
    lead = col - 1 - start  # characters of the shown line before the caret
    caret = " " * _columns(line_text[:lead]) + "^" + "~" * (
        max(width, _columns(line_text[lead:lead + width])) - 1)
    return f"{span.source.name}:{span.line}:{col}: {level}: {message}\n  {line_text}\n  {caret}"


class CnnCalcError(Exception):
    """Anything a user wrote that cnncalc cannot accept: spec text, options, files."""

    def __init__(self, message: str, span: Span | None = None, where: str = ""):
        super().__init__(message)
        self.message = message
        self.span = span
        self.where = where  # the file, for errors that have no position in it
        self.notes: list[tuple[str, Span]] = []  # where else to look: the call of a def

    def noted(self, message: str, span: Span) -> "CnnCalcError":
        """The error with a note pointing at more text that led to it (printed after it,
        `FILE:LINE:COL: note: …`, as compilers do)."""
        self.notes.append((message, span))
        return self

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def col(self) -> int | None:
        return self.span.col if self.span else None

    def render(self) -> str:
        return "\n".join([render_diagnostic("error", self.message, self.span, self.where)] +
                         [render_diagnostic("note", m, span) for m, span in self.notes])

    def __str__(self) -> str:
        return self.render()


# Every kind of warning, by the name that `--no-warn NAME` silences.
WARNINGS = {
    "tiling": "a stride that does not tile its input: rows or columns are never used",
    "layout": "an input that looks written in the other layout (32x32x3 read channels "
              "first, 28x28 read as 28 channels)",
    "product": "a kernel, stride or padding written as a product of two equal numbers "
               "(k=3*3 is a 9x9 kernel)",
}


class Warning_(NamedTuple):
    """A non-fatal finding, one per row it arises in (or one for the input, or one for a
    value as written): `name` is one of WARNINGS, `path` the row's (empty when it concerns
    the text rather than a row). `--strict` makes it an error."""

    message: str
    span: Span | None
    name: str = "tiling"
    path: tuple = ()

    @property
    def located(self) -> str:
        """The message and, for a row inside a block or def, which one:
        ` (at layer2.0.conv2)`."""
        return self.message + (f" (at {'.'.join(self.path)})" if len(self.path) > 1 else "")

    def render(self) -> str:
        return render_diagnostic("warning", self.located, self.span)

    def as_error(self) -> CnnCalcError:
        return CnnCalcError(self.located, self.span)

    def to_dict(self) -> dict:
        """The `--json` form: {name, message, path, file, line, col, text}."""
        span = self.span
        return {"name": self.name, "message": self.message,
                "path": ".".join(self.path) if self.path else None,
                "file": span.source.name if span else None,
                "line": span.line if span else None, "col": span.col if span else None,
                "text": self.render().split("\n", 1)[0]}


SHOWN_PATHS = 3  # rows named in a grouped warning before "… N rows"


def grouped(warnings) -> list[tuple[str, Span | None, str]]:
    """Warnings as a reader is shown them: one per kind and place in the text, naming the
    rows it arose in (a def line that warns in eight calls is one warning, `… (in
    layer2.0.conv2, layer3.0.conv2, … 8 rows)`). [(name, message, span)], in first-seen
    order."""
    groups: dict = {}
    for w in warnings:
        key = (w.name, None if w.span is None else (w.span.source, w.span.start, w.span.end))
        groups.setdefault(key, []).append(w)
    out = []
    for (name, _), ws in groups.items():
        first = ws[0]
        paths = list(dict.fromkeys(".".join(w.path) for w in ws if w.path))
        if len(paths) < 2:
            out.append((name, first.located, first.span))
            continue
        shown = ", ".join(paths[:SHOWN_PATHS])
        many = len(paths) > SHOWN_PATHS
        count = f", … {len(paths)} rows" if many else f": {len(paths)} rows"
        if all(w.message == first.message for w in ws):
            where = f" (in {shown}{count})"
        else:  # the figures differ from row to row: the first row's are shown
            rest = ", ".join(paths[1:SHOWN_PATHS])
            where = f" (at {paths[0]}; likewise in {rest}{count})"
        out.append((name, first.message + where, first.span))
    return out


def render_warnings(warnings, level: str = "warning") -> list[str]:
    """Each grouped warning as printed on standard error (`level` "error" under --strict)."""
    return [render_diagnostic(level, message, span) for _, message, span in grouped(warnings)]


def closest(name: str, known) -> str | None:
    """The known name nearest to `name`, if any is close, compared in lower case (`Rleu` is
    near `relu`, `S` is `s`)."""
    import difflib  # only on the error path

    by_lower: dict[str, str] = {}
    for k in sorted(known):
        by_lower.setdefault(k.lower(), k)
    close = difflib.get_close_matches(name.lower(), sorted(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def did_you_mean(name: str, known) -> str:
    """`, did you mean 'x'?` for the closest known name, or '' when nothing is close."""
    close = closest(name, known)
    return f", did you mean '{close}'?" if close else ""
