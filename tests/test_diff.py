"""`cnncalc diff` and `cnncalc.diff`: two nets side by side, as the course compares them.

Every expected figure is worked by hand in the test: weights of a convolution are
k·k·C_in·C_out (no bias here), its MACs that times the output positions."""

import doctest
import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

import cnncalc
import cnncalc.diff
from cnncalc.api import diff as api_diff
from cnncalc.cli import main
from cnncalc.diff import align, compare

TWO_3x3 = "input 64x32x32 | conv 64 k3 p1 nobias * 2"
ONE_5x5 = "input 64x32x32 | conv 64 k5 p2 nobias"
THREE_3x3 = "input 64x32x32 | conv 64 k3 p1 nobias * 3"
ONE_7x7 = "input 64x32x32 | conv 64 k7 p3 nobias"


def run(*args, input=None):
    result = CliRunner().invoke(main, ["diff", *args], input=input)
    assert "Traceback" not in result.output
    return result


def as_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the course's comparisons -------------------------------------------------------------

def test_two_3x3_against_one_5x5_same_field_fewer_weights():
    d = as_json(TWO_3x3, ONE_5x5)
    t = d["totals"]
    two_3x3 = 2 * (3 * 3 * 64 * 64)
    one_5x5 = 5 * 5 * 64 * 64
    assert (two_3x3, one_5x5) == (73_728, 102_400)
    assert t["params"] == {"a": two_3x3, "b": one_5x5, "same": False,
                           "change": one_5x5 - two_3x3, "percent": 38.89}  # 28672/73728
    assert t["macs"]["a"] == two_3x3 * 32 * 32  # every output position of 32x32
    assert t["macs"]["b"] == one_5x5 * 32 * 32
    # the field: 1 + 2 + 2 = 5 for the stack, 5 for the single kernel
    assert t["rf"] == {"a": [5, 5], "b": [5, 5], "same": True}
    assert t["output_shape"]["same"] is True
    # conv1 is aligned with conv1 (k3 -> k5); conv2 has no counterpart
    assert [(layer["path"], layer["status"]) for layer in d["layers"]] == \
        [("conv1", "changed"), ("conv2", "removed")]
    conv1 = d["layers"][0]["figures"]
    assert conv1["params"]["a"] == 3 * 3 * 64 * 64 and conv1["params"]["b"] == one_5x5
    assert conv1["rf"] == {"a": [3, 3], "b": [5, 5], "same": False}
    assert "output_shape" not in conv1  # 64x32x32 either way: not a difference
    conv2 = d["layers"][1]["figures"]
    assert conv2["params"] == {"a": 3 * 3 * 64 * 64, "b": None, "same": False,
                               "change": -(3 * 3 * 64 * 64), "percent": -100.0}
    # the layers' changes add up to the total's: a missing row counts as 0
    assert sum(layer["figures"]["params"]["change"] for layer in d["layers"]) == \
        t["params"]["change"]


def test_two_3x3_against_one_5x5_reads_well_as_a_table():
    result = run(TWO_3x3, ONE_5x5, "--no-color")
    assert result.exit_code == 0
    out = result.stdout
    lines = {line.split()[0] + " " + line.split()[1]: line for line in out.splitlines()
             if len(line.split()) > 1}
    assert "73,728" in lines["Total params"] and "102,400" in lines["Total params"]
    assert "+28,672" in lines["Total params"] and "+38.89%" in lines["Total params"]
    assert lines["Receptive field"].split()[2:] == ["5x5", "5x5", "same"]
    assert "conv2 (removed)" in out
    assert "layers: 1 changed, 0 added, 1 removed, 0 the same" in out


def test_three_3x3_against_one_7x7():
    d = as_json(THREE_3x3, ONE_7x7)
    c = 64
    assert d["totals"]["params"]["a"] == 3 * 9 * c * c == 110_592
    assert d["totals"]["params"]["b"] == 49 * c * c == 200_704
    assert d["totals"]["rf"] == {"a": [7, 7], "b": [7, 7], "same": True}  # 1 + 3·2 = 7
    assert [layer["status"] for layer in d["layers"]] == ["changed", "removed", "removed"]


