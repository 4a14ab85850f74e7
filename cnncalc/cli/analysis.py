"""The commands that analyse a spec: analyze, solve, explain."""

from __future__ import annotations

import re

import click

from ..build import EXPLAIN_MAX_LAYERS
from ..conventions import NAMES as CONVENTION_NAMES
from ..errors import CnnCalcError
from ..training import DEFAULT_OPTIMIZER, OPTIMIZER_STATES
from .common import (BINDINGS, INPUT, MAX_LAYERS, MEMORY_DTYPE, NAME, NO_COLOR, Warnings, call,
                     fail, literal_option, main, max_layers_option, output_format, verdict,
                     warning_options)


def _sweeps(ctx, param, values) -> dict:
    """`--sweep H=224..640/32` (repeatable) -> {"H": [224, 256, …, 640]}."""
    from ..sweeps import parse_sweep

    out = {}
    for item in values:
        try:
            name, chosen = parse_sweep(item)
        except CnnCalcError as e:
            raise click.BadParameter(e.message) from None
        if name in out:
            raise click.BadParameter(f"'{name}' is swept twice")
        out[name] = chosen
    return out


@main.command()
@click.argument("spec")
@output_format("table", "json", "markdown", "csv", json_help="Print the report as JSON (stdout).")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Fold rows nested deeper than N levels into their block.")
@click.option("--convention", type=click.Choice(CONVENTION_NAMES), default=None,
              help="Count MACs as papers do (weights x positions), or as torchinfo, fvcore "
                   "or ptflops print them.  [default: papers]")
@click.option("--conventions", "reconcile", is_flag=True,
              help="Instead of the layers: every convention's MACs by category (conv/fc, "
                   "bias, batch norm, activations, pooling, ...) and total.")
@click.option("--connections", "connections", is_flag=True,
              help="A column of each layer's connections (LeCun et al. 1998: the inputs "
                   "feeding each output unit, plus its bias, summed); JSON always has them.")
@INPUT
@MEMORY_DTYPE
@warning_options
@NO_COLOR
@MAX_LAYERS
@BINDINGS
# --- memory for training, and the sweep (docs/memory.md, docs/commands.md) ---
@click.option("--memory", type=click.Choice(["inference", "training"]), default="inference",
              show_default=True, help="training: also each term of a training step's memory "
              "(parameters, gradients, optimizer state, activations).")
@click.option("--optimizer", type=click.Choice(list(OPTIMIZER_STATES)), default=None,
              help="With --memory training: states per parameter, sgd 0, momentum 1, adam 2. "
                   f" [default: {DEFAULT_OPTIMIZER}]")
@click.option("--sweep", "sweeps", metavar="NAME=LO..HI/STEP", multiple=True,
              callback=_sweeps,
              help="One row per value of a name of the spec (224..640/32, or 224,320,512); "
                   "repeat it to step several names together.")
def analyze(spec, fmt, depth, convention, reconcile, connections, input_shape, dtype, strict,
            quiet, no_warn, no_color, max_layers, bindings, memory, optimizer, sweeps):
    """Per-layer table and totals for SPEC: a .cnn file, '-' (stdin), a bundled example's
    name (resnet50) or the spec text.
    Names without a value (input 3xHxW) are symbols: sizes come out as formulas, with the
    conditions the input must meet."""
    from ..api import analyze as run_analysis

    if optimizer is not None and memory != "training":
        raise click.UsageError("--optimizer counts a training step's memory: add --memory "
                               "training")
    optimizer = optimizer or DEFAULT_OPTIMIZER
    if reconcile and convention is not None:
        raise click.UsageError("--conventions shows every convention and --convention "
                               "chooses one: give one")
    if reconcile and fmt == "csv":
        raise click.UsageError("--conventions is shown as a table, JSON or markdown, not csv")
    if connections and (fmt in ("markdown", "csv") or reconcile or sweeps):
        raise click.UsageError("--connections is a column of the layer table: JSON always "
                               "has each layer's connections")
    warnings = Warnings(no_warn, quiet, strict)
    if sweeps:
        return _sweep(spec, sweeps, fmt, input_shape, dtype,
                      bindings, memory, optimizer, max_layers, no_color, warnings)
    report = call(run_analysis, spec, input=input_shape, dtype=dtype,
                   max_layers=max_layers, bindings=bindings, _warnings=warnings,
                   memory=memory, optimizer=optimizer)
    warnings.check(report.warnings)
    if reconcile:
        _print_reconciliation(report, fmt, no_color)
        warnings.show(report.warnings)
        return
    if convention is not None:
        from ..conventions import under

        report = under(report, convention)
    if fmt == "json":
        from ..render.json import render as render_json

        click.echo(render_json(report))
    elif fmt == "table":
        from ..render.table import print_report

        print_report(report, depth=depth, no_color=no_color, connections=connections)
    else:
        from ..render import text

        click.echo(text.render(report, fmt, depth=depth), nl=False)
    warnings.show(report.warnings)
    if report.asserts:
        from .gate import report_asserts

        verdict(report_asserts(report))


