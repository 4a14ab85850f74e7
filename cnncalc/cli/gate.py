"""`cnncalc check`: the CI gate. Budgets from the command line and the specs' own asserts,
judged by `cnncalc.gate`; one exit status for all the specs (0, 1 a budget fails, 2 a spec
is invalid)."""

from __future__ import annotations

import sys

import click

from ..conventions import NAMES as CONVENTION_NAMES
from ..errors import CnnCalcError
from ..training import DEFAULT_OPTIMIZER, OPTIMIZER_STATES
from .common import (BINDINGS, INPUT, MAX_LAYERS, MEMORY_DTYPE, NO_COLOR, Warnings, fail, main,
                     output_format, verdict, warning_options)


def _reader(parse):
    """A click callback reading an option's value with `sizes` (one grammar), keeping the
    text as written for the messages."""
    def read(ctx, param, value):
        if value is None:
            return None
        option = "--" + param.name.replace("_", "-")
        try:
            return parse(value, option), value
        except CnnCalcError as e:
            fail(e)
    return read


def _count(text, option):
    from ..sizes import parse_count

    return parse_count(text, option)


def _size(text, option):
    from ..sizes import parse_size

    return parse_size(text, option)


def _shape(text, option):
    from ..gate import parse_shape

    return parse_shape(text, None, option)


@main.command()
@click.argument("specs", nargs=-1, required=True, metavar="SPEC...")
@click.option("--max-params", callback=_reader(_count), metavar="N",
              help="At most N parameters (25M, 25_557_032, 2.5e7).")
@click.option("--max-macs", callback=_reader(_count), metavar="N",
              help="At most N MACs, as papers count them (4.1G, 1e9).")
@click.option("--max-flops", callback=_reader(_count), metavar="N",
              help="At most N FLOPs (2 × MACs).")
@click.option("--max-memory", callback=_reader(_size), metavar="SIZE",
              help="At most SIZE for the estimated total size (input, forward/backward "
                   "pass, parameters): 512MiB, 2GB, 1.5GiB.")
@click.option("--output", "output", callback=_reader(_shape), metavar="SHAPE",
              help="The output shape the specs must have: 1000, 2048x7x7 (in the spec's "
                   "layout).")
@output_format("text", "json", "markdown", json_help="The verdicts as JSON (stdout).",
               format_help="Output format; markdown is a summary for a pull request or "
                           "$GITHUB_STEP_SUMMARY.")
@INPUT
@BINDINGS
@MEMORY_DTYPE
@click.option("--convention", type=click.Choice(CONVENTION_NAMES), default="papers",
              show_default=True, help="Count MACs (and FLOPs) for --max-macs, --max-flops "
                                      "and asserts as papers do, or as torchinfo, fvcore or "
                                      "ptflops print them.")
@click.option("--memory", type=click.Choice(["inference", "training"]), default="inference",
              show_default=True, help="What --max-memory and 'assert memory' read: the "
                                      "estimated total (inference) or a training step's.")
@click.option("--optimizer", type=click.Choice(list(OPTIMIZER_STATES)),
              default=DEFAULT_OPTIMIZER, show_default=True,
              help="With --memory training: states per parameter, sgd 0, momentum 1, adam 2.")
@warning_options
@NO_COLOR
@MAX_LAYERS
def check(specs, max_params, max_macs, max_flops, max_memory, output, fmt,
          input_shape, bindings, dtype, convention, memory, optimizer, strict, quiet, no_warn,
          no_color, max_layers):
    """Judge each SPEC (a .cnn file, a directory of them, a glob, a bundled example's name
    or spec text) against the budgets given and its own asserts. Exit 0 when all pass, 1
    when a budget fails, 2 when a spec is invalid.

    \b
      cnncalc check specs/ --max-params 25M --max-macs 4.2G --output 1000
      cnncalc check resnet50 --max-memory 512MiB --format markdown >> $GITHUB_STEP_SUMMARY
    """
    from ..api import check as run_check
    from ..gate import exit_status, max_budget, output_budget
    from ..render import gate as render

    budgets = [max_budget(what, *given)
               for what, given in (("params", max_params), ("macs", max_macs),
                                   ("flops", max_flops), ("memory", max_memory))
               if given is not None]
    if output is not None:
        budgets.append(output_budget(*output))
    warnings = Warnings(no_warn, quiet, strict)
    judged = run_check(list(specs), budgets=budgets, input=input_shape, dtype=dtype,
                       strict=strict, no_warn=tuple(no_warn), max_layers=max_layers,
                       bindings=bindings, stdin=getattr(sys.stdin, "buffer", sys.stdin),
                       convention=convention, memory=memory, optimizer=optimizer)
    for j in judged:  # standard error: each invalid spec's located error, the warnings
        if j.error is not None:
            click.echo(j.error.render(), err=True)
        elif j.report is not None:
            warnings.show(j.report.warnings)
    if fmt == "text" and all(j.error for j in judged):
        sys.exit(2)  # as every command: the located errors on stderr, nothing on stdout
    click.echo({"text": render.text, "json": render.as_json,
                "markdown": render.markdown}[fmt](judged), nl=fmt != "markdown")
    verdict(exit_status(judged))


def report_asserts(report) -> int:
    """`analyze`'s part in the gate: each failed assert a located error on standard error;
    the exit status, 1 if one failed, else 0. (One that depends on names with no value is a
    condition of the answer, listed with the others by the renderers.)"""
    from ..errors import render_diagnostic
    from ..gate import judge
    from ..render.gate import failure_text

    failed = [o for o in judge(report, report.asserts) if o.failed]
    for o in failed:
        click.echo(render_diagnostic("error", f"assert fails: {failure_text(o, False)}",
                                     o.budget.span), err=True)
    return 1 if failed else 0