def test_three_3x3_against_one_7x7_in_channels_c():
    """Symbolic: the formulas' difference, and a per cent where the ratio is a number."""
    a, b = (s.replace("64x32x32", "Cx32x32").replace("conv 64", "conv C")
            for s in (THREE_3x3, ONE_7x7))
    d = as_json(a, b)
    params = d["totals"]["params"]
    assert (params["a"], params["b"], params["change"]) == ("27*C**2", "49*C**2", "22*C**2")
    assert params["percent"] == round(22 / 27 * 100, 2)  # (49 − 27)/27, C² cancels
    table = run(a, b, "--no-color").stdout
    assert "27C²" in table and "49C²" in table
    # -D makes it concrete: C = 64 gives the figures above
    bound = as_json(a, b, "-D", "C=64")["totals"]["params"]
    assert (bound["a"], bound["b"]) == (110_592, 200_704)


def test_a_ratio_that_is_a_formula_is_not_a_per_cent():
    d = as_json("input 3xHxH | conv 8 k3 s2", "input 3xHxH | conv 8 k3")
    assert d["totals"]["macs"]["percent"] is None
    assert d["totals"]["params"] == {"a": 224, "b": 224, "same": True, "change": 0,
                                     "percent": 0.0}  # (3·3·3 + 1)·8 either way
    assert d["totals"]["output_shape"]["same"] is False
    assert "n/a" in run("input 3xHxH | conv 8 k3 s2", "input 3xHxH | conv 8 k3").stdout


# --- one spec at two input shapes ---------------------------------------------------------

def test_resnet18_at_224_and_320():
    d = as_json("resnet18", "--input", "3x224x224", "--input", "3x320x320")
    assert d["a"]["input"] == [3, 224, 224] and d["b"]["input"] == [3, 320, 320]
    assert d["totals"]["params"]["same"] is True  # the weights do not depend on the input
    assert d["totals"]["output_shape"] == {"a": [1000], "b": [1000], "same": True}
    conv1 = next(layer for layer in d["layers"] if layer["path"] == "conv1")
    # conv 64 k7 s2 p3 nobias: (224 + 6 − 7)//2 + 1 = 112, (320 + 6 − 7)//2 + 1 = 160
    weights = 7 * 7 * 3 * 64
    assert conv1["figures"]["output_shape"] == {"a": [64, 112, 112], "b": [64, 160, 160],
                                                "same": False}
    macs = conv1["figures"]["macs"]
    assert (macs["a"], macs["b"]) == (weights * 112 * 112, weights * 160 * 160)
    assert macs["change"] == weights * (160 * 160 - 112 * 112)
    assert macs["percent"] == round((160 * 160 - 112 * 112) / (112 * 112) * 100, 2)
    assert "params" not in conv1["figures"]
    assert {layer["status"] for layer in d["layers"]} == {"changed"}


def test_the_same_spec_twice_is_no_difference():
    result = run(ONE_5x5, ONE_5x5, "--no-color")
    assert result.exit_code == 0  # an answer either way
    assert "no difference: every total and all 1 layers are the same" in result.stdout
    assert as_json(ONE_5x5, ONE_5x5)["same"] is True


def test_one_input_with_two_specs_applies_to_both():
    d = as_json("input 1x8x8 | conv 1 k3", "input 1x8x8 | conv 1 k5", "--input", "1x16x16")
    assert d["a"]["input"] == d["b"]["input"] == [1, 16, 16]
    assert d["totals"]["output_shape"]["a"] == [1, 14, 14]  # 16 − 3 + 1
    assert d["totals"]["output_shape"]["b"] == [1, 12, 12]  # 16 − 5 + 1


