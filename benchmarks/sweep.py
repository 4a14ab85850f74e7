"""The resolution sweep's two ways, timed: analyse each value (what `analyze --sweep` does)
against analysing the symbolic net once and substituting each value into its closed forms
(output shape, MACs, memory; tiling from the summary's `exact_when`).

    python benchmarks/sweep.py                 # ResNet-50, H = 224..640/32
    python benchmarks/sweep.py alexnet 63 511 32
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy  # noqa: E402

import cnncalc  # noqa: E402


def main(spec="resnet50", lo=224, hi=640, step=32):
    values = range(int(lo), int(hi) + 1, int(step))
    cnncalc.analyze("input 3xHxH | conv 8 k3 s2", bindings={"H": 9})  # warm: imports
    cnncalc.analyze("input 3xHxH | conv 8 k3 s2")
    start = time.perf_counter()
    per_value = cnncalc.sweep(spec, "H", values, input="3xHxH")
    each = time.perf_counter() - start

    start = time.perf_counter()
    report = cnncalc.analyze(spec, input="3xHxH")
    built = time.perf_counter() - start
    H = report.symbols[0]
    t = report.totals
    substituted = []
    for v in values:
        def at(e):
            return sympy.sympify(e).subs(H, v)
        substituted.append((tuple(at(d) for d in t.output_shape), at(t.macs),
                            at(t.total_bytes)))
    both = time.perf_counter() - start
    for row, (shape, macs, memory) in zip(per_value.rows, substituted):
        assert (row.macs, row.memory_bytes) == (macs, memory), row.values
    print(f"{spec}, H = {lo}..{hi}/{step} ({len(values)} values)")
    print(f"  one analysis per value:        {each:.2f} s")
    print(f"  symbolic once ({built:.2f} s) + subs: {both:.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
