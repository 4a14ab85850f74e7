"""`cnncalc layers [NAME]`: the catalogue of layer kinds, read from the registry itself, so
the help cannot drift from what the parser accepts."""

from __future__ import annotations

from typing import NamedTuple

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


class Form(NamedTuple):
    """A way to put layers together (not a layer kind): its syntax and a spec that uses it."""

    name: str
    syntax: str
    summary: str
    example: str


def _merge(name: str) -> str:
    from ..layers.merge import MERGES

    return MERGES[name].summary


COMPOSITION = [
    Form("residual", "residual { LAYERS } [shortcut [LABEL:] { LAYERS }]",
         "the block's input added to its output (an identity shortcut), or a shortcut "
         "branch's output (a projection)",
         "input 64x56x56 | residual { conv 128 k3 s2 p1 | bn | relu | conv 128 k3 p1 | bn } "
         "shortcut downsample: { conv 128 k1 s2 | bn } | relu"),
    Form("add", "add { LAYERS } { LAYERS } …", _merge("add"),
         "input 64x28x28 | add { conv 64 k3 p1 } { conv 64 k1 } { }"),
    Form("concat", "concat { LAYERS } { LAYERS } …", _merge("concat"),
         "input 192x28x28 | concat { conv 64 k1 } { conv 96 k1 | conv 128 k3 p1 } "
         "{ maxpool k3 s1 p1 | conv 32 k1 }"),
    Form("mul", "mul { LAYERS } { LAYERS } …", _merge("mul"),
         "input 64x28x28 | mul { } { avgpool global | conv 16 k1 | relu | conv 64 k1 | "
         "sigmoid }"),
    Form("split", "split { LAYERS } { LAYERS } …", _merge("split"),
         "input 116x28x28 | split { } { conv 58 k1 | relu | dwconv k3 p1 | conv 58 k1 } | "
         "shuffle 2"),
    Form("def", "def NAME(PARAM, PARAM=DEFAULT, …) { LAYERS }   then NAME(ARGS) like a layer",
         "a named block with parameters, defaults and keyword arguments, called like a layer; "
         "an unlabelled call is named NAME1, NAME2 …",
         "def basic(c, s=1) { conv c k3 s=s p1 | bn | relu }\n"
         "input 3x32x32 | basic(16) | basic(32, s=2)"),
    Form("repeat", "LAYER * N   { LAYERS } * N   [ LAYERS ]",
         "a layer or group written N times over; `[ … ]` numbers its items 0, 1, … as "
         "nn.Sequential does, and so are the copies of a labelled repeat",
         "input 3x32x32 | { conv 64 k3 p1 | relu } * 2 | blocks: { conv 64 k3 p1 } * 3"),
    Form("label", "LABEL: LAYER   LABEL: { LAYERS }   LABEL: [ LAYERS ]",
         "names a row (or a group, whose rows are then LABEL.…) in the table and JSON; a "
         "label is a name or a number, and paths can spell PyTorch's module names",
         "input 3x224x224 | conv1: conv 64 k7 s2 p3 | bn1: bn | layer1: [ conv 64 k3 p1 | "
         "conv 64 k3 p1 ]"),
]
FORMS = {form.name: form for form in COMPOSITION}


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
        forms = Table(box=None, header_style="bold", padding=(0, 1))
        forms.add_column("composition", style="bold", no_wrap=True)
        forms.add_column("syntax", style="cyan")
        forms.add_column("what it is")
        for form in COMPOSITION:
            forms.add_row(Text(form.name), Text(form.syntax), Text(form.summary))
        console.print(forms)
        console.print(Text("cnncalc layers NAME shows one kind's options in full, or one "
                           "form of composition with an example.", style="dim"))
        return
    if name in FORMS:
        form = FORMS[name]
        console.print(Text(form.syntax, style="bold cyan"))
        console.print(Text(form.summary))
        console.print(Text("example:", style="bold"))
        for line in form.example.splitlines():
            console.print(Text("  " + line))
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
