"""`analyze --sweep`: one row per value, as a rich table, Markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from rich import box
from rich.table import Table

from ..sweeps import Sweep, SweepRow
from .outline import megabytes, thousands


def memory_title(sweep: Sweep) -> str:
    return f"training ({sweep.optimizer})" if sweep.memory == "training" else "memory"


def _shape(row: SweepRow) -> str:
    return "x".join(map(str, row.output_shape)) if row.output_shape is not None else "-"


def _tiles(row: SweepRow) -> str:
    return "invalid" if row.tiles is None else ("yes" if row.tiles else "no")


def _params_vary(sweep: Sweep) -> bool:
    """Parameters change with the input only through a flatten before an fc: the column is
    shown where they do (the JSON and CSV always have them)."""
    return len({r.params for r in sweep.rows if r.error is None}) > 1


def cells(sweep: Sweep, row: SweepRow) -> list[str]:
    """The row as people read it: thousands separators, sizes in MB."""
    valid = row.error is None
    params = [thousands(row.params) if valid else "-"] if _params_vary(sweep) else []
    return ([str(row.values[n]) for n in sweep.names] + [_shape(row)] + params
            + [thousands(row.macs) if valid else "-",
               megabytes(row.memory_bytes) if valid else "-", _tiles(row), row.reason()])


def header(sweep: Sweep) -> list[str]:
    """The note says where the first stride fails to tile (`conv1 (line 35) +7`: and in
    seven rows more), or why the value is invalid."""
    return (list(sweep.names) + ["output"] + (["params"] if _params_vary(sweep) else [])
            + ["MACs", memory_title(sweep), "tiles", "note"])


def print_sweep(sweep: Sweep, no_color: bool = False) -> None:
    from .table import make_console

    table = Table(box=box.SIMPLE, header_style="bold", show_edge=False)
    for i, title in enumerate(header(sweep)):
        numeric = i < len(sweep.names) or title in ("params", "MACs", memory_title(sweep))
        # a figure too wide for the terminal folds rather than being cut
        table.add_column(title, justify="right" if numeric else "left", overflow="fold",
                         min_width=len(title))
    for row in sweep.rows:
        table.add_row(*cells(sweep, row), style=None if row.error is None else "red")
    console = make_console(no_color)
    console.print(table)


def render_markdown(sweep: Sweep) -> str:
    titles = header(sweep)
    lines = ["| " + " | ".join(titles) + " |",
             "|" + "|".join("---" if t in ("output", "tiles", "note") else "---:"
                            for t in titles) + "|"]
    for row in sweep.rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(sweep, row))
                     + " |")
    return "\n".join(lines) + "\n"


def render_csv(sweep: Sweep) -> str:
    """Exact figures (bytes, not MB), one column per swept name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(sweep.names) + ["output_shape", "params", "macs", "memory_bytes",
                                         "tiles", "note"])
    for row in sweep.rows:
        valid = row.error is None
        writer.writerow([row.values[n] for n in sweep.names]
                        + [_shape(row) if valid else "", row.params if valid else "",
                           row.macs if valid else "", row.memory_bytes if valid else "",
                           _tiles(row), row.reason()])
    return out.getvalue()


def render_json(sweep: Sweep) -> str:
    d = sweep.to_dict()
    rows = ",\n    ".join(json.dumps(r, ensure_ascii=False) for r in d.pop("rows"))
    head = ",\n  ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in d.items())
    return "{\n  " + head + ',\n  "rows": [\n    ' + rows + "\n  ]\n}"