def test_stdin_is_read_once_for_two_shapes():
    result = run("-", "--input", "1x8x8", "--input", "1x10x10", "--json",
                 input="input 1x4x4 | conv 1 k3")
    assert result.exit_code == 0, result.output
    macs = json.loads(result.stdout)["totals"]["macs"]
    assert (macs["a"], macs["b"]) == (9 * 6 * 6, 9 * 8 * 8)


# --- added and removed rows, and where they stand ----------------------------------------

def test_added_rows():
    d = as_json("input 3x8x8 | conv 4 k3", "input 3x8x8 | conv 4 k3 | relu | maxpool k2")
    assert [(layer["path"], layer["status"]) for layer in d["layers"]] == \
        [("relu1", "added"), ("maxpool1", "added")]
    assert d["layers"][1]["figures"]["output_shape"]["b"] == [4, 3, 3]  # 6 // 2
    assert d["counts"] == {"changed": 0, "added": 2, "removed": 0, "same": 1}
    # 0 parameters added: no "0 -> 0" line for them
    assert "params" not in d["layers"][0]["figures"]


def test_a_figure_from_zero_is_new():
    d = as_json("input 1x4x4 | relu", "input 1x4x4 | relu | conv 1 k1")
    assert d["totals"]["params"] == {"a": 0, "b": 2, "same": False, "change": 2,
                                     "percent": None}  # 1·1·1·1 + 1 bias
    table = run("input 1x4x4 | relu", "input 1x4x4 | relu | conv 1 k1", "--no-color").stdout
    params_line = next(line for line in table.splitlines() if "Total params" in line)
    assert params_line.split()[-1] == "new"


def test_a_removed_row_stands_where_it_was():
    a = cnncalc.analyze("input 1x8x8 | conv 1 k3 | relu | conv 1 k3 | relu")
    b = cnncalc.analyze("input 1x8x8 | conv 1 k3 | conv 1 k3 | bn")
    paths = [(ra and ".".join(ra.path), rb and ".".join(rb.path))
             for ra, rb in align(a.rows, b.rows)]
    assert paths == [("conv1", "conv1"), ("relu1", None), ("conv2", "conv2"),
                     ("relu2", None), (None, "bn1")]
    d = compare(a, b)
    assert [(layer.path, layer.status) for layer in d.layers] == \
        [(("relu1",), "removed"), (("relu2",), "removed"), (("bn1",), "added")]
    assert d.alike == 2
    assert d.totals[0].change == 2  # bn: a scale and a shift for its 1 channel


# --- formats and exit paths ---------------------------------------------------------------

def test_markdown():
    result = run(TWO_3x3, ONE_5x5, "--format", "markdown")
    assert result.exit_code == 0
    out = result.stdout
    assert f"- **A**: `{TWO_3x3}`" in out.replace("\\|", "|")
    assert "| **Total params** | 73,728 | 102,400 | +28,672 | +38.89% |" in out
    assert "| conv2 (removed) | source | `conv 64 k3 p1 nobias` | - |  |  |" in out
    assert "| **Receptive field** | 5x5 | 5x5 | same |  |" in out


def test_json_and_format_json_are_the_same():
    assert run(TWO_3x3, ONE_5x5, "--json").stdout == \
        run(TWO_3x3, ONE_5x5, "--format", "json").stdout


