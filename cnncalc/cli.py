"""The command line: a thin click layer over `cnncalc.api`.

It parses options, calls the API, hands the report to a renderer and picks the exit status
(0 fine, 2 for anything the user wrote wrong). Renderers are imported only when used, so
`--json` never loads rich.
"""

from __future__ import annotations

import os
import re
import sys
from fractions import Fraction

import click

from . import __version__
from .analysis import DTYPE_BYTES
from .build import DEFAULT_MAX_LAYERS, EXPLAIN_MAX_LAYERS
from .errors import WARNINGS, CnnCalcError


def _fail(error: CnnCalcError) -> None:
    click.echo(error.render(), err=True)
    sys.exit(2)


def _call(fn, *args, _warnings=None, **kwargs):
    """Run an API function on what the user gave; anything they wrote wrong exits 2 with its
    located error, after the warnings noticed before it (unless -q or --no-warn silence
    them): `input 3x32x32 layout=hwc` explains why a kernel of 5 does not fit."""
    try:
        return fn(*args, stdin=getattr(sys.stdin, "buffer", sys.stdin), **kwargs)
    except CnnCalcError as e:
        (_warnings or _Warnings()).show(getattr(e, "warnings", ()))
        _fail(e)
    except RecursionError:  # a safety net: the parser and builder cap nesting well below it
        _fail(CnnCalcError("the spec nests too deeply"))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def _bindings(ctx, param, values) -> dict:
    """`-D H=32 -D rate=0.5` -> {"H": 32, "rate": Fraction(1, 2)}."""
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not _NAME.match(name) or not _NUMBER.match(value):
            raise click.BadParameter(f"'{item}' is not NAME=NUMBER (e.g. -D H=224)")
        if name in out:
            raise click.BadParameter(f"'{name}' is given twice")
        number = Fraction(_literal(value, item))
        out[name] = int(number) if number.denominator == 1 else number
    return out


def _literal(text: str, item: str):
    """A number given in an option, within the digits a spec may write."""
    from .numbers import literal

    try:
        return literal(text)
    except CnnCalcError as e:
        raise click.BadParameter(f"'{item[:40]}…': {e.message}" if len(item) > 40 else
                                 f"'{item}': {e.message}") from None


# Options that several commands share, declared once.
_INPUT = click.option("--input", "input_shape", metavar="SHAPE",
                      help="Replace the spec's input shape, e.g. 3x320x320. It is read in the "
                           "spec's layout: CxHxW, or HxWxC (320x320x3) when the spec's input "
                           "says layout=hwc; \"3x320x320 layout=chw\" overrides it.")
_BINDINGS = click.option("-D", "bindings", metavar="NAME=VALUE", multiple=True,
                         callback=_bindings,
                         help="Give a name of the spec a value (repeatable): -D H=224 -D C=3.")
def _max_layers(default: int):
    return click.option("--max-layers", type=click.IntRange(min=1), default=default,
                        show_default=True,
                        help="Refuse specs that expand to more layers and blocks.")


_MAX_LAYERS = _max_layers(DEFAULT_MAX_LAYERS)
_NO_COLOR = click.option("--no-color", is_flag=True,
                         help="No colours (NO_COLOR is honoured too).")


def _warning_options(command):
    """--no-warn NAME, -q and --strict, for every command that analyses a spec."""
    command = click.option("--strict", is_flag=True,
                           help="Treat warnings as errors (exit 2); those --no-warn names "
                                "are still accepted.")(command)
    command = click.option("-q", "--quiet", is_flag=True,
                           help="Print no warnings (--json still lists them).")(command)
    return click.option("--no-warn", "no_warn", metavar="NAME", multiple=True,
                        type=click.Choice(list(WARNINGS)),
                        help="Silence one kind of warning on stderr (repeatable; --json "
                             "still lists it): tiling (a stride leaves rows unused), layout "
                             "(32x32x3 read as 32 channels, 28x28 as 28), product (k=3*3 is "
                             "a 9x9 kernel).")(command)


