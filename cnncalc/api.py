"""The Python API behind the command line: `analyze` (and, later, `run`)."""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction

from . import build as _build
from .analysis import analyze_net
from .errors import CnnCalcError, Source, brief
from .loading import load
from .numbers import bounded
from .report import Report
from .syntax import parse
from .syntax.parser import parse_input_override


def analyze(spec, *, input: str | None = None, dtype: str = "float32", strict: bool = False,
            max_layers: int = _build.DEFAULT_MAX_LAYERS, stdin=None,
            bindings: dict | None = None, no_warn=(), memory: str = "inference",
            optimizer: str = "adam") -> Report:
    """Analyze a spec given as text, a path to a .cnn file, or '-' (standard input).
    `bindings` give the spec's unbound names values (`{"H": 32}`); names left unbound are
    symbols, and the report holds closed forms and conditions. `strict` raises the first
    warning (`report.warnings`) as an error, except the kinds named in `no_warn`
    (`{"tiling"}`). `memory="training"` adds each term of a training step's memory with
    `optimizer` (sgd, momentum, adam) as `report.training` (docs/memory.md).

    >>> analyze("input 3x32x32 | conv 10 k5 s1 p2").totals.params
    760
    >>> analyze("input CxHxW | conv 10 k5 s1 p2", bindings={"C": 3}).totals.params
    760
    """
    net, blame = _net(spec, input, max_layers, stdin, bindings)
    with blame:
        report = analyze_net(net, dtype)
    report = with_memory(report, memory, optimizer)
    if report.asserts:  # an assert naming no block, or a field by the wrong axes: located
        from .gate import judge

        judge(report, report.asserts)
    if strict:
        for w in report.warnings:
            if w.name not in no_warn:
                raise w.as_error()
    return report


def with_memory(report: Report, memory: str, optimizer: str) -> Report:
    if memory == "inference":
        return report
    from .training import OPTIMIZER_STATES, training_memory

    if memory != "training":
        raise CnnCalcError(f"unknown memory mode '{memory}' (inference or training)",
                           where="--memory")
    if optimizer not in OPTIMIZER_STATES:
        raise CnnCalcError(f"unknown optimizer '{optimizer}' (one of: "
                           f"{', '.join(OPTIMIZER_STATES)})", where="--optimizer")
    return report._replace(training=training_memory(report, optimizer))


def sweep(spec, name, values=None, *, input: str | None = None, dtype: str = "float32",
          bindings: dict | None = None, memory: str = "inference", optimizer: str = "adam",
          max_layers: int = _build.DEFAULT_MAX_LAYERS, stdin=None):
    """The spec at each value of its symbol `name` (or of several names together: `name` a
    dict {name: values}): a `sweeps.Sweep`, one row per value with the output shape, MACs,
    memory, whether every stride tiles, or where the value fails.

    >>> rows = sweep("input 3xHxH | conv 8 k3 s2", "H", range(7, 10)).rows
    >>> [(r.values["H"], r.output_shape, r.tiles) for r in rows]
    [(7, [8, 3, 3], True), (8, [8, 3, 3], False), (9, [8, 4, 4], True)]
    """
    from .sweeps import run_sweep

    swept = dict(name) if isinstance(name, dict) else {name: values}
    return run_sweep(spec, swept, input=input, dtype=dtype, bindings=bindings or {},
                     memory=memory, optimizer=optimizer, max_layers=max_layers, stdin=stdin)


def check(specs, *, budgets=(), input: str | None = None, dtype: str = "float32",
          strict: bool = False, no_warn=(), max_layers: int = _build.DEFAULT_MAX_LAYERS,
          stdin=None, bindings: dict | None = None, convention: str = "papers",
          memory: str = "inference", optimizer: str = "adam") -> list:
    """Judge each spec against the budgets (`gate.Budget`, e.g. from `gate.max_budget`) and
    its own asserts: a `gate.Judged` per spec, in order. MACs (and FLOPs) are counted as
    `convention` counts them; `memory="training"` makes `memory` a training step's total
    with `optimizer`. A spec is a path, a directory (its
    `*.cnn` files, recursively), a glob, a bundled example's name or spec text; an invalid
    one is judged too (its `error` set), so that the others are still checked.

    >>> from cnncalc.gate import max_budget
    >>> [j.verdict for j in check(["input 3x32x32 | conv 10 k5 p2"],
    ...                           budgets=[max_budget("params", 700)])]
    ['failed']
    """
    from .gate import Judged
    from .loading import expand_spec

    judged = []
    for given in [specs] if isinstance(specs, str) else specs:
        try:
            expanded = expand_spec(given)
        except CnnCalcError as e:
            judged.append(Judged(str(given), None, [], e))
            continue
        judged.extend(_judge(spec, budgets, convention, input=input, dtype=dtype,
                             strict=strict, no_warn=no_warn, max_layers=max_layers,
                             stdin=stdin, bindings=bindings, memory=memory,
                             optimizer=optimizer) for spec in expanded)
    return judged


