"""Time and peak memory of the inputs that the limits are for (README, "Limits").

    python benchmarks/limits.py                      # every case, against the goal
    python benchmarks/limits.py --cnncalc /other/venv/bin/cnncalc --layers 1000000

Each case is one `cnncalc` process (a concrete spec at the default limits, in every format,
or an input that must be refused), measured like bench.py (wall time, peak RSS by os.wait4)
and killed after --timeout seconds. The goal (issue 15): at most 10 s and 1 GiB each.
Each process may take at most 4 GiB of address space (beyond it, it fails, as an unbounded
read of /dev/zero would). Exit status 0 when every case meets the goal, 1 otherwise.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_SECONDS, GOAL_MIB = 10, 1024
CAP_MIB = 4096  # address space each process may take: reading /dev/zero without a bound
                # would otherwise take the machine's memory
FORMATS = {"table": ["analyze"], "json": ["analyze", "--json"],
           "markdown": ["analyze", "--format", "markdown"],
           "csv": ["analyze", "--format", "csv"], "explain": ["explain"],
           "explain --json": ["explain", "--json"]}


def cnncalc_command():
    script = Path(sys.executable).parent / "cnncalc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cnncalc"]


def measure(cmd, timeout, stdin=subprocess.DEVNULL):
    """(seconds, peak MiB, exit status or 'killed', first line of stderr)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=_cap_memory)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), proc.kill()))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        err.seek(0)
        first = err.read(2000).decode(errors="replace").split("\n", 1)[0]
    code = "killed" if killed else os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, code, first


def _cap_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CAP_MIB * 2 ** 20, CAP_MIB * 2 ** 20))


