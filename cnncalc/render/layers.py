"""`cnncalc layers`: the catalogue of layer kinds, read from the registry itself."""

from __future__ import annotations

from ..layers import KINDS
from ..layers.base import FLAG, REQUIRED, _show


def layer_catalog() -> list[dict]:
    out = []
    for kind in KINDS:
        opts = []
        for opt in kind.all_options():
            opts.append({
                "name": opt.name,
                "positional": opt in kind.positional,
                "type": opt.type,
                "default": None if opt.default is REQUIRED or opt.default is None
                else _show(opt.default),
                "required": opt.default is REQUIRED,
                "fused": opt.fused,
                "aliases": list(opt.aliases),
                "flags": [w for w, _ in opt.flag_sets] + ([opt.name] if opt.type == FLAG else []),
                "doc": opt.doc,
            })
        out.append({"name": kind.name, "aliases": list(kind.aliases), "syntax": kind.syntax(),
                    "summary": kind.summary, "options": opts})
    return out


def print_layers(no_color: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from .table import make_console

    table = Table(box=None, header_style="bold", padding=(0, 1))
    table.add_column("layer", style="bold", no_wrap=True)
    table.add_column("syntax", style="cyan", overflow="fold")
    table.add_column("what it is / options", overflow="fold")
    for entry in layer_catalog():
        details = [entry["summary"]]
        for o in entry["options"]:
            bits = [o["doc"] or o["name"]]
            if o["default"] is not None:
                bits.append(f"default {o['default']}")
            if o["aliases"]:
                bits.append("also " + ", ".join(f"{a}=" for a in o["aliases"]))
            details.append(f"  {o['name']}: " + "; ".join(bits))
        if entry["aliases"]:
            details.append("aliases: " + ", ".join(entry["aliases"]))
        table.add_row(Text(entry["name"]), Text(entry["syntax"]), Text("\n".join(details)))
    make_console(no_color).print(table)
