"""The Python API behind the command line: `analyze` (and, later, `run`)."""

from __future__ import annotations

from . import build as _build
from .analysis import analyze_net
from .errors import CnnCalcError, Source
from .loading import load
from .report import Report
from .syntax import parse
from .syntax.parser import parse_input_override


def analyze(spec, *, input: str | None = None, dtype: str = "float32", strict: bool = False,
            max_layers: int = _build.DEFAULT_MAX_LAYERS, stdin=None) -> Report:
    """Analyze a spec given as text, a path to a .cnn file, or '-' (standard input).

    >>> analyze("input 3x32x32 | conv 10 k5 s1 p2").totals.params
    760
    """
    source = spec if isinstance(spec, Source) else load(spec, stdin=stdin)
    tree = parse(source)
    override = parse_input_override(Source("--input", input)) if input else None
    net = _build.build(tree, input_override=override, max_layers=max_layers)
    report = analyze_net(net, dtype)
    if strict and report.warnings:
        raise report.warnings[0].as_error()
    return report


__all__ = ["analyze", "CnnCalcError", "Report"]
