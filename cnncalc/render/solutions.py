"""The answer of `cnncalc solve`: one row per solution, then the bounds searched."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..solve import Answer, bounds_text
from .table import make_console


def print_answer(answer: Answer, no_color: bool = False) -> None:
    console = make_console(no_color)
    if answer.solutions:
        table = Table(box=None, header_style="bold", padding=(0, 2, 0, 0))
        for name in answer.unknowns:
            table.add_column(name, justify="right")
        for solution in answer.solutions:
            table.add_row(*(Text(str(solution[n])) for n in answer.unknowns))
        if answer.unknowns:
            console.print(table)
        count = len(answer.solutions)
        console.print(Text(f"{count} solution{'' if count == 1 else 's'} among "
                           f"{answer.candidates:,} candidates", style="dim"))
    else:
        console.print(Text(f"no solution among {answer.candidates:,} candidates", style="bold"))
    if answer.bounds:
        console.print(Text(f"searched: {bounds_text(answer.bounds)} "
                           f"(change with --range NAME=LO..HI)", style="dim"))
    if answer.universal:
        names = ", ".join(answer.universal)
        console.print(Text(f"for every {names}: each answer is proved for all values, not "
                           f"tried", style="dim"))
