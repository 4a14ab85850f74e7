"""Checks PyTorch makes (issue 15, item 5), written out by hand.

torch's AvgPool3d, alone among the pools, refuses an input axis smaller than the kernel even
when the padding makes room (aten's pool3d_shape_check with check_input_size, "input image
(T: 2 H: 4 W: 4) smaller than kernel size (kT: 3 kH: 3 kW: 3)"); MaxPool3d and the 1-D and
2-D average pools accept it. `tests/test_torch_crosscheck.py` checks the same against torch
when it is installed. And embed gives every later layer what it got, changing nothing shared.
"""

import json

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.errors import Source
from cnncalc.layers import REGISTRY
from cnncalc.layers.base import AxisRF, Context
from cnncalc.syntax import parse


def run(spec, *args):
    return CliRunner().invoke(main, ["analyze", spec, *args])


def refused(spec, needle, message):
    r = run(spec)
    assert "Traceback" not in r.output
    assert r.exit_code == 2, r.output
    assert r.stderr.splitlines()[0] == \
        f"<spec>:1:{spec.index(needle) + 1}: error: avgpool: {message}"


# --- a 3-D average pool's kernel against the unpadded input ---------------------------------

def test_avgpool3d_kernel_larger_than_the_unpadded_slices():
    # padded 2 + 2·1 = 4 >= 3 would do; unpadded 2 < 3 is what torch refuses
    refused("input 1x2x4x4 | avgpool k3 p1", "k3",
            "kernel 3 is larger than the input 2 (slices, before padding): PyTorch's 3-D "
            "average pool refuses that, whatever the padding")


def test_avgpool3d_kernel_larger_than_the_unpadded_columns_in_ceil_mode():
    refused("input 1x4x4x2 | avgpool k3 p1 ceil", "k3",
            "kernel 3 is larger than the input 2 (columns, before padding): PyTorch's 3-D "
            "average pool refuses that, whatever the padding")


def test_avgpool3d_per_axis_kernel():
    refused("input 1x4x4x2 | avgpool k=1x1x3 p=0x0x1", "k=1x1x3",
            "kernel 3 is larger than the input 2 (columns, before padding): PyTorch's 3-D "
            "average pool refuses that, whatever the padding")


@pytest.mark.parametrize("spec, shape", [
    ("input 1x3x4x4 | avgpool k3 p1", [1, 1, 2, 2]),   # (3 + 2 - 3)//3 + 1, (4 + 2 - 3)//3 + 1
    ("input 1x2x4x4 | maxpool k3 p1", [1, 1, 2, 2]),   # max pooling has no such rule
    ("input 1x2x4 | avgpool k3 p1", [1, 1, 2]),        # nor the 2-D average pool
    ("input 1x2 | avgpool k3 p1", [1, 1]),             # nor the 1-D one
    ("input 1x2x4x4 | avgpool global", [1, 1, 1, 1]),  # adaptive pools have no kernel
    ("input 1x2x4x4 | avgpool out=1x2x2", [1, 1, 2, 2]),
])
def test_pools_torch_accepts(spec, shape):
    r = run(spec, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"]["output_shape"] == shape


def test_avgpool3d_on_a_symbolic_depth_is_a_condition():
    report = cnncalc.analyze("input 1xDx4x4 | avgpool k3 p1")
    # padded, D + 2 >= 3 holds for every D >= 1; unpadded, D >= 3 is the condition
    assert [c["text"] for c in report.conditions_json()] == ["D ≥ 3"]


# --- embed changes nothing shared -----------------------------------------------------------

def test_embed_rules_leave_the_context_unchanged():
    # it once set the context's input extent, read by every later fc and global pool
    net = build(parse(Source("<spec>", "input 20 | embed 100 8")))
    layer = net.body.items[0]
    ctx = Context(lambda *a, **k: None)
    before = dict(vars(ctx))
    kind = REGISTRY["embed"]
    assert kind.output_shape(layer, (20,), ctx) == (8, 20)
    assert kind.receptive_field(layer, (20,), (AxisRF(1, 1, 0, 20),), ctx) == \
        (AxisRF(1, 1, 0, 20),)
    assert vars(ctx).keys() == before.keys()
    assert all(vars(ctx)[k] is v for k, v in before.items())


def test_layers_after_embed_see_its_sequence():
    # after embed: 50 positions, field 1, jump 1; conv k3 s2: (50 - 3)//2 + 1 = 24 positions,
    # field 3, jump 2; the global pool combines them: 3 + (24 - 1)·2 = 49, and fc keeps it
    report = cnncalc.analyze("input 50 | embed 1000 8 | conv 4 k3 s2 | avgpool global | fc 2")
    assert [r.rf for r in report.rows] == [(1,), (3,), (49,), (49,)]
    assert report.totals.output_shape == (2,)
