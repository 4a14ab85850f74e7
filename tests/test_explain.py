"""`cnncalc explain`: the course's worked examples, formula, numbers and result, each checked
against the arithmetic written out here (the course notes' own forms)."""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def steps(spec, index=0):
    """The layer's steps by what they compute (the first axis where axes differ)."""
    _, explained = cnncalc.explain(spec)
    found = {}
    for s in explained[index].steps:
        found.setdefault(s.what, s)
    return found


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_the_32x32x3_quiz():
    s = steps("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    out = s["output"]
    assert out.formula == "(N − F + 2P)/S + 1"
    assert out.substituted == "(32 − 5 + 2·2)/1 + 1"       # the /1 stays, as the course writes
    assert out.result == (32 - 5 + 2 * 2) // 1 + 1 == 32
    assert out.exact is None and out.axis is None            # both axes read the same
    params = s["params"]
    assert params.formula == "(F·F·C + 1)·K"
    assert params.substituted == "(5·5·3 + 1)·10"
    assert params.partial == "76·10"                         # 76 per filter, ten filters
    assert params.result == (5 * 5 * 3 + 1) * 10 == 760
    assert s["MACs"].result == 5 * 5 * 3 * 10 * 32 * 32


@pytest.mark.parametrize("stride, result", [(1, 5), (2, 3), (3, 2)])
def test_7x7_with_strides_1_2_3(stride, result):
    out = steps(f"input 1x7x7 | conv 1 k3 s{stride}")["output"]
    assert out.formula == "(N − F)/S + 1"                    # no padding: none in the formula
    assert out.substituted == f"(7 − 3)/{stride} + 1"
    assert out.result == result
    if stride == 3:
        # (7 − 3)/3 + 1 = 2.33: PyTorch floors to 2, and 7 − (2·3 + 1)... one row is left over
        assert out.exact == Fraction(4, 3) + 1
        assert "does not tile" in out.note and "floors to 2" in out.note
        assert "the last 1 row and the last 1 column" in out.note
    else:
        assert out.exact is None and out.note is None


def test_the_4x4_padding_example():
    # padded by 1, a 3x3 kernel keeps 4x4: (4 − 3 + 2·1)/1 + 1 = 4
    out = steps("input 1x4x4 | conv 1 k3 p1")["output"]
    assert out.substituted == "(4 − 3 + 2·1)/1 + 1" and out.result == 4


def test_alexnet_first_layer():
    s = steps("input 3x227x227 | conv 96 k11 s4")
    assert s["output"].substituted == "(227 − 11)/4 + 1"
    assert s["output"].result == 55                           # 216/4 + 1
    assert s["params"].substituted == "(11·11·3 + 1)·96"
    assert s["params"].partial == "364·96"                    # 11·11·3 + 1 = 364 per filter
    assert s["params"].result == 34_944                       # 364 · 96


def test_stacked_3x3_fields_3_5_7():
    _, explained = cnncalc.explain("input 1x32x32 | conv 1 k3 | conv 1 k3 | conv 1 k3")
    rf = [{s.what: s for s in e.steps}["RF"] for e in explained]
    assert [r.formula for r in rf] == ["r + (F − 1)·j"] * 3
    assert [r.substituted for r in rf] == ["1 + (3 − 1)·1", "3 + (3 − 1)·1", "5 + (3 − 1)·1"]
    assert [r.result for r in rf] == [3, 5, 7]


def test_same_padding_shows_what_it_chose():
    # k5 on 7 with stride 1: total max((7 − 1)·1 + 5 − 7, 0) = 4, so 2 before and 2 after
    s = steps("input 1x7x7 | conv 1 k5 p=same")
    assert s["padding"].result == 2
    assert "2 before, 2 after" in s["padding"].note
    assert s["output"].result == 7


def test_dilation_appears_only_when_it_is_not_1():
    assert "D" not in steps("input 1x9x9 | conv 1 k3")["output"].formula
    dilated = steps("input 1x9x9 | conv 1 k3 d2")["output"]
    assert "D" in dilated.formula
    assert dilated.result == (9 - 2 * (3 - 1) - 1) // 1 + 1 == 5


def test_fc_and_batch_norm():
    s = steps("input 784 | fc 512")
    assert s["params"].formula == "IN·OUT + OUT"
    assert s["params"].result == 784 * 512 + 512
    bn = steps("input 8x4x4 | bn")["params"]
    assert bn.formula == "2C" and bn.result == 16


def test_symbolic_specs_explain_in_formulas():
    out = steps("input 3xHxW | conv 8 k3 s2 p1")["output"]
    assert out.axis == "row" and out.substituted == "(H − 3 + 2·1)/2 + 1"
    H = cnncalc.analyze("input 3xHxW | relu").symbols[0]
    for h in range(1, 40):  # ⌈H/2⌉, PyTorch's floor((h + 2 - 3)/2) + 1
        assert out.result.subs(H, h) == (h + 2 - 3) // 2 + 1


def test_the_warning_quotes_the_same_working():
    r = cnncalc.analyze("input 1x7x7 | conv 1 k3 s3")
    out = steps("input 1x7x7 | conv 1 k3 s3")["output"]
    assert f"{out.substituted} = 2.33" in r.warnings[0].message


@pytest.mark.parametrize("name", ["resnet18", "vgg16", "googlenet", "mobilenet_v2"])
def test_every_result_is_the_analysis_figure(name):
    report, explained = cnncalc.explain(EXAMPLES / f"{name}.cnn")
    rows = {r.index: r for r in report.rows}
    for e in explained:
        row = rows[e.index]
        for s in e.steps:
            if s.what == "params":
                assert s.result == row.params, (e.path, s)
            if s.what == "MACs":
                assert s.result == row.macs, (e.path, s)
            if s.what == "output" and s.axis is None and len(row.output_shape) > 1:
                assert all(d == s.result for d in row.output_shape[1:]), (e.path, s)
            if s.what == "RF" and s.axis is None:
                assert all(r == s.result for r in row.rf), (e.path, s)


def test_cli_table_json_and_layer():
    table = run("explain", "input 32x32x3 layout=hwc | conv 10 k5 s1 p2 | relu")
    assert table.exit_code == 0
    assert "(32 − 5 + 2·2)/1 + 1 = 32" in table.stdout
    assert "(5·5·3 + 1)·10 = 76·10 = 760" in table.stdout
    data = json.loads(run("explain", "input 1x7x7 | conv 1 k3 s3", "--json").stdout)
    (layer,) = data["layers"]
    out = layer["steps"][0]
    assert out["what"] == "output" and out["result"] == 2
    assert out["exact"] == "7/3"                  # (7 - 3)/3 + 1, exact, as sympy reads it
    one = run("explain", "input 1x7x7 | a: conv 1 k3 | b: conv 1 k3", "--layer", "b", "--json")
    assert [l["path"] for l in json.loads(one.stdout)["layers"]] == ["b"]
    bad = run("explain", "input 1x7x7 | a: conv 1 k3", "--layer", "aa")
    assert bad.exit_code == 2 and "did you mean 'a'" in bad.stderr
    invalid = run("explain", "input 1x7x7 | conv 1 k9")
    assert invalid.exit_code == 2 and "larger than the padded input" in invalid.stderr


def test_explain_fits_80_columns():
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        main, ["explain", "input 3x224x224 | conv 64 k7 s2 p3 | maxpool k3 s2 p1", "--no-color"])
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize("spec", [
    "input 3xHxH | maxpool k3 s2 p1 ceil | avgpool out=O | conv 4 k5 s3",  # a choice (where)
    "input 3xHxW | avgpool out=3 | fc 10",
    "input 3xHxW | conv 8 k=F s=S p=P | upsample U | deconv 4 k=K s2",
    "input CxHxW | split { } { conv 4 k1 } | shuffle 2 | mul { } { avgpool global }",
])
def test_symbolic_choices_explain_without_error(spec):
    # found by a fuzz of symbolic chains: a value chosen by a rule (where) reached sympy traced
    report, explained = cnncalc.explain(spec)
    assert [e.index for e in explained] == [r.index for r in report.rows
                                            if r.kind not in ("add", "concat", "mul")]