class _Warnings:
    """What the warning options ask for: under --strict a warning not silenced by --no-warn
    ends the command (exit 2) before anything is printed; otherwise warnings go to standard
    error, grouped, unless -q or --no-warn silence them."""

    def __init__(self, no_warn=(), quiet=False, strict=False):
        self.no_warn, self.quiet, self.strict = set(no_warn), quiet, strict

    def kept(self, warnings) -> list:
        return [w for w in warnings if w.name not in self.no_warn]

    def check(self, warnings) -> None:
        kept = self.kept(warnings)
        if self.strict and kept:
            from .errors import render_warnings

            for text in render_warnings(kept, "error"):
                click.echo(text, err=True)
            sys.exit(2)

    def show(self, warnings) -> None:
        if self.quiet:
            return
        from .errors import render_warnings

        for text in render_warnings(self.kept(warnings)):
            click.echo(text, err=True)

    def __call__(self, warnings) -> None:
        """Both, at once (`run` and `verify`, before the run)."""
        self.check(warnings)
        self.show(warnings)


class _Group(click.Group):
    def invoke(self, ctx):
        """A reader that goes away (`cnncalc analyze … | head -3`) ends the command quietly
        with status 0, as Unix tools do; the Python documentation's recipe: what is still
        buffered goes to /dev/null, so the flush at exit cannot fail again."""
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)


def _memory_limit(ctx, param, value) -> int | None:
    """`--memory-limit 1.5GiB` -> bytes; a size that cannot be read exits 2, located."""
    if value is None:
        return None
    from .sizes import parse_size

    try:
        return parse_size(value, "--memory-limit")
    except CnnCalcError as e:
        _fail(e)


_MEMORY_LIMIT = click.option("--memory-limit", metavar="SIZE", callback=_memory_limit,
                             help="Refuse a run that would need more memory (512MiB, 1.5GiB, "
                                  "2GB, 500MB, bytes); default: half the free memory.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnncalc", message="%(prog)s %(version)s")
def main() -> None:
    """Shapes, parameters, MACs and receptive fields of a CNN from a layer spec.

    \b
      cnncalc analyze "input 3x32x32 | conv 10 k5 s1 p2"
      cnncalc analyze examples/resnet50.cnn --depth 2
      cnncalc layers
    """


@main.command()
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stdout).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "csv"]),
              default=None, help="Output format.  [default: table]")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Fold rows nested deeper than N levels into their block.")
@_INPUT
@click.option("--dtype", default="float32", show_default=True,
              type=click.Choice(list(DTYPE_BYTES), case_sensitive=False),
              help="Element type for the memory figures.")
@_warning_options
@_NO_COLOR
@_MAX_LAYERS
@_BINDINGS
def analyze(spec, as_json, fmt, depth, input_shape, dtype, strict, quiet, no_warn, no_color,
            max_layers, bindings):
    """Per-layer table and totals for SPEC: a .cnn file, '-' (stdin), a bundled example's
    name (resnet50) or the spec text.
    Names without a value (input 3xHxW) are symbols: sizes come out as formulas, with the
    conditions the input must meet."""
    from .api import analyze as run_analysis

    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} ask for two outputs: give one")
    warnings = _Warnings(no_warn, quiet, strict)
    report = _call(run_analysis, spec, input=input_shape, dtype=dtype,
                   max_layers=max_layers, bindings=bindings, _warnings=warnings)
    warnings.check(report.warnings)
    fmt = "json" if as_json else fmt or "table"
    if fmt == "json":
        from .render.json import render as render_json

        click.echo(render_json(report))
    elif fmt == "table":
        from .render.table import print_report

        print_report(report, depth=depth, no_color=no_color)
    else:
        from .render import text

        click.echo(text.render(report, fmt, depth=depth), nl=False)
    warnings.show(report.warnings)


def _range(ctx, param, values) -> dict:
    """`--range P=0..10` -> {"P": (0, 10)}."""
    out = {}
    for item in values:
        name, sep, span = item.partition("=")
        lo, dots, hi = span.partition("..")
        name = name.strip()
        if not (sep and dots and _NAME.match(name) and _INT.match(lo.strip())
                and _INT.match(hi.strip())):
            raise click.BadParameter(f"'{item}' is not NAME=LO..HI (e.g. --range P=0..10)")
        lo, hi = _literal(lo.strip(), item), _literal(hi.strip(), item)
        if lo > hi:
            raise click.BadParameter(f"'{item}': the range is empty ({lo} > {hi})")
        out[name] = (lo, hi)
    return out


