"""`cnncalc diff`: two nets, or one net at two input shapes, side by side."""

from __future__ import annotations

import click

from .common import (BINDINGS, MAX_LAYERS, MEMORY_DTYPE, NO_COLOR, Warnings, call, main,
                     output_format, warning_options)


@main.command()
@click.argument("specs", metavar="A [B]", nargs=-1, required=True)
@click.option("--input", "inputs", metavar="SHAPE", multiple=True,
              help="Twice: compare one spec at two input shapes (--input 3x224x224 --input "
                   "3x320x320). Once, with two specs: both at that shape.")
@output_format("table", "json", "markdown", json_help="Print the comparison as JSON (stdout).")
@MEMORY_DTYPE
@warning_options
@NO_COLOR
@MAX_LAYERS
@BINDINGS
def diff(specs, inputs, fmt, dtype, strict, quiet, no_warn, no_color, max_layers,
         bindings):
    """Params, MACs, memory, output shape and receptive field of two nets side by side, with
    the change (absolute and per cent) and the layers that differ, matched by path. Exit 0
    whether or not they differ; 2 on an invalid spec.

    \b
      cnncalc diff "input 64x32x32 | conv 64 k3 p1 nobias * 2" "input 64x32x32 | conv 64 k5 p2 nobias"
      cnncalc diff resnet18 --input 3x224x224 --input 3x320x320
    """
    from ..api import diff as run_diff

    if len(specs) > 2:
        raise click.UsageError(f"diff compares two nets, not {len(specs)}: give A and B")
    warnings = Warnings(no_warn, quiet, strict)
    compared = call(run_diff, *specs, inputs=inputs, dtype=dtype, max_layers=max_layers,
                    bindings=bindings, _warnings=warnings)
    # one spec at two shapes raises its own warnings (layout, product) on both sides: once
    raised = compared.a.warnings + [w for w in compared.b.warnings
                                    if w not in compared.a.warnings]
    warnings.check(raised)
    if fmt == "json":
        from ..render.diff import render_json

        click.echo(render_json(compared))
    elif fmt == "markdown":
        from ..render.diff import render_markdown

        click.echo(render_markdown(compared), nl=False)
    else:
        from ..render.diff import print_diff

        print_diff(compared, no_color=no_color)
    warnings.show(raised)