def _judge(spec, budgets, convention, **options):
    from .conventions import under
    from .gate import Judged, enforce

    name = spec if isinstance(spec, str) else str(spec)
    try:
        return enforce(name, under(analyze(spec, **options), convention), budgets)
    except CnnCalcError as e:
        return Judged(name, None, [], e)
    except RecursionError:  # a safety net: the parser and builder cap nesting below it
        return Judged(name, None, [], CnnCalcError("the spec nests too deeply"))


def diff(a, b=None, *, inputs=(), dtype: str = "float32",
         max_layers: int = _build.DEFAULT_MAX_LAYERS, stdin=None,
         bindings: dict | None = None):
    """Two nets side by side (`diff.Diff`): specs `a` and `b` (at `inputs[0]` if one shape
    is given), or the one spec `a` at two input shapes (`inputs` holds both, `b` is None).

    >>> d = diff("input 64x32x32 | conv 64 k3 p1 nobias * 2",
    ...          "input 64x32x32 | conv 64 k5 p2 nobias")
    >>> d.totals[0].a, d.totals[0].b, d.totals[0].change
    (73728, 102400, 28672)
    """
    from .diff import compare

    inputs = tuple(inputs)
    if (b is None) != (len(inputs) == 2) or len(inputs) > 2:
        if b is not None:
            raise CnnCalcError("--input twice compares one spec at two input shapes; with two "
                               "specs give --input once (both at that shape) or not at all",
                               where="--input")
        raise CnnCalcError("diff compares two nets: give two specs (A B), or one spec and "
                           "--input twice (--input 3x224x224 --input 3x320x320)",
                           where="cnncalc diff")
    source_a = load(a, stdin=stdin) if not isinstance(a, Source) else a
    source_b = source_a if b is None or b == a else \
        b if isinstance(b, Source) else load(b, stdin=stdin)
    shapes = inputs if b is None else inputs * 2 or (None, None)
    reports = [analyze(source, input=shape, dtype=dtype, max_layers=max_layers,
                       bindings=bindings)
               for source, shape in zip((source_a, source_b), shapes)]
    names = [_name(source) + (f" --input {shape}" if shape else "")
             for source, shape in zip((source_a, source_b), shapes)]
    return compare(*reports, names=tuple(names))


def _name(source: Source) -> str:
    """A file or example by its name, spec text as it is (on one line, cut short)."""
    return source.name if source.name != "<spec>" else brief(source.text)


def explain(spec, *, input: str | None = None, dtype: str = "float32",
            max_layers: int = _build.EXPLAIN_MAX_LAYERS, stdin=None,
            bindings: dict | None = None):
    """Each layer's working: (report, [explanation.Explained]), every step a formula, the
    numbers substituted and the result, computed by the layer's own rules.

    >>> steps = explain("input 1x7x7 | conv 1 k3 s3")[1][0].steps
    >>> steps[0].substituted, steps[0].result
    ('(7 − 3)/3 + 1', 2)
    """
    from .explanation import explain_net

    net, blame = _net(spec, input, max_layers, stdin, bindings)
    with blame:
        return explain_net(net, dtype)


def run(spec, x=None, *, seed: int = 0, weights=None, dtype: str = "float32",
        input: str | None = None, bindings: dict | None = None,
        max_layers: int = _build.DEFAULT_MAX_LAYERS, stdin=None,
        memory_limit: int | None = None, on_warnings=None, x_from: str = ""):
    """Run the net forward in NumPy (inference): the output array, (N, *output shape).

    `x` is an array (N, *input shape), random (seeded) if None; `weights` a dict or the path
    of an .npz, keyed `<row path>.<tensor>` in PyTorch's layouts (a `state_dict` saved with
    numpy.savez loads into a spec whose paths spell its module names), else seeded random.
    A run that would need more than `memory_limit` bytes (default: half the free memory) is
    refused before it starts. `on_warnings`, if given, is called with the analysis's
    warnings before the run; `x_from` names where `x` was read (`--input-npy X.npy`), for
    an error about its shape.

    >>> run("input 1x4x4 | maxpool k2", [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0],
    ...                                     [1, 2, 3, 4]]]]).tolist()
    [[[[6.0, 8.0], [3.0, 4.0]]]]
    """
    from .execute import run_net

    net, blame = _net(spec, input, max_layers, stdin, bindings)
    with blame:  # the analysis first: an invalid spec never runs
        _fits(net, dtype, memory_limit, on_warnings)
    if weights is not None and not isinstance(weights, dict):
        weights = load_arrays(weights, "--weights")
    return run_net(net, x, seed=seed, weights=weights, dtype=dtype, x_from=x_from)