_INT = re.compile(r"-?[0-9]+\Z")


@main.command()
@click.argument("spec")
@click.option("--output", "output", metavar="SHAPE",
              help="The output shape wanted, e.g. 1x4x4; a name of the input (64xHxW) means "
                   "for every value of it.")
@click.option("--max-params", type=click.IntRange(min=0), help="At most this many parameters.")
@click.option("--max-macs", type=click.IntRange(min=0), help="At most this many MACs.")
@click.option("--rf", type=click.IntRange(min=1), help="The final receptive field equals N.")
@click.option("--range", "ranges", metavar="NAME=LO..HI", multiple=True, callback=_range,
              help="Search NAME from LO to HI (repeatable); defaults depend on what the name "
                   "is (padding 0..10, kernel 1..11, stride 1..8, repeat 1..32 ...).")
@_BINDINGS
@_INPUT
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@_warning_options
@_NO_COLOR
@_MAX_LAYERS
def solve(spec, output, max_params, max_macs, rf, ranges, bindings, input_shape, as_json,
          strict, quiet, no_warn, no_color, max_layers):
    """Every value of SPEC's unknown names that meets the constraints (at least one of
    --output, --max-params, --max-macs, --rf). Exit 0 with solutions, 1 with none.

    \b
      cnncalc solve "input 1x7x7 | conv 1 k3 p=P" --output 1x7x7
      cnncalc solve "input 1xHxW | conv 1 k=F p=P" --output 1xHxW
      cnncalc solve "input 64x32x32 | conv 64 k3 p1 * N" --rf 7
    """
    from .solve import solve as run_solve

    answer = _call(run_solve, spec, output=output, max_params=max_params, max_macs=max_macs,
                   rf=rf, ranges=ranges, bindings=bindings, input=input_shape,
                   max_layers=max_layers)
    warnings = _Warnings(no_warn, quiet, strict)
    warnings.check(answer.warnings)  # the spec's own (layout, product): not the candidates'
    if as_json:
        import json

        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        from .render.solutions import print_answer

        print_answer(answer, no_color=no_color)
    warnings.show(answer.warnings)
    if not answer.solutions:
        sys.exit(1)


@main.command()
@click.argument("spec")
@click.option("--layer", "layer_path", metavar="PATH",
              help="Explain one layer (or the layers of one block), by its path: conv1, "
                   "layer2.0.")
@click.option("--json", "as_json", is_flag=True, help="The steps as JSON.")
@_INPUT
@_BINDINGS
@_warning_options
@_NO_COLOR
@_max_layers(EXPLAIN_MAX_LAYERS)
def explain(spec, layer_path, as_json, input_shape, bindings, strict, quiet, no_warn,
            no_color, max_layers):
    """Every layer's arithmetic written out, formula then numbers, as the course writes it:
    (N − F + 2P)/S + 1 = (32 − 5 + 2·2)/1 + 1 = 32."""
    from .api import explain as run_explain

    warnings = _Warnings(no_warn, quiet, strict)
    report, explained = _call(run_explain, spec, input=input_shape, bindings=bindings,
                              max_layers=max_layers, _warnings=warnings)
    warnings.check(report.warnings)
    if layer_path:
        chosen = [e for e in explained if ".".join(e.path) == layer_path
                  or ".".join(e.path).startswith(layer_path + ".")]
        if not chosen:
            from .errors import did_you_mean

            known = [".".join(e.path) for e in explained]
            _fail(CnnCalcError(f"no layer '{layer_path}'{did_you_mean(layer_path, known)}",
                               where="--layer"))
        explained = chosen
    if as_json:
        import json

        from .render.explain import to_dict

        click.echo(json.dumps(to_dict(report, explained), ensure_ascii=False, indent=1))
    else:
        from .render.explain import print_explained

        print_explained(report, explained, no_color=no_color)
    warnings.show(report.warnings)


