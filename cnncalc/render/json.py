"""The `--json` text: the cli.md object, one layer per line.

`json.dumps(..., indent=2)` runs the pure-Python encoder (the C one only serves compact
output) and takes seconds on a 20,000-layer net, so each part is encoded compactly by the C
encoder and the parts are laid out here.
"""

from __future__ import annotations

import json

from ..report import Report


def render(report: Report) -> str:
    d = report.to_dict()
    dump = json.dumps
    layers = ",\n    ".join(dump(row, ensure_ascii=False) for row in d["layers"])
    warnings = ",\n    ".join(dump(w, ensure_ascii=False) for w in d["warnings"])
    return ("{\n"
            f'  "input": {dump(d["input"])},\n'
            f'  "layers": [{_block(layers)}],\n'
            f'  "totals": {dump(d["totals"])},\n'
            f'  "warnings": [{_block(warnings)}],\n'
            f'  "conditions": {dump(d["conditions"], ensure_ascii=False)},\n'
            f'  "exact_when": {dump(d["exact_when"], ensure_ascii=False)},\n'
            f'  "min_input": {dump(d["min_input"])},\n'
            f'  "symbols": {dump(d["symbols"])}'
            + (f',\n  "training_memory": {dump(d["training_memory"])}'
               if "training_memory" in d else "")
            + (f',\n  "asserts": {dump(d["asserts"], ensure_ascii=False)}' if "asserts" in d
               else "") + "\n}")


def _block(inner: str) -> str:
    return f"\n    {inner}\n  " if inner else ""