def verify(spec, *, seed: int = 0, dtype: str = "float32", input: str | None = None,
           bindings: dict | None = None, max_layers: int = _build.DEFAULT_MAX_LAYERS,
           stdin=None, memory_limit: int | None = None, on_warnings=None):
    """Run the net and compare every layer's output shape, parameters, buffers, MACs and
    receptive fields with the analysis: a `verification.Verified` (its `differences` empty
    when all agree).
    `on_warnings`, if given, is called with the analysis's warnings before the run.
    """
    from .verification import verify_net

    net, blame = _net(spec, input, max_layers, stdin, bindings)
    with blame:
        _fits(net, dtype, memory_limit, on_warnings)
    return verify_net(net, seed=seed, dtype=dtype, memory_limit=memory_limit)


def _fits(net, dtype: str, memory_limit: int | None, on_warnings=None) -> None:
    """Analyse the net (its checks first, then its warnings to `on_warnings`) and refuse at
    once a run that would need more memory than the limit (default: half of what the
    machine has free)."""
    from .execute import estimate_peak
    from .sizes import available_memory, show_size

    report, need = estimate_peak(net, dtype)
    if on_warnings is not None:
        on_warnings(report.warnings)
    if report.symbols:
        return  # the run itself says which name needs a value
    if memory_limit is None:
        free = available_memory()
        memory_limit = free // 2 if free else 4 * 2 ** 30
    if need > memory_limit:
        raise CnnCalcError(f"running this net would need about {show_size(need)}, more than "
                           f"the limit of {show_size(memory_limit)} (raise it with "
                           f"--memory-limit, or run a smaller --input or batch)",
                           net.input.span)


def load_arrays(path, option: str):
    """An .npz (a dict of arrays) or .npy file, or a located error."""
    import numpy as np

    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        # NumPy takes what is neither .npy nor .npz for a pickle, which it will not load
        why = "not a .npy or .npz file" if "pickle" in str(e) else str(e)
        raise CnnCalcError(f"cannot read it as NumPy data ({why}; write it with numpy.save "
                           f"or numpy.savez)", where=f"{option} {path}") from None
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        return {k: loaded[k] for k in loaded.files}


def _net(spec, input, max_layers, stdin, bindings):
    source = spec if isinstance(spec, Source) else load(spec, stdin=stdin)
    tree = parse(source)
    override = parse_input_override(Source("--input", input)) if input else None
    net = _build.build(tree, input_override=override, max_layers=max_layers,
                       bindings=_values(bindings or {}))
    return net, _blame_input(tree, override, net, max_layers, bindings)


@contextmanager
def _blame_input(tree, override, net, max_layers, bindings):
    """The net's analysis runs inside this. --input is read in the spec's layout; when a
    spec written channels last (layout=hwc) fails only with the --input shape, and that shape
    read channels last changes the spec's channel count, it was likely written channels
    first: the error is the option's, says how the shape was read, and gives both ways to
    write it."""
    try:
        yield
    except CnnCalcError as e:
        if override is None or net.input.layout != "hwc" or len(override.dims) < 2 \
                or e.span is None or e.span.source.name == "--input" \
                or any(o.name.lower() == "layout" for o in override.options):
            raise
        try:  # the spec's own input: if it fails too, the spec is at fault, not --input
            own = _build.build(tree, max_layers=max_layers, bindings=_values(bindings or {}))
            analyze_net(own)
        except CnnCalcError:
            raise e from None
        if own.input.shape[0] == net.input.shape[0]:
            raise  # as many channels as the spec's: read as meant, and too small or so
        from .layers.base import axis_names

        dims = [d.span.text for d in override.dims]
        shape = "x".join(dims)
        names = list(axis_names(len(dims) - 1)) + ["channels"]
        read = [f"{n} {name[:-1] if n == '1' else name}" for n, name in zip(dims, names)]
        where = f"{e.span.source.name}:{e.span.line}:{e.span.col}"
        raise CnnCalcError(
            f"--input {shape} is read channels last, like the spec's input (layout=hwc): "
            f"{', '.join(read)}; then {where} fails: {e.message}. If the channels come "
            f"first, write --input {'x'.join(dims[1:] + dims[:1])} (or --input \"{shape} "
            f"layout=chw\")",
            override.span) from None


def _values(bindings: dict) -> dict:
    """Binding values as the builder takes them: ints, or Fractions for rates."""
    out = {}
    for name, value in bindings.items():
        if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
            raise CnnCalcError(f"the value of '{name}' must be an integer (or a Fraction for "
                               f"a rate), not {value!r}", where=f"-D {name}")
        out[name] = bounded(value, None, f"the value of '{name}'", where=f"-D {name}")
    return out


__all__ = ["analyze", "check", "diff", "sweep", "explain", "run", "verify", "CnnCalcError",
           "Report"]
