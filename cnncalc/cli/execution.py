"""The commands that run a net or an operation in NumPy: run, verify, demo."""

from __future__ import annotations


import click

from ..errors import CnnCalcError
from .common import (BINDINGS, INPUT, MAX_LAYERS, MEMORY_LIMIT, NO_COLOR, Warnings, call, fail,
                     main, verdict, warning_options)


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
@INPUT
@BINDINGS
@warning_options
@MAX_LAYERS
@MEMORY_LIMIT
def run_command(spec, seed, input_npy, weights, save_output, dtype, input_shape, bindings,
                strict, quiet, no_warn, max_layers, memory_limit):
    """Run SPEC forward in NumPy (inference) on a random or given input, with random or
    given weights, and print what came out."""
    import time

    from ..api import load_arrays, run as run_net

    x = call(lambda stdin=None: load_arrays(input_npy, "--input-npy")) if input_npy else None
    start = time.perf_counter()
    warnings = Warnings(no_warn, quiet, strict)
    y = call(run_net, spec, x, seed=seed, weights=weights, dtype=dtype, input=input_shape,
              bindings=bindings, max_layers=max_layers, memory_limit=memory_limit,
              on_warnings=warnings, _warnings=warnings,
              x_from=f"--input-npy {input_npy}" if input_npy else "")
    seconds = time.perf_counter() - start
    if save_output:
        import numpy as np

        try:
            np.save(save_output, y)
        except OSError as e:
            fail(CnnCalcError(f"cannot write it ({e.strerror or e})",
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
@INPUT
@BINDINGS
@warning_options
@MAX_LAYERS
@MEMORY_LIMIT
@NO_COLOR
def verify(spec, seed, as_json, input_shape, bindings, strict, quiet, no_warn, max_layers,
           memory_limit, no_color):
    """Run SPEC in NumPy and compare every layer's output shape, parameters, buffers, MACs
    and receptive fields with the analysis. Exit 0 when all agree, 1 with the rows that
    differ."""
    from ..api import verify as run_verify
    warnings = Warnings(no_warn, quiet, strict)
    result = call(run_verify, spec, seed=seed, input=input_shape, bindings=bindings,
                   max_layers=max_layers, memory_limit=memory_limit,
                   on_warnings=warnings, _warnings=warnings)
    if as_json:
        import json

        from ..render.verify import to_dict

        click.echo(json.dumps(to_dict(result), ensure_ascii=False))
    else:
        from ..render.verify import print_verified

        print_verified(result, no_color=no_color)
    if result.differences:
        verdict(1)


def _matrix(ctx, param, value):
    """A matrix given inline ("1 2; 3 4") or as the path of a file holding one."""
    if value is None:
        return None
    import os

    if os.path.isfile(value):
        from ..loading import read_file

        try:
            return read_file(value).text
        except CnnCalcError as e:
            fail(e)
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
@NO_COLOR
def demo(operation, matrix, kernel, k, stride, pad, pad_value, dilation, steps, as_json,
         no_color):
    """One convolution or pooling on a small matrix, worked as the course does by hand.

    \b
      cnncalc demo conv --input "1 2 3 0; 0 1 2 3; 3 0 1 2; 2 3 0 1" --kernel "2 0 1; 0 1 2; 1 0 2"
      cnncalc demo maxpool --input "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4" --k 2 --steps
    """
    from ..demo import run_demo

    try:
        result = run_demo(operation, matrix, kernel=kernel, k=k, stride=stride, pad=pad,
                          pad_value=pad_value, dilation=dilation)
    except CnnCalcError as e:
        fail(e)
    if as_json:
        import json

        from ..demo import json_number

        click.echo(json.dumps({"output": [[json_number(v) for v in row]
                                          for row in result.output]}))
    else:
        from ..render.demo import print_demo

        print_demo(result, steps=steps, no_color=no_color)
