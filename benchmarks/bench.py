"""Start-up time and peak memory of the cnncalc command line, as ratios to a baseline.

Run from anywhere, with the Python that has cnncalc installed:

    python benchmarks/bench.py                 # table on stdout, 7 runs per figure
    python benchmarks/bench.py --runs 15 --json
    python benchmarks/bench.py --import-profile   # the 15 slowest imports of cnncalc.cli

Every run is a new process (cold start, warm disk cache: one untimed run of each command
comes first and checks that it exits 0). The machine is shared and noisy, so the figures are
medians, the commands are interleaved run by run, and times are read as ratios to `floor`,
the cost of `python -c "import click, rich.console, rich.table"` measured in the same run.
Exit status: 0 all goals pass, 1 a goal fails, 2 something is missing or a command failed.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESNET = "examples/resnet50.cnn"
TIMEOUT = 120  # seconds; a run that takes longer is killed and counts as a failure
LONG_LAYERS = (10_000, 20_000)
LONG_CYCLE = ("conv 8 k3 p1", "bn", "relu")  # keeps an 8x32x32 shape constant


class Failure(Exception):
    pass


def cnncalc_command():
    script = Path(sys.executable).parent / "cnncalc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cnncalc"]


def run_once(cmd, env, timeout=TIMEOUT):
    """Run cmd once in a new process; return (seconds, peak RSS in MiB, exit code, out, err)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        rss = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        return seconds, rss, proc.returncode, out.read(), err.read()


def check(name, cmd, env, result, want_json=False):
    seconds, _, code, out, err = result
    if code != 0:
        killed = " (killed: over the time limit)" if seconds >= TIMEOUT else ""
        raise Failure(f"{name}: `{shlex.join(cmd)}` exited {code} after {seconds:.1f} s{killed}\n"
                      + err.decode(errors="replace").rstrip())
    if want_json:
        try:
            json.loads(out)
        except ValueError as e:
            raise Failure(f"{name}: `{shlex.join(cmd)}` did not print one JSON object: {e}")


def measure(commands, env, runs, warm_up=True):
    """commands: {name: (cmd, want_json)}. Check each (in an untimed warm-up run unless
    warm_up is False), then run them interleaved, `runs` times each."""
    for name, (cmd, want_json) in commands.items():
        if warm_up:
            check(name, cmd, env, run_once(cmd, env), want_json)
    samples = {name: [] for name in commands}
    for i in range(runs):
        for name, (cmd, want_json) in commands.items():
            result = run_once(cmd, env)
            check(name, cmd, env, result, want_json and i == 0)
            samples[name].append(result[:2])
    return {name: {"median_s": statistics.median(s for s, _ in rows),
                   "peak_mib": max(m for _, m in rows),
                   "runs_s": [round(s, 4) for s, _ in rows]}
            for name, rows in samples.items()}


def preflight(cnncalc, env):
    missing = []
    if not (ROOT / RESNET).is_file():
        missing.append(f"{ROOT / RESNET} does not exist")
    _, _, code, out, err = run_once(cnncalc + ["--version"], env)
    if code != 0:
        where = "" if (ROOT / "cnncalc" / "__init__.py").is_file() else \
            f" ({ROOT / 'cnncalc' / '__init__.py'} does not exist)"
        missing.append(f"cnncalc is not runnable{where}: `{shlex.join(cnncalc)} --version` "
                       f"exited {code}\n    " + err.decode(errors="replace").strip()[-600:])
    if missing:
        raise Failure("cannot benchmark yet:\n  - " + "\n  - ".join(missing))
    return out.decode().strip()


def write_long_spec(directory, layers):
    lines = ["input 8x32x32"] + [LONG_CYCLE[i % len(LONG_CYCLE)] for i in range(layers)]
    path = Path(directory) / f"long_{layers}.cnn"
    path.write_text("\n".join(lines) + "\n")
    return path