def _sweep(spec, sweeps, fmt, input_shape, dtype, bindings, memory, optimizer, max_layers,
           no_color, warnings) -> None:
    """The spec at each value: the tiles column stands for the tiling warnings; the others
    (layout, product) are shown once, and --strict makes them errors."""
    from ..api import sweep as run_sweep
    from ..render import sweeps as render
    from ..sweeps import other_warnings

    result = call(run_sweep, spec, sweeps, input=input_shape, dtype=dtype, bindings=bindings,
                  memory=memory, optimizer=optimizer, max_layers=max_layers)
    noticed = other_warnings(result)
    warnings.check(noticed)
    if fmt == "table":
        render.print_sweep(result, no_color=no_color)
    else:
        text = {"json": render.render_json, "markdown": render.render_markdown,
                "csv": render.render_csv}[fmt](result)
        click.echo(text, nl=fmt == "json")
    warnings.show(noticed)


def _print_reconciliation(report, fmt: str, no_color: bool) -> None:
    from ..conventions import reconcile
    from ..render import conventions as render

    rec = reconcile(report)
    if fmt == "json":
        click.echo(render.render_json(report, rec))
    elif fmt == "markdown":
        click.echo(render.markdown(report, rec), nl=False)
    else:
        render.print_reconciliation(report, rec, no_color=no_color)


def _range(ctx, param, values) -> dict:
    """`--range P=0..10` -> {"P": (0, 10)}."""
    out = {}
    for item in values:
        name, sep, span = item.partition("=")
        lo, dots, hi = span.partition("..")
        name = name.strip()
        if not (sep and dots and NAME.match(name) and _INT.match(lo.strip())
                and _INT.match(hi.strip())):
            raise click.BadParameter(f"'{item}' is not NAME=LO..HI (e.g. --range P=0..10)")
        lo, hi = literal_option(lo.strip(), item), literal_option(hi.strip(), item)
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
@BINDINGS
@INPUT
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@warning_options
@NO_COLOR
@MAX_LAYERS
def solve(spec, output, max_params, max_macs, rf, ranges, bindings, input_shape, as_json,
          strict, quiet, no_warn, no_color, max_layers):
    """Every value of SPEC's unknown names that meets the constraints (at least one of
    --output, --max-params, --max-macs, --rf). Exit 0 with solutions, 1 with none.

    \b
      cnncalc solve "input 1x7x7 | conv 1 k3 p=P" --output 1x7x7
      cnncalc solve "input 1xHxW | conv 1 k=F p=P" --output 1xHxW
      cnncalc solve "input 64x32x32 | conv 64 k3 p1 * N" --rf 7
    """
    from ..solve import solve as run_solve

    answer = call(run_solve, spec, output=output, max_params=max_params, max_macs=max_macs,
                   rf=rf, ranges=ranges, bindings=bindings, input=input_shape,
                   max_layers=max_layers)
    warnings = Warnings(no_warn, quiet, strict)
    warnings.check(answer.warnings)  # the spec's own (layout, product): not the candidates'
    if as_json:
        import json

        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        from ..render.solutions import print_answer

        print_answer(answer, no_color=no_color)
    warnings.show(answer.warnings)
    if not answer.solutions:
        verdict(1)


@main.command()
@click.argument("spec")
@click.option("--layer", "layer_path", metavar="PATH",
              help="Explain one layer (or the layers of one block), by its path: conv1, "
                   "layer2.0.")
@click.option("--json", "as_json", is_flag=True, help="The steps as JSON.")
@INPUT
@BINDINGS
@warning_options
@NO_COLOR
@max_layers_option(EXPLAIN_MAX_LAYERS)
def explain(spec, layer_path, as_json, input_shape, bindings, strict, quiet, no_warn,
            no_color, max_layers):
    """Every layer's arithmetic written out, formula then numbers, as the course writes it:
    (N − F + 2P)/S + 1 = (32 − 5 + 2·2)/1 + 1 = 32."""
    from ..api import explain as run_explain

    warnings = Warnings(no_warn, quiet, strict)
    report, explained = call(run_explain, spec, input=input_shape, bindings=bindings,
                              max_layers=max_layers, _warnings=warnings)
    warnings.check(report.warnings)
    if layer_path:
        chosen = [e for e in explained if ".".join(e.path) == layer_path
                  or ".".join(e.path).startswith(layer_path + ".")]
        if not chosen:
            from ..errors import did_you_mean

            known = [".".join(e.path) for e in explained]
            fail(CnnCalcError(f"no layer '{layer_path}'{did_you_mean(layer_path, known)}",
                               where="--layer"))
        explained = chosen
    if as_json:
        import json

        from ..render.explain import to_dict

        click.echo(json.dumps(to_dict(report, explained), ensure_ascii=False, indent=1))
    else:
        from ..render.explain import print_explained

        print_explained(report, explained, no_color=no_color)
    warnings.show(report.warnings)