def write_specs(directory: Path, layers: int, explain_layers: int) -> dict:
    """name -> (path or text, formats). The at-the-cap specs are the slowest per row that
    were found: 3-D windows of every kind (explain writes three axes of working each)."""
    d = directory
    cycle = ("conv 8 k3 p1", "bn", "relu")
    (d / "chain.cnn").write_text("input 8x32x32\n" + "\n".join(
        cycle[i % 3] for i in range(layers)) + "\n")
    mix3d = ["deconv 2 k3x2x3 p1x0x1 s2 d2 op1", "maxpool k3 s2 p1 d2 ceil",
             "avgpool k=2x3x2 s1 p1", "conv 2 k3x1x3 s1 p=same d2 g2"]
    for name, n in (("mix3d.cnn", layers), ("mix3d_explain.cnn", explain_layers)):
        (d / name).write_text("input 2x9x9x9\n" + "\n".join(
            mix3d[i % 4] for i in range(n)) + "\n")
    blk = ("def blk(c) { residual { a: conv c k3 p1 nobias | bn | relu | conv c k3 p1 "
           "nobias | bn } shortcut down: [ conv c k1 | bn ]\n relu }\n")
    (d / "blocks.cnn").write_text(blk + "input 8x16x16\n" + "\n".join(
        f"s{i}: blk(8)" for i in range(layers // 11)) + "\n")
    (d / "squaring.cnn").write_text("".join(
        f"def f{i}(a) {{ f{i + 1}((a*a)) }}\n" for i in range(33))
        + "def f33(a) { conv (a) k1 }\ninput 1x4x4 | f0(2)\n")
    (d / "squaring_symbolic.cnn").write_text("".join(
        f"def f{i}(a) {{ f{i + 1}((a*a+a)) }}\n" for i in range(6))
        + "def f6(a) { conv (a) k1 }\ninput 1x4x4 | f0(H)\n")
    (d / "labels.cnn").write_text("".join(
        f"def d{i}() {{ {'l: ' * 95}{f'd{i + 1}()' if i < 59 else 'relu'} }}\n"
        for i in range(60)) + "input 1x4x4 | d0()\n")
    mib = 1024 * 1024
    (d / "mib_relu.cnn").write_text("input 1x4x4\n" + "relu\n" * ((mib - 12) // 5))
    (d / "mib_bars.cnn").write_text("input 1x4x4\nrelu" + "|" * (mib - 20) + "\n")
    (d / "mib_labels.cnn").write_text("input 1x4x4\n" + "".join(
        f"l{i}: relu\n" for i in range(mib // 14)))
    (d / "mib_empty.cnn").write_text("input 1x4x4\nrelu\n" + "{ }\n" * (mib // 4 - 8))
    every = list(FORMATS)
    return {
        f"chain of {layers:,} layers": (d / "chain.cnn", every[:4]),
        f"3-D windows of every kind, {layers:,} layers": (d / "mix3d.cnn", every[:4]),
        f"3-D windows, {explain_layers:,} layers (explain's limit)":
            (d / "mix3d_explain.cnn", every[4:]),
        f"residual blocks, about {layers:,} nodes": (d / "blocks.cnn", every),
        "{ a: { } } * 10000000": ("input 1x4x4 | relu | { a: { } } * 10000000", every),
        "a: { } * 10000000": ("input 1x4x4 | relu | a: { } * 10000000", every),
        "{ } * 99999999999999999999": ("input 1x4x4 | relu | { } * 99999999999999999999",
                                       every),
        "defs squaring 2, 33 deep": (d / "squaring.cnn", every),
        "defs squaring H, 6 deep": (d / "squaring_symbolic.cnn", every),
        "labels in defs, 5,700 deep": (d / "labels.cnn", every[:2]),
        "maxpool k1 s10 * 4400": ("input 1x1 | maxpool k1 s10 * 4400", every),
        "1 MiB: relu lines": (d / "mib_relu.cnn", every[:2]),
        "1 MiB: '|'": (d / "mib_bars.cnn", every[:2]),
        "1 MiB: labelled layers": (d / "mib_labels.cnn", every[:2]),
        "1 MiB: empty groups": (d / "mib_empty.cnn", every[:2]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnncalc", help="the cnncalc to measure (default: beside this Python)")
    parser.add_argument("--layers", type=int, help="the at-the-cap specs' size (default: "
                        "the default --max-layers of the cnncalc installed here)")
    parser.add_argument("--explain-layers", type=int,
                        help="the same for explain (default: its own default)")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    cnncalc = [args.cnncalc] if args.cnncalc else cnncalc_command()
    if args.layers is None or args.explain_layers is None:
        from cnncalc.build import DEFAULT_MAX_LAYERS, EXPLAIN_MAX_LAYERS
        args.layers = args.layers or DEFAULT_MAX_LAYERS
        args.explain_layers = args.explain_layers or EXPLAIN_MAX_LAYERS
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = write_specs(tmp, args.layers, args.explain_layers)
        runs = [(f"{name} ({fmt})", cnncalc + FORMATS[fmt] + [str(spec)], None)
                for name, (spec, formats) in cases.items() for fmt in formats]
        with open("/dev/zero", "rb") as zero:
            runs.append(("analyze - < /dev/zero", cnncalc + ["analyze", "-"], zero))
            runs.append(("analyze --json - < /dev/zero", cnncalc + ["analyze", "--json", "-"],
                         zero))
            fifo = tmp / "fifo"
            os.mkfifo(fifo)
            runs.append(("a FIFO as the spec path", cnncalc + ["analyze", str(fifo)], None))
            print(f"{'case':<58}{'s':>7}{'MiB':>8}  exit  first line of stderr")
            for name, cmd, stdin in runs:
                seconds, mib, code, first = measure(cmd, args.timeout,
                                                    stdin if stdin else subprocess.DEVNULL)
                ok = code != "killed" and seconds <= GOAL_SECONDS and mib <= GOAL_MIB
                results.append(ok)
                print(f"{name:<58}{seconds:>7.2f}{mib:>8.0f}  {str(code):<5} "
                      f"{'' if ok else 'OVER '}{first[:90]}", flush=True)
    print(f"\n{sum(results)} of {len(results)} within {GOAL_SECONDS} s and {GOAL_MIB} MiB "
          f"({shlex.join(cnncalc)})")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