def benchmark(args):
    env = dict(os.environ, COLUMNS="100")
    cnncalc = cnncalc_command()
    version = preflight(cnncalc, env)
    py = sys.executable
    figures = measure({
        "bare": ([py, "-c", "pass"], False),
        "floor": ([py, "-c", "import click, rich.console, rich.table"], False),
        "analyze table": (cnncalc + ["analyze", RESNET], False),
        "analyze --json": (cnncalc + ["analyze", "--json", RESNET], True),
        "import sympy": ([py, "-c", "import sympy"], False),
        "symbolic --json": (cnncalc + ["analyze", "--json", RESNET, "--input", "3xHxW"], True),
        "explain table": (cnncalc + ["explain", RESNET], False),
        "solve 7x7 -> 4x4": (cnncalc + ["solve", "input 1x7x7 | conv 1 k=F s=S p=P",
                                         "--output", "1x4x4", "--json"], True),
    }, env, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        # beyond the default --max-layers: these measure how the time grows with the layers
        long_cmds = {f"long {n:,} layers": (cnncalc + ["analyze", "--json", "--max-layers",
                                                       str(n), str(write_long_spec(tmp, n))],
                                            True)
                     for n in LONG_LAYERS}
        # the executor and the receptive-field probe, at ResNet-50's own 224x224
        long_cmds["verify resnet50"] = (cnncalc + ["verify", "--json", RESNET], True)
        # cnncalc's own start-up is warm by now: no warm-up run for these slow ones
        figures.update(measure(long_cmds, env, args.long_runs, warm_up=False))
    floor = figures["floor"]["median_s"]
    for fig in figures.values():
        fig["x_floor"] = fig["median_s"] / floor
    short, long_ = (figures[f"long {n:,} layers"]["median_s"] for n in LONG_LAYERS)
    # Start-up is in both times; also give the ratio of the time beyond a small --json run.
    base = figures["analyze --json"]["median_s"]
    beyond = (long_ - base) / (short - base) if short > base else None
    figures["long 20k / 10k"] = {"ratio": long_ / short, "ratio_beyond_startup": beyond}
    table, as_json = figures["analyze table"], figures["analyze --json"]
    # the symbolic engine is judged against the cost of importing sympy, which it needs
    symbolic = figures["symbolic --json"]
    symbolic["x_sympy"] = symbolic["median_s"] / figures["import sympy"]["median_s"]
    goals = [{"goal": goal, "value": round(value, 3), "limit": limit, "unit": unit,
              "pass": value <= limit} for goal, value, limit, unit in [
        ("analyze table time / floor", table["x_floor"], 2.5, ""),
        ("analyze table peak RSS", table["peak_mib"], 48, "MiB"),
        ("analyze --json time / floor", as_json["x_floor"], 1.25, ""),
        ("analyze --json peak RSS", as_json["peak_mib"], 48, "MiB"),
        ("20,000 layers time", long_, 5, "s"),
        ("symbolic --json / import sympy", symbolic["x_sympy"], 4, ""),
        ("explain / analyze table", figures["explain table"]["median_s"] / table["median_s"],
         2, ""),
        ("solve 7x7 -> 4x4 time", figures["solve 7x7 -> 4x4"]["median_s"], 2, "s"),
        ("verify resnet50 time", figures["verify resnet50"]["median_s"], 60, "s")]]
    return {"python": sys.version.split()[0], "cnncalc": version, "command": cnncalc,
            "runs": args.runs, "long_runs": args.long_runs,
            "figures": figures, "goals": goals}


def print_table(report):
    print(f"cnncalc benchmark: {report['cnncalc']}, Python {report['python']}, medians of "
          f"{report['runs']} runs ({report['long_runs']} for long specs)")
    print(f"command: {shlex.join(report['command'])}\n")
    print(f"{'figure':<22}{'median s':>10}{'x floor':>9}{'peak MiB':>10}")
    for name, fig in report["figures"].items():
        if "median_s" in fig:
            print(f"{name:<22}{fig['median_s']:>10.3f}{fig['x_floor']:>9.2f}"
                  f"{fig['peak_mib']:>10.1f}")
        else:
            beyond = fig["ratio_beyond_startup"]
            beyond = "n/a" if beyond is None else f"{beyond:.2f}"
            print(f"{name:<22}{fig['ratio']:>10.2f}   (about 2 means linear; "
                  f"{beyond} less a small --json run)")
    print()
    for g in report["goals"]:
        value, limit = f"{g['value']:.2f} {g['unit']}", f"{g['limit']} {g['unit']}".strip()
        print(f"{'PASS' if g['pass'] else 'FAIL'}  {g['goal']:<28} {value:>10}  (goal <= {limit})")


def importtime(module):
    """Rows (cumulative us, self us, name) of `python -X importtime -c "import MODULE"`."""
    cmd = [sys.executable, "-X", "importtime", "-c", f"import {module}" if module else "pass"]
    _, _, code, _, err = run_once(cmd, dict(os.environ))
    lines = err.decode(errors="replace").splitlines()
    if code != 0:
        raise Failure(f"`{shlex.join(cmd)}` exited {code}\n"
                      + "\n".join(l for l in lines if not l.startswith("import time:")))
    rows = []
    for line in lines:
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), int(parts[0].split(":")[1]), parts[2].rstrip()))
    return rows


def import_profile(module, count=15):
    startup = {name.strip() for _, _, name in importtime(None)}
    rows = [row for row in importtime(module) if row[2].strip() not in startup]
    print(f"{count} slowest imports of {module}, leaving out the interpreter's start-up "
          "(microseconds; cumulative includes sub-imports)")
    print(f"{'cumulative':>10} {'self':>8}  module")
    for cumulative, own, name in sorted(rows, reverse=True)[:count]:
        print(f"{cumulative:>10} {own:>8} {name}")
    print(f"{len(rows)} modules imported beyond start-up")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (default 7)")
    parser.add_argument("--long-runs", type=int, default=3,
                        help="timed runs for the 10k/20k-layer specs (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--import-profile", nargs="?", const="cnncalc.cli", metavar="MODULE",
                        help="show the slowest imports of MODULE (default cnncalc.cli) and stop")
    args = parser.parse_args()
    if args.runs < 1 or args.long_runs < 1:
        parser.error("--runs and --long-runs must be at least 1")
    try:
        if args.import_profile:
            import_profile(args.import_profile)
            return 0
        report = benchmark(args)
    except Failure as e:
        print(f"bench.py: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0 if all(g["pass"] for g in report["goals"]) else 1


if __name__ == "__main__":
    sys.exit(main())
