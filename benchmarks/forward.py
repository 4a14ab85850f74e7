"""The NumPy executor's forward pass against PyTorch eager, side by side in one process.

    python benchmarks/forward.py                     # ResNet-50 and VGG-16, medians of 9 runs
    python benchmarks/forward.py resnet18 --runs 15  # any spec in examples/, or a path
    python benchmarks/forward.py --profile           # also: cnncalc's time per layer kind

For each net, the weights are cnncalc's own seeded ones; the same arrays (shared, not copied)
become the parameters of a torch model built from cnncalc's walk of the spec, layer by
layer, as plain modules (Conv2d, BatchNorm2d, ReLU(inplace=True), MaxPool2d, Linear …, a
residual block adding its branches in place, as torchvision does). Both run on one float32
input of batch 1: `cnncalc.run(spec, x, weights=...)` (the whole call, parsing and analysis
included) and `model(x)` under `torch.inference_mode()`, interleaved run by run after a
warm-up, each run after a short rest (--pause: the idle worker threads of one library spin
for a while after a call, and on two cores would halve the other's speed), with torch's
intra-op threads set to NumPy's BLAS threads. The figure is the ratio of
the two medians, measured in the same run; the outputs must agree (float32, loose
tolerance). Exit status: 0 every goal met, 1 a goal missed or the outputs differ,
2 torch is not installed (nothing measured).
"""
import argparse
import ctypes
import glob
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NETS = ("resnet50", "vgg16")
GOAL, STRETCH = 2.0, 1.5  # cnncalc.run / torch eager, medians of the same run
TOLERANCE = 1e-3          # largest |difference| / largest |torch output|


