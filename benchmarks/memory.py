"""The memory guard's estimate against what a run really holds.

    python benchmarks/memory.py              # every bundled example, at its own size
    python benchmarks/memory.py resnet50 …   # some of them (or paths to specs)

`run` and `verify` refuse a net whose estimated peak (`execute.estimate_peak`: every tensor,
the caller's input, and at the busiest layer its input, output and the workspace its
forward holds) is above `--memory-limit`. The estimate must never be below what a run holds,
and should not be far above it, or a run that fits would be refused. Measured with
tracemalloc (NumPy reports every array it allocates to it) over `run_net`, with every weight
kept alive as an `.npz` would keep it, after one warm-up run (NumPy's random generator takes
about 1 MiB the first time it is made). Exit status: 1 if some estimate is below the
measured peak, else 0.
"""
import argparse
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnncalc.api import _net  # noqa: E402
from cnncalc.bundled import names as example_names  # noqa: E402
from cnncalc.execute import _Run, estimate_peak, run_net  # noqa: E402


class _Keeping(_Run):
    """Keeps every tensor it makes, as weights loaded from a file are kept."""

    def __init__(self, *args):
        super().__init__(*args)
        self.kept = []

    def arrays(self, layer, path, x):
        made = super().arrays(layer, path, x)
        self.kept.append(made)
        return made


def measure(name: str) -> tuple[int, int]:
    net = _net(name, None, 10_000, None, None)[0]
    estimate = estimate_peak(net, "float32")[1]
    tracemalloc.start()
    run_net(net, runner=_Keeping)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return estimate, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nets", nargs="*")
    names = parser.parse_args().nets or example_names()
    run_net(_net("input 1x4x4 | conv 1 k3", None, 10, None, None)[0])  # the warm-up
    mib = 2 ** 20
    print(f"{'net':18} {'estimate':>12} {'measured':>12} {'ratio':>6}")
    low = []
    for name in names:
        estimate, peak = measure(name)
        print(f"{name:18} {estimate / mib:8.1f} MiB {peak / mib:8.1f} MiB "
              f"{estimate / peak:6.2f}")
        if estimate < peak:
            low.append(name)
    if low:
        print(f"the estimate is below the measured peak for: {', '.join(low)}")
        return 1
    print("every estimate covers the measured peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