@pytest.mark.parametrize("args, message", [
    (["input 1x4x4 | conv 1 k5", ONE_5x5], "larger than"),
    ([ONE_5x5], "diff compares two nets: give two specs (A B), or one spec and --input twice"),
    ([ONE_5x5, "--input", "64x8x8"], "diff compares two nets"),
    ([ONE_5x5, ONE_5x5, "--input", "64x8x8", "--input", "64x9x9"],
     "--input twice compares one spec at two input shapes"),
    ([ONE_5x5, ONE_5x5, ONE_5x5], "diff compares two nets, not 3: give A and B"),
    ([ONE_5x5, ONE_5x5, "--json", "--format", "markdown"], "ask for two outputs"),
    (["input 1x7x7 | conv 1 k3 s3", ONE_5x5, "--strict"], "stride does not tile"),
    (["input 1x4x4 | conv 1 k3", "--input", "1x4x4", "--input", "1x2x2"], "larger than"),
])
def test_invalid_exits_2(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_warnings_go_to_stderr_and_json_keeps_them():
    result = run("input 1x7x7 | conv 1 k3 s3", ONE_5x5, "--json")
    assert result.exit_code == 0
    assert "stride does not tile" in result.stderr
    assert [w["name"] for w in json.loads(result.stdout)["warnings"]["a"]] == ["tiling"]
    assert run("input 1x7x7 | conv 1 k3 s3", ONE_5x5, "-q").stderr == ""


def test_max_layers():
    result = run("input 1x4x4 | relu * 5", ONE_5x5, "--max-layers", "3")
    assert result.exit_code == 2


# --- the Python API -----------------------------------------------------------------------

def test_api():
    d = cnncalc.api.diff("input 1x4x4 | conv 2 k3", None, inputs=("1x4x4", "1x6x6"))
    macs = d.totals[1]
    assert (macs.a, macs.b) == (9 * 2 * 2 * 2, 9 * 2 * 4 * 4)  # 9 taps · 2 filters · positions
    assert macs.ratio == Fraction(9 * 2 * 4 * 4 - 72, 72) == 3
    with pytest.raises(cnncalc.CnnCalcError, match="give two specs"):
        api_diff("input 1x4x4")


def test_doctests():
    assert doctest.testmod(cnncalc.diff).failed == 0


# --- alignment as a property --------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

from cnncalc.report import Row  # noqa: E402


def _rows(paths):
    return [Row(*([i, (p,)] + [None] * 14)) for i, p in enumerate(paths)]


@given(st.lists(st.sampled_from("abcdefgh"), unique=True),
       st.lists(st.sampled_from("abcdefgh"), unique=True))
def test_alignment_keeps_every_row_once_in_its_own_order(paths_a, paths_b):
    pairs = align(_rows(paths_a), _rows(paths_b))
    assert [rb.path[0] for _, rb in pairs if rb is not None] == paths_b
    a_side = [ra.path[0] for ra, _ in pairs if ra is not None]
    assert sorted(a_side) == sorted(paths_a)
    assert all(ra is None or rb is None or ra.path == rb.path for ra, rb in pairs)
    # rows that only A has keep A's order among themselves
    only_a = [p for p in a_side if p not in paths_b]
    assert only_a == [p for p in paths_a if p not in paths_b]


def test_a_warning_of_one_spec_at_two_shapes_is_shown_once():
    result = run("input 1x8x8 | conv 1 k=2*2", "--input", "1x8x8", "--input", "1x9x9")
    assert result.exit_code == 0
    assert result.stderr.count("warning:") == 1, result.stderr


def test_a_binding_is_given_to_both_specs_and_each_must_have_the_name():
    d = as_json("input Cx8x8 | conv C k3", "input Cx8x8 | conv C k5", "-D", "C=2")
    # (3·3·2 + 1)·2 = 38 against (5·5·2 + 1)·2 = 102
    assert (d["totals"]["params"]["a"], d["totals"]["params"]["b"]) == (38, 102)
    result = run("input Cx8x8 | conv C k3", "input 4x8x8 | conv 4 k3", "-D", "C=4")
    assert result.exit_code == 2
    assert "the spec has no name 'C'" in result.stderr


def test_json_of_concrete_specs_loads_neither_rich_nor_sympy():
    import subprocess
    import sys

    code = ("import sys; from cnncalc.cli import main; sys.argv = ['cnncalc', 'diff', "
            "'input 1x4x4 | conv 1 k3', 'input 1x4x4 | conv 1 k2', '--json']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('rich' in sys.modules, 'sympy' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip() == "False False"
    assert json.loads(out.stdout)["totals"]["params"]["change"] == -5  # 10 → 5 (k2: 4 + 1)