@main.command("run")
@click.argument("spec")
@click.option("--seed", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True,
              help="Seed of the random input and weights.")
@click.option("--input-npy", "input_npy", metavar="X.npy",
              help="The input array, (N, *input shape), instead of a random one.")
@click.option("--weights", metavar="W.npz",
              help="Weights keyed <row path>.<tensor> in PyTorch's layouts (a state_dict "
                   "saved with numpy.savez).")
@click.option("--save-output", "save_output", metavar="Y.npy", help="Save the output array.")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float32",
              show_default=True, help="What the net computes in.")
@_INPUT
@_BINDINGS
@_warning_options
@_MAX_LAYERS
@_MEMORY_LIMIT
def run_command(spec, seed, input_npy, weights, save_output, dtype, input_shape, bindings,
                strict, quiet, no_warn, max_layers, memory_limit):
    """Run SPEC forward in NumPy (inference) on a random or given input, with random or
    given weights, and print what came out."""
    import time

    from .api import load_arrays, run as run_net

    x = _call(lambda stdin=None: load_arrays(input_npy, "--input-npy")) if input_npy else None
    start = time.perf_counter()
    warnings = _Warnings(no_warn, quiet, strict)
    y = _call(run_net, spec, x, seed=seed, weights=weights, dtype=dtype, input=input_shape,
              bindings=bindings, max_layers=max_layers, memory_limit=memory_limit,
              on_warnings=warnings, _warnings=warnings,
              x_from=f"--input-npy {input_npy}" if input_npy else "")
    seconds = time.perf_counter() - start
    if save_output:
        import numpy as np

        try:
            np.save(save_output, y)
        except OSError as e:
            _fail(CnnCalcError(f"cannot write it ({e.strerror or e})",
                               where=f"--save-output {save_output}"))
    shape = "x".join(map(str, y.shape[1:]))
    click.echo(f"output  {shape} (batch {y.shape[0]}, {y.dtype})")
    click.echo(f"min {y.min():.6g}  max {y.max():.6g}  mean {y.mean():.6g}")
    click.echo(f"time    {seconds * 1000:.1f} ms (weights included)")


@main.command()
@click.argument("spec")
@click.option("--seed", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True,
              help="Seed of the random input and weights.")
@click.option("--json", "as_json", is_flag=True, help="The rows that differ, as JSON.")
@_INPUT
@_BINDINGS
@_warning_options
@_MAX_LAYERS
@_MEMORY_LIMIT
@_NO_COLOR
def verify(spec, seed, as_json, input_shape, bindings, strict, quiet, no_warn, max_layers,
           memory_limit, no_color):
    """Run SPEC in NumPy and compare every layer's output shape, parameters, buffers, MACs
    and receptive fields with the analysis. Exit 0 when all agree, 1 with the rows that
    differ."""
    from .api import verify as run_verify
    warnings = _Warnings(no_warn, quiet, strict)
    result = _call(run_verify, spec, seed=seed, input=input_shape, bindings=bindings,
                   max_layers=max_layers, memory_limit=memory_limit,
                   on_warnings=warnings, _warnings=warnings)
    if as_json:
        import json

        from .render.verify import to_dict

        click.echo(json.dumps(to_dict(result), ensure_ascii=False))
    else:
        from .render.verify import print_verified

        print_verified(result, no_color=no_color)
    if result.differences:
        sys.exit(1)


def _matrix(ctx, param, value):
    """A matrix given inline ("1 2; 3 4") or as the path of a file holding one."""
    if value is None:
        return None
    import os

    if os.path.isfile(value):
        from .loading import read_file

        try:
            return read_file(value).text
        except CnnCalcError as e:
            _fail(e)
    return value


@main.command()
@click.argument("operation", type=click.Choice(["conv", "maxpool", "avgpool"]))
@click.option("--input", "matrix", required=True, metavar="MATRIX", callback=_matrix,
              help='The input matrix: rows separated by ";" ("1 2 3; 4 5 6") or a file.')
@click.option("--kernel", metavar="MATRIX", callback=_matrix,
              help="conv: the kernel, a square matrix.")
