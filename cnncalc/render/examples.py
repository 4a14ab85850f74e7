"""`cnncalc examples`: the bundled example nets, what each is, where it comes from and the
figures measured from its reference implementation."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .table import make_console


def print_examples(listing: list[dict], no_color: bool = False) -> None:
    console = make_console(no_color)
    table = Table(box=None, header_style="bold", padding=(0, 1), show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("net, source and reference figures")
    for about in listing:
        text = Text(about["title"], style="bold")
        for part in (about["source"], about["reference"]):
            if part:
                text.append("\n" + part)
        table.add_row(Text(about["name"]), text)
    console.print(table)
    console.print(Text("Any command takes a name as its SPEC: cnncalc analyze resnet50; "
                       "cnncalc examples NAME prints the spec.", style="dim"))