def blas_threads() -> tuple[int, str]:
    """How many threads NumPy's BLAS uses, and how that was learned."""
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return pool["num_threads"], f"threadpoolctl ({pool.get('internal_api')})"
    except ImportError:
        pass
    import numpy as np

    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for path in glob.glob(str(libs / "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)(), f"OpenBLAS {name}"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    return os.cpu_count() or 1, "os.cpu_count() (guessed)"


def spec_path(name: str) -> Path:
    path = Path(name)
    if path.suffix != ".cnn":
        path = ROOT / "examples" / f"{name}.cnn"
    if not path.is_file():
        sys.exit(f"no spec {path}")
    return path


def build_torch(spec_text: str, x):
    """cnncalc's seeded weights for the spec, the torch model holding the same arrays, and
    cnncalc's output for `x` computed on the way."""
    import torch
    from torch import nn

    from cnncalc import api
    from cnncalc.execute import _Run
    from cnncalc.layers.base import per_axis
    from cnncalc.walk import walk

    class Merge(nn.Module):
        def __init__(self, kind, branches):
            super().__init__()
            self.kind = kind
            self.branches = nn.ModuleList(branches)

        def forward(self, x):
            outs = [b(x) for b in self.branches]
            if self.kind == "concat":
                return torch.cat(outs, 1)
            total = outs[0] if outs[0] is not x else outs[0].clone()
            for o in outs[1:]:  # torchvision: out += identity
                total += o
            return total

    def module(layer, x, arrays):
        name = layer.kind.name
        nd = x.ndim - 2
        params = {k: nn.Parameter(torch.from_numpy(a), requires_grad=False)
                  for k, a in arrays.items()}
        if name in ("conv", "dwconv"):
            axes = layer.kind.axes(layer, x.shape[1:])
            if any(a.left != a.right for a in axes):
                raise SystemExit(f"{layer.text}: asymmetric padding is not built here")
            w = arrays["weight"]
            m = getattr(nn, f"Conv{nd}d")(x.shape[1], w.shape[0], w.shape[2:],
                                          [a.s for a in axes], [a.left for a in axes],
                                          [a.d for a in axes], x.shape[1] // w.shape[1],
                                          bias="bias" in arrays)
        elif name == "bn":
            m = getattr(nn, f"BatchNorm{max(nd, 1)}d")(x.shape[1])
            for k in ("running_mean", "running_var"):
                setattr(m, k, torch.from_numpy(arrays[k]))
            params = {k: params[k] for k in ("weight", "bias")}
        elif name == "relu":
            return nn.ReLU(inplace=True)
        elif name in ("maxpool", "avgpool"):
            cls = "Max" if name == "maxpool" else "Avg"
            if layer.opts["global"]:
                return getattr(nn, f"Adaptive{cls}Pool{nd}d")(1)
            if layer.opts["out"] is not None:
                return getattr(nn, f"Adaptive{cls}Pool{nd}d")(per_axis(layer, "out", nd))
            axes = layer.kind.axes(layer, x.shape[1:])
            if any(a.left != a.right for a in axes):
                raise SystemExit(f"{layer.text}: asymmetric padding is not built here")
            k, s, p = [a.k for a in axes], [a.s for a in axes], [a.left for a in axes]
            if name == "maxpool":
                return getattr(nn, f"MaxPool{nd}d")(k, s, p, [a.d for a in axes],
                                                    ceil_mode=layer.opts["ceil"])
            return getattr(nn, f"AvgPool{nd}d")(k, s, p, ceil_mode=layer.opts["ceil"])
        elif name == "fc":
            w = arrays["weight"]
            m = nn.Sequential(nn.Flatten(), nn.Linear(w.shape[1], w.shape[0],
                                                      bias="bias" in arrays))
            m[1].weight, m[1].bias = params["weight"], params.get("bias")
            return m
        elif name == "dropout":
            return nn.Dropout(float(layer.opts["rate"]))
        elif name == "flatten":
            return nn.Flatten()
        else:
            raise SystemExit(f"{layer.text}: layer kind '{name}' is not built in torch here")
        for k, p in params.items():
            setattr(m, k, p)
        return m

    class Build(_Run):
        """The executor's walk, each layer also turned into a torch module."""

        def __init__(self, rng, dtype):
            super().__init__(None, rng, dtype)
            self.collected = {}

        def layer(self, layer, path, value):
            x, mods = value
            arrays = self.arrays(layer, path, x)
            self.collected.update({f"{'.'.join(path)}.{k}": a for k, a in arrays.items()})
            mods.append(module(layer, x, arrays))
            return layer.kind.forward(layer, x, arrays), mods

        def branch_inputs(self, merge, path, value):
            x, _ = value
            return [(xi, []) for xi in merge.kind.split_value(x, len(merge.branches))]

        def join(self, merge, path, value, outs):
            _, mods = value
            if merge.kind.name not in ("add", "concat"):
                raise SystemExit(f"merge '{merge.kind.name}' is not built in torch here")
            mods.append(Merge(merge.kind.name, [nn.Sequential(*m) for _, m in outs]))
            return merge.kind.forward([y for y, _ in outs]), mods

    import numpy as np

    net = api._net(spec_text, None, api._build.DEFAULT_MAX_LAYERS, None, None)[0]
    runner = Build(np.random.default_rng(0), np.dtype("float32"))
    y, mods = walk(net.body, runner, (x, []))
    return runner.collected, nn.Sequential(*mods).eval(), y


def layer_profile(spec_text: str, x, weights, runs: int) -> dict:
    """cnncalc's time per layer kind (and per merge), medians over `runs` forward passes."""
    from cnncalc import api
    from cnncalc.execute import _Run, run_net

    times = defaultdict(list)

    class Timed(_Run):
        def layer(self, layer, path, x):
            start = time.perf_counter()
            kind = _kind(layer, x)
            y = super().layer(layer, path, x)  # the executor's own, in-place paths included
            self.spent[kind] += time.perf_counter() - start
            return y

        def join(self, merge, path, x, outs):
            start = time.perf_counter()
            y = super().join(merge, path, x, outs)
            self.spent[f"merge {merge.kind.name}"] += time.perf_counter() - start
            return y

    net = api._net(spec_text, None, api._build.DEFAULT_MAX_LAYERS, None, None)[0]
    for i in range(runs + 1):
        Timed.spent = defaultdict(float)
        run_net(net, x, weights=weights, runner=Timed)
        if i:  # the first run warms up
            for k, v in Timed.spent.items():
                times[k].append(v)
    return {k: statistics.median(v) for k, v in times.items()}


def _kind(layer, x) -> str:
    name = layer.kind.name
    if name in ("conv", "dwconv"):
        w = layer.kind.tensors(layer, x.shape[1:])["weight"]
        s = layer.opts["s"]
        return f"{name} k{'x'.join(map(str, w[2:]))}" + (f" s{s}" if s != 1 else "")
    if name in ("maxpool", "avgpool"):
        if layer.opts["global"]:
            return f"{name} global"
        if layer.opts["out"] is not None:
            return f"{name} out="
    return name


def bench_net(name: str, runs: int, pause: float, profile: bool) -> dict:
    import numpy as np
    import torch

    import cnncalc
    from cnncalc import api
    from cnncalc.execute import run_net

    path = spec_path(name)
    spec = path.read_text()
    net = cnncalc.analyze(spec)
    x = np.random.default_rng(1).standard_normal(
        (1,) + tuple(net.input.shape)).astype(np.float32)
    weights, model, y_build = build_torch(spec, x)
    xt = torch.from_numpy(x)

    def ours():
        return cnncalc.run(spec, x, weights=weights)

    built = api._net(spec, None, api._build.DEFAULT_MAX_LAYERS, None, None)[0]

    def executor():  # the forward pass alone: no parsing, no analysis
        return run_net(built, x, weights=weights)

    def theirs():
        with torch.inference_mode():
            return model(xt)

    y_ours, y_theirs = ours(), theirs().numpy()  # warm-up, and the outputs compared
    ours(), theirs()
    scale = float(np.abs(y_theirs).max()) or 1.0
    error = float(np.abs(y_ours - y_theirs).max()) / scale
    samples = {"cnncalc": [], "executor": [], "torch": []}
    for _ in range(runs):  # interleaved: a busy moment hits both
        for key, fn in (("cnncalc", ours), ("executor", executor), ("torch", theirs)):
            time.sleep(pause)  # the other library's threads stop spinning and sleep
            start = time.perf_counter()
            fn()
            samples[key].append(time.perf_counter() - start)
    result = {
        "net": path.stem,
        "cnncalc_ms": statistics.median(samples["cnncalc"]) * 1e3,
        "executor_ms": statistics.median(samples["executor"]) * 1e3,
        "torch_ms": statistics.median(samples["torch"]) * 1e3,
        "runs_ms": {k: [round(s * 1e3, 2) for s in v] for k, v in samples.items()},
        "relative_error": error,
        "agree": error <= TOLERANCE and bool(np.array_equal(y_ours, y_build)),
    }
    result["ratio"] = result["cnncalc_ms"] / result["torch_ms"]
    result["best_ratio"] = min(samples["cnncalc"]) / min(samples["torch"])
    if profile:
        result["profile_ms"] = {k: v * 1e3 for k, v in
                                layer_profile(spec, x, weights, runs).items()}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nets", nargs="*", default=list(DEFAULT_NETS),
                        help="example names (resnet50) or .cnn paths")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per net (median)")
    parser.add_argument("--pause", type=float, default=0.25,
                        help="seconds of rest before each timed run (default 0.25): "
                             "OpenBLAS's and OpenMP's idle threads spin for a while after "
                             "a call, and would slow the other library's next run")
    parser.add_argument("--profile", action="store_true",
                        help="also cnncalc's time per layer kind")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("forward.py: skipped: PyTorch is not installed (pip install torch); "
              "nothing was measured", file=sys.stderr)
        return 2
    threads, how = blas_threads()
    torch.set_num_threads(threads)
    load = [os.getloadavg()[0]]
    results = [bench_net(n, args.runs, args.pause, args.profile) for n in args.nets]
    load.append(os.getloadavg()[0])
    if args.json:
        print(json.dumps({"threads": threads, "threads_from": how, "runs": args.runs,
                          "pause_s": args.pause, "load_average_1min": load,
                          "torch": torch.__version__, "results": results}, indent=1))
    else:
        import numpy as np

        print(f"threads: {threads} (NumPy BLAS, from {how}; torch.set_num_threads({threads}))"
              f", medians of {args.runs} runs "
              f"(each after {args.pause:g} s of rest), float32, batch 1; NumPy {np.__version__}, "
              f"torch {torch.__version__}; load average {load[0]:.1f} before, {load[1]:.1f} "
              f"after")
        print(f"{'net':<12} {'cnncalc ms':>11} {'(executor)':>11} {'torch ms':>9} {'ratio':>6}"
              f" {'(best)':>6}  goal  outputs (max |diff| / max |torch|)")
        for r in results:
            goal = "ok" if r["ratio"] <= STRETCH else "ok*" if r["ratio"] <= GOAL else "MISS"
            agree = "agree" if r["agree"] else "DIFFER"
            print(f"{r['net']:<12} {r['cnncalc_ms']:>11.1f} {r['executor_ms']:>11.1f} "
                  f"{r['torch_ms']:>9.1f} {r['ratio']:>6.2f} {r['best_ratio']:>6.2f}  {goal:<4}  "
                  f"{agree} ({r['relative_error']:.1e})")
        print(f"ratio: of the medians, cnncalc / torch; goal <= {GOAL} (ok*), stretch <= "
              f"{STRETCH} (ok). (best): of the fastest runs. (executor): the forward pass "
              f"alone, without parsing and analysis")
        if load[0] > 1 or load[1] > threads + 1:  # the run itself adds up to `threads`
            print(f"warning: the machine was busy (load average {load[0]:.1f} before, "
                  f"{load[1]:.1f} after, on {os.cpu_count()} CPUs): another process slows "
                  f"both sides, torch's most, and the ratio means little; measure again when "
                  f"it is idle")
        for r in results:
            if "profile_ms" in r:
                total = sum(r["profile_ms"].values())
                print(f"\n{r['net']}: cnncalc per layer kind (ms, median; sum {total:.1f})")
                for k, v in sorted(r["profile_ms"].items(), key=lambda kv: -kv[1]):
                    print(f"  {k:<20} {v:>8.2f}  {100 * v / total:>5.1f}%")
    ok = all(r["agree"] and r["ratio"] <= GOAL for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