@click.option("--k", "k", type=click.IntRange(min=1), help="Pooling: the window size.")
@click.option("--stride", type=click.IntRange(min=1),
              help="Stride (default 1 for conv, the window size for pooling).")
@click.option("--pad", type=click.IntRange(min=0), default=0, show_default=True,
              help="Padding on every side.")
@click.option("--pad-value", default="0", show_default=True, help="What the padding holds.")
@click.option("--dilation", type=click.IntRange(min=1), default=1, show_default=True,
              help="Spacing between the kernel's taps.")
@click.option("--steps", is_flag=True, help="Show every window, its products and its sum.")
@click.option("--json", "as_json", is_flag=True, help='Print {"output": [[...]]}.')
@_NO_COLOR
def demo(operation, matrix, kernel, k, stride, pad, pad_value, dilation, steps, as_json,
         no_color):
    """One convolution or pooling on a small matrix, worked as the course does by hand.

    \b
      cnncalc demo conv --input "1 2 3 0; 0 1 2 3; 3 0 1 2; 2 3 0 1" --kernel "2 0 1; 0 1 2; 1 0 2"
      cnncalc demo maxpool --input "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4" --k 2 --steps
    """
    from .demo import run_demo

    try:
        result = run_demo(operation, matrix, kernel=kernel, k=k, stride=stride, pad=pad,
                          pad_value=pad_value, dilation=dilation)
    except CnnCalcError as e:
        _fail(e)
    if as_json:
        import json

        from .demo import json_number

        click.echo(json.dumps({"output": [[json_number(v) for v in row]
                                          for row in result.output]}))
    else:
        from .render.demo import print_demo

        print_demo(result, steps=steps, no_color=no_color)


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the layer kinds as JSON.")
@click.option("--no-color", is_flag=True, help="No colours.")
def layers(name, as_json, no_color):
    """List every layer kind with its syntax and aliases, and the ways to compose them
    (residual, add, concat, mul, split, def, repeat, label); or one in full."""
    from .layers import REGISTRY
    from .render.layers import FORMS, describe, layer_catalog, print_layers

    name = name.lower() if name is not None else None  # as the spec reads it: ReLU, FC
    if name is not None and name not in REGISTRY and name not in FORMS:
        from .errors import did_you_mean

        _fail(CnnCalcError(f"unknown layer '{name}'{did_you_mean(name, [*REGISTRY, *FORMS])}",
                           where="cnncalc layers"))
    if name in FORMS:
        form = FORMS[name]
        if as_json:
            import json

            click.echo(json.dumps(form._asdict(), indent=2, ensure_ascii=False))
        else:
            print_layers(name, no_color=no_color)
        return
    kind = REGISTRY[name] if name else None
    if as_json:
        import json

        data = describe(kind) if kind else layer_catalog()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print_layers(kind.name if kind else None, no_color=no_color)


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the list (or the example) as JSON.")
@click.option("--no-color", is_flag=True, help="No colours.")
def examples(name, as_json, no_color):
    """List the example nets that ship with cnncalc, with their sources and reference
    figures, or print one (its spec text). Any command takes an example's name as SPEC:
    cnncalc analyze resnet50."""
    from . import bundled

    if name is not None and bundled.path_of(name) is None:
        from .errors import did_you_mean

        _fail(CnnCalcError(f"no bundled example '{name}'"
                           f"{did_you_mean(name, bundled.names())} (cnncalc examples lists "
                           f"them)", where="cnncalc examples"))
    if name is not None:
        stem = name[:-4] if name.endswith(".cnn") else name
        with open(bundled.path_of(stem), encoding="utf-8") as fh:
            text = fh.read()
        if as_json:
            import json

            click.echo(json.dumps({**bundled.about(stem), "spec": text}, indent=2,
                                  ensure_ascii=False))
        else:
            click.echo(text, nl=False)
        return
    listing = [bundled.about(n) for n in bundled.names()]
    if as_json:
        import json

        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    from .render.examples import print_examples

    print_examples(listing, no_color=no_color)


if __name__ == "__main__":
    main()
