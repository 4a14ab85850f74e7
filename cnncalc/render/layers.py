"""`cnncalc layers [NAME]`: the catalogue of layer kinds, read from the registry itself, so
the help cannot drift from what the parser accepts."""

from __future__ import annotations

from ..layers import KINDS, REGISTRY
from ..layers.base import FLAG, REQUIRED, LayerKind, Option, _show


def _written(opt: Option, positional: bool) -> str:
    """How an option may be written: `k3, k=3, kernel=3`, `nobias, bias=false`."""
    if positional:
        return opt.name.upper()
    if opt.type == FLAG:
        return opt.name
    forms = [f"{opt.name}3"] if opt.fused else []
    forms += [f"{n}={opt.name.upper()}" for n in (opt.name, *opt.aliases)]
    forms += [word for word, _ in opt.flag_sets]
    return ", ".join(forms)


def _default(opt: Option) -> str | None:
    if opt.default is REQUIRED:
        return None
    if opt.default is None:
        return "-"
    return _show(opt.default)


def describe(kind: LayerKind) -> dict:
    return {
        "name": kind.name, "aliases": list(kind.aliases), "syntax": kind.syntax(),
        "summary": kind.summary,
        "options": [{
            "name": opt.name, "positional": opt in kind.positional, "type": opt.type,
            "default": None if opt.default in (REQUIRED, None) else _show(opt.default),
            "required": opt.default is REQUIRED, "fused": opt.fused,
            "aliases": list(opt.aliases),
            "flags": [w for w, _ in opt.flag_sets] + ([opt.name] if opt.type == FLAG else []),
            "written": _written(opt, opt in kind.positional), "doc": opt.doc,
        } for opt in kind.all_options()],
    }


def layer_catalog() -> list[dict]:
    return [describe(kind) for kind in KINDS]


def print_layers(name: str | None = None, no_color: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from .table import make_console

    console = make_console(no_color)
    if name is None:
        table = Table(box=None, header_style="bold", padding=(0, 1))
        table.add_column("layer", style="bold", no_wrap=True)
        table.add_column("syntax", style="cyan")
        table.add_column("what it is")
        for kind in KINDS:
            about = kind.summary + (f" (also {', '.join(kind.aliases)})" if kind.aliases else "")
            table.add_row(Text(kind.name), Text(kind.syntax()), Text(about))
        console.print(table)
        console.print(Text("cnncalc layers NAME shows one kind's options in full.",
                           style="dim"))
        return
    kind = REGISTRY[name]
    console.print(Text(kind.syntax(), style="bold cyan"))
    console.print(Text(kind.summary + (f"; also written {', '.join(kind.aliases)}"
                                       if kind.aliases else "")))
    if kind.all_options():
        table = Table(box=None, header_style="bold", padding=(0, 1))
        table.add_column("option", style="bold", no_wrap=True)
        table.add_column("written")
        table.add_column("default", no_wrap=True)
        table.add_column("meaning")
        for opt in kind.all_options():
            default = _default(opt)
            table.add_row(Text(opt.name), Text(_written(opt, opt in kind.positional)),
                          Text("required" if default is None else default), Text(opt.doc))
        console.print(table)
