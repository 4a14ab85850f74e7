"""`analyze --sweep NAME=LO..HI/STEP` and `cnncalc.sweep`: one row per value, against hand
arithmetic on `input 3xHxH | conv 8 k3 s2`."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main
from cnncalc.sweeps import MAX_VALUES, parse_sweep

NET = "input 3xHxH | conv 8 k3 s2"
# By hand: output side (H − 3)/2 + 1, floored; the stride tiles when H − 3 is even (H odd).
#   H = 7: 4/2 + 1 = 3, tiles          H = 8: 5/2 + 1 = 3.5 -> 3, one row and column unused
#   H = 9: 6/2 + 1 = 4, tiles          H = 10: 7/2 + 1 = 4.5 -> 4, does not tile
# params 8·3·3·3 + 8 = 224; MACs 8·3·3·3 = 216 per output position
# memory (torchinfo's total): input 3·H²·4 + 2 × the conv's output 8·n²·4 + params 224·4
EXPECTED = {
    7: ((8, 3, 3), 216 * 9, 3 * 49 * 4 + 2 * 8 * 9 * 4 + 896, True),     # 2060
    8: ((8, 3, 3), 216 * 9, 3 * 64 * 4 + 2 * 8 * 9 * 4 + 896, False),    # 2240
    9: ((8, 4, 4), 216 * 16, 3 * 81 * 4 + 2 * 8 * 16 * 4 + 896, True),   # 2892
    10: ((8, 4, 4), 216 * 16, 3 * 100 * 4 + 2 * 8 * 16 * 4 + 896, False),  # 3120
}


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_rows_by_hand():
    result = cnncalc.sweep(NET, "H", range(7, 11))
    assert result.names == ("H",)
    for row in result.rows:
        shape, macs, memory, tiles = EXPECTED[row.values["H"]]
        assert tuple(row.output_shape) == shape
        assert row.params == 224
        assert row.macs == macs
        assert row.memory_bytes == memory
        assert row.tiles is tiles
        assert row.untiled == (() if tiles else (("conv1", 1),))


def test_invalid_value_is_located_and_the_sweep_goes_on():
    # H = 2: the 3x3 kernel is larger than the 2x2 input; H = 3: (3 − 3)/2 + 1 = 1
    rows = cnncalc.sweep(NET, "H", [2, 3]).rows
    assert rows[0].tiles is None and rows[0].output_shape is None
    assert rows[0].error.span.line == 1 and rows[0].error.path == ("conv1",)
    assert rows[0].reason().startswith("fails at conv1, line 1: conv: kernel 3 is larger")
    assert tuple(rows[1].output_shape) == (8, 1, 1) and rows[1].tiles


def test_first_failing_layer_is_named():
    # H = 9: conv1 gives 4x4, conv2's kernel 5 does not fit; H = 11: 5x5, then (5 − 5)/2 + 1
    rows = cnncalc.sweep(NET + " | conv 8 k5 s2", "H", [9, 11]).rows
    assert rows[0].error.path == ("conv2",)
    assert tuple(rows[1].output_shape) == (8, 1, 1)


def test_training_memory_in_the_sweep():
    # H = 7, sgd: params 896 + gradients 896 + input 588 + the conv's output 8·9·4 = 288
    row = cnncalc.sweep(NET, "H", [7], memory="training", optimizer="sgd").rows[0]
    assert row.memory_bytes == 896 + 896 + 588 + 288


def test_names_swept_together():
    # (H, W) = (7, 9): 3x4, tiles; (8, 10): 3x4, neither tiles; (9, 11): 4x5
    result = cnncalc.sweep("input 3xHxW | conv 8 k3 s2", {"H": [7, 8, 9], "W": [9, 10, 11]})
    assert [tuple(r.output_shape) for r in result.rows] == [(8, 3, 4), (8, 3, 4), (8, 4, 5)]
    assert [r.tiles for r in result.rows] == [True, False, True]


@pytest.mark.parametrize("text, values", [
    ("H=224..640/32", list(range(224, 641, 32))),
    ("H=224..300/32", [224, 256, 288]),        # 300 is not on the grid: the last is 288
    ("H=7..9", [7, 8, 9]),
    ("H = 7 .. 9 / 2", [7, 9]),
    ("H=224,320,512", [224, 320, 512]),
    ("H=5..5", [5]),
    ("H=1_000..1_002", [1000, 1001, 1002]),
])
def test_parse(text, values):
    assert parse_sweep(text) == ("H", values)
    assert len(values) == {"H=224..640/32": 14}.get(text, len(values))


def test_table():
    result = run("analyze", NET, "--sweep", "H=7..10")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["H", "output", "MACs", "memory", "tiles", "note"]
    assert ["7", "8x3x3", "1,944", "2,060", "bytes", "yes"] in lines
    assert ["8", "8x3x3", "1,944", "2,240", "bytes", "no", "conv1", "(line", "1)"] in lines
    assert result.stderr == ""  # the tiles column stands for the tiling warnings


def test_json():
    result = run("analyze", NET, "--sweep", "H=2..8/3", "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert (d["names"], d["memory"], d["optimizer"], d["dtype"]) == \
        (["H"], "inference", None, "float32")
    invalid, five, eight = d["rows"]
    assert invalid["values"] == {"H": 2} and invalid["tiles"] is None
    assert invalid["error"]["path"] == "conv1" and invalid["error"]["line"] == 1
    # H = 5: (5 − 3)/2 + 1 = 2; memory 3·25·4 + 2·8·4·4 + 896 = 300 + 256 + 896
    assert five == {"values": {"H": 5}, "output_shape": [8, 2, 2], "params": 224,
                    "macs": 216 * 4, "memory_bytes": 1452, "tiles": True, "untiled": [],
                    "error": None}
    assert eight["untiled"] == [{"path": "conv1", "line": 1}] and eight["tiles"] is False


def test_csv():
    result = run("analyze", NET, "--sweep", "H=8..9", "--format", "csv", "--memory",
                 "training", "--optimizer", "adam")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # H = 9, adam: params 896, gradients 896, states 1792, input 972, output 8·16·4 = 512
    assert rows[1] == {"H": "9", "output_shape": "8x4x4", "params": "224", "macs": "3456",
                       "memory_bytes": str(896 * 4 + 972 + 512), "tiles": "yes", "note": ""}
    assert rows[0]["tiles"] == "no" and rows[0]["note"] == "conv1 (line 1)"


def test_markdown():
    result = run("analyze", NET, "--sweep", "H=7,8", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "| H | output | MACs | memory | tiles | note |",
        "|---:|---|---:|---:|---|---|",
        "| 7 | 8x3x3 | 1,944 | 2,060 bytes | yes |  |",
        "| 8 | 8x3x3 | 1,944 | 2,240 bytes | no | conv1 (line 1) |"]


def test_params_column_when_they_vary():
    # an fc after the conv: 8·n²·10 + 10 weights, n = 1 at H = 3, 2 at H = 5
    result = run("analyze", NET + " | fc 10", "--sweep", "H=3,5", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "| H | output | params | MACs | memory | tiles | note |"
    assert lines[2].startswith("| 3 | 10 | 314 |")       # 224 + 8·10 + 10
    assert lines[3].startswith("| 5 | 10 | 554 |")       # 224 + 32·10 + 10


def test_spec_from_stdin_and_input_option():
    result = run("analyze", "-", "--input", "3xHxH", "--sweep", "H=7,9", "--json",
                 input="input 3x32x32 | conv 8 k3 s2\n")
    assert result.exit_code == 0, result.output
    assert [r["output_shape"] for r in json.loads(result.stdout)["rows"]] == \
        [[8, 3, 3], [8, 4, 4]]


def test_resnet50_every_size_is_valid():
    # torchvision's ResNet-50 floors at conv1 (7x7 s2 p3: (224 + 6 − 7)/2 + 1 = 112.5)
    result = run("analyze", "resnet50", "--input", "3xHxH", "--sweep", "H=224..640/32",
                 "--json")
    rows = json.loads(result.stdout)["rows"]
    assert len(rows) == 14 and all(r["error"] is None for r in rows)
    assert rows[0]["macs"] == 4_089_184_256  # README's figure at 224
    assert rows[0]["untiled"][0] == {"path": "conv1", "line": 35}


@pytest.mark.parametrize("args, message", [
    (["--sweep", "H=640..224"], "'H=640..224': the range is empty (640 > 224)"),
    (["--sweep", "H=224..640/0"], "the step must be at least 1"),
    (["--sweep", "H=2.5..4"], "is not NAME=LO..HI/STEP with whole numbers"),
    (["--sweep", "H=a..b"], "is not NAME=LO..HI/STEP with whole numbers"),
    (["--sweep", "H=-3..4"], "is not NAME=LO..HI/STEP with whole numbers"),
    (["--sweep", "224..640"], "is not NAME=LO..HI/STEP (e.g. --sweep H=224..640/32)"),
    (["--sweep", "H=1..5", "--sweep", "H=1..5"], "'H' is swept twice"),
    (["--sweep", f"H=1..{MAX_VALUES + 1}"], "gives 1,001 values, more than 1,000"),
    (["--sweep", "H=1_..4"], "is not NAME=LO..HI/STEP with whole numbers"),
    (["--sweep", "H=1.." + "9" * 5000], "a value has more than 18 digits"),
    (["--sweep", "H=" + ",".join(["7"] * 1001)], "gives 1,001 values"),
])
def test_option_errors(args, message):
    result = run("analyze", NET, *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Invalid value for '--sweep'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("spec, args, message", [
    (NET, ["--sweep", "W=1..5"], "--sweep: error: the spec has no name 'W' to sweep; its "
                                 "names are H"),
    ("input 3x8x8 | conv 8 k3", ["--sweep", "H=1..5"],
     "the spec has no name 'H' to sweep; it has none (write one, e.g. --input 3xHxH)"),
    ("input 3xHxW | conv 8 k3", ["--sweep", "H=3..5"],
     "the sweep needs a value for every other name: give -D W=…"),
    (NET, ["--sweep", "H=3..5", "-D", "H=4"], "'H' is both swept and given a value with -D"),
    ("input 3xHxW | conv 8 k3", ["--sweep", "H=3..5", "--sweep", "W=3..4"],
     "names swept together need as many values each (H: 3, W: 2)"),
])
def test_sweep_errors(spec, args, message):
    result = run("analyze", spec, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_other_warnings_are_shown_once():
    # 9x9x3 and 10x10x3 are each read channels first (a `layout` warning): the table says
    # why every size fails, and the warning on standard error says why
    result = run("analyze", "input HxHx3 | conv 8 k3", "--sweep", "H=9..10")
    assert result.exit_code == 0
    assert "is read channels first" in result.stderr
    assert result.stderr.count("warning:") <= 2
    quiet = run("analyze", "input HxHx3 | conv 8 k3", "--sweep", "H=9..10", "-q")
    assert quiet.stderr == "" and quiet.stdout == result.stdout


def test_strict_makes_the_other_warnings_errors_not_tiling():
    product = run("analyze", "input 1x28x28 | conv 6 k=3*3 p=P", "--sweep", "P=0..1",
                  "--strict")
    assert product.exit_code == 2 and "error: k=3*3 is a 9x9 kernel" in product.stderr
    # every H even leaves a row unused: the column says so, --strict does not end the sweep
    tiling = run("analyze", NET, "--sweep", "H=8,10", "--strict")
    assert tiling.exit_code == 0 and tiling.stdout.count(" no ") == 2
