"""What every command shares: the options declared once (--input, -D, --max-layers,
--no-color, --memory-limit, the warning options), the one exit path for errors (status 2,
the located message) and the command group itself, which ends quietly on a closed pipe."""

from __future__ import annotations

import functools
import os
import re
import sys
from fractions import Fraction

import click

from .. import __version__
from ..analysis import DTYPE_BYTES
from ..build import DEFAULT_MAX_LAYERS
from ..errors import WARNINGS, CnnCalcError


def fail(error: CnnCalcError) -> None:
    click.echo(error.render(), err=True)
    sys.exit(2)


def call(fn, *args, _warnings=None, **kwargs):
    """Run an API function on what the user gave; anything they wrote wrong exits 2 with its
    located error, after the warnings noticed before it (unless -q or --no-warn silence
    them): `input 3x32x32 layout=hwc` explains why a kernel of 5 does not fit."""
    try:
        return fn(*args, stdin=getattr(sys.stdin, "buffer", sys.stdin), **kwargs)
    except CnnCalcError as e:
        (_warnings or Warnings()).show(getattr(e, "warnings", ()))
        fail(e)
    except RecursionError:  # a safety net: the parser and builder cap nesting well below it
        fail(CnnCalcError("the spec nests too deeply"))


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def bindings_option(ctx, param, values) -> dict:
    """`-D H=32 -D rate=0.5` -> {"H": 32, "rate": Fraction(1, 2)}."""
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not NAME.match(name) or not NUMBER.match(value):
            raise click.BadParameter(f"'{item}' is not NAME=NUMBER (e.g. -D H=224)")
        if name in out:
            raise click.BadParameter(f"'{name}' is given twice")
        number = Fraction(literal_option(value, item))
        out[name] = int(number) if number.denominator == 1 else number
    return out


def literal_option(text: str, item: str):
    """A number given in an option, within the digits a spec may write."""
    from ..numbers import literal

    try:
        return literal(text)
    except CnnCalcError as e:
        raise click.BadParameter(f"'{item[:40]}…': {e.message}" if len(item) > 40 else
                                 f"'{item}': {e.message}") from None


# Options that several commands share, declared once.
INPUT = click.option("--input", "input_shape", metavar="SHAPE",
                      help="Replace the spec's input shape, e.g. 3x320x320. It is read in the "
                           "spec's layout: CxHxW, or HxWxC (320x320x3) when the spec's input "
                           "says layout=hwc; \"3x320x320 layout=chw\" overrides it.")
BINDINGS = click.option("-D", "bindings", metavar="NAME=VALUE", multiple=True,
                         callback=bindings_option,
                         help="Give a name of the spec a value (repeatable): -D H=224 -D C=3.")
def max_layers_option(default: int):
    return click.option("--max-layers", type=click.IntRange(min=1), default=default,
                        show_default=True,
                        help="Refuse specs that expand to more layers and blocks.")


MAX_LAYERS = max_layers_option(DEFAULT_MAX_LAYERS)
NO_COLOR = click.option("--no-color", is_flag=True,
                         help="No colours (NO_COLOR is honoured too).")


# the element type of the memory figures (analyze, diff, check); run and verify compute in
# float32 or float64 and declare their own
MEMORY_DTYPE = click.option("--dtype", default="float32", show_default=True,
                            type=click.Choice(list(DTYPE_BYTES), case_sensitive=False),
                            help="Element type for the memory figures.")


def output_format(*formats: str, json_help: str, format_help: str = "Output format."):
    """`--json` and `--format` for a command whose outputs are `formats` (the first is the
    default): the command receives one `fmt`; `--json` with another `--format` is a usage
    error (exit 2), not one of them silently."""
    def decorate(command):
        @functools.wraps(command)
        def chosen(*args, as_json, fmt, **kwargs):
            if as_json and fmt not in (None, "json"):
                raise click.UsageError(f"--json and --format {fmt} ask for two outputs: "
                                       f"give one")
            return command(*args, fmt="json" if as_json else fmt or formats[0], **kwargs)

        chosen = click.option("--format", "fmt", type=click.Choice(list(formats)), default=None,
                              help=f"{format_help}  [default: {formats[0]}]")(chosen)
        return click.option("--json", "as_json", is_flag=True, help=json_help)(chosen)
    return decorate


def verdict(status: int) -> None:
    """The end of a command that judges (analyze with asserts, check, verify, solve): 0 all
    holds, 1 a negative answer — a budget or assert failed, a difference, no solution. (2,
    anything the user wrote wrong, is `fail`'s.)"""
    sys.exit(status)


def warning_options(command):
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


class Warnings:
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
            from ..errors import render_warnings

            for text in render_warnings(kept, "error"):
                click.echo(text, err=True)
            sys.exit(2)

    def show(self, warnings) -> None:
        if self.quiet:
            return
        from ..errors import render_warnings

        for text in render_warnings(self.kept(warnings)):
            click.echo(text, err=True)

    def __call__(self, warnings) -> None:
        """Both, at once (`run` and `verify`, before the run)."""
        self.check(warnings)
        self.show(warnings)


class Group(click.Group):
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


def memory_limit_option(ctx, param, value) -> int | None:
    """`--memory-limit 1.5GiB` -> bytes; a size that cannot be read exits 2, located."""
    if value is None:
        return None
    from ..sizes import parse_size

    try:
        return parse_size(value, "--memory-limit")
    except CnnCalcError as e:
        fail(e)


MEMORY_LIMIT = click.option("--memory-limit", metavar="SIZE", callback=memory_limit_option,
                             help="Refuse a run that would need more memory (512MiB, 1.5GiB, "
                                  "2GB, 500MB, bytes); default: half the free memory.")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnncalc", message="%(prog)s %(version)s")
def main() -> None:
    """Shapes, parameters, MACs and receptive fields of a CNN from a layer spec.

    \b
      cnncalc analyze "input 3x32x32 | conv 10 k5 s1 p2"
      cnncalc analyze examples/resnet50.cnn --depth 2
      cnncalc layers
    """
