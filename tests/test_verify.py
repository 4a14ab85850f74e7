"""`verify`: every example agrees with its own run, and a formula that is wrong — patched in
here — is caught, so the comparison can fail."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cnncalc
from cnncalc import formulas
from cnncalc.cli import main
from cnncalc.layers import REGISTRY

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SMALL = {"alexnet": "3x96x96", "zfnet": "3x96x96", "vgg16": "3x32x32", "googlenet": "3x64x64",
         "resnet18": "3x64x64", "resnet50": "3x64x64", "mobilenet_v2": "3x64x64",
         "shufflenet_v2": "3x64x64", "efficientnet_b0": "3x64x64"}


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.cnn")))
def test_every_example_verifies(name):
    result = cnncalc.verify(EXAMPLES / f"{name}.cnn", input=SMALL.get(name))
    assert result.differences == [], result.differences[:3]
    assert result.rows == len(result.report.rows) > 0


def test_a_wrong_parameter_formula_is_caught(monkeypatch):
    # a conv with one bias too many: (3·3·3 + 1)·8 + 1 = 225 against the 224 allocated
    monkeypatch.setattr(formulas, "conv_params", lambda *a, **k: 225)
    result = cnncalc.verify("input 3x8x8 | conv 8 k3")
    (d,) = result.differences
    assert (d.what, d.analysis, d.measured) == ("params", 225, 224)


def test_a_wrong_mac_count_is_caught(monkeypatch):
    # fc 4 on 3x2x2: 12 inputs · 4 outputs = 48 multiply-accumulates really performed
    monkeypatch.setattr(REGISTRY["fc"], "macs", lambda layer, x, y: 47)
    result = cnncalc.verify("input 3x2x2 | fc 4")
    (d,) = result.differences
    assert (d.what, d.analysis, d.measured) == ("MACs", 47, 48)


def test_a_wrong_shape_rule_is_caught(monkeypatch):
    # the transposed convolution's output: (4 - 1)·2 - 2·1 + 4 = 8; a rule saying 9 is caught
    monkeypatch.setattr(formulas, "deconv_out", lambda *a, **k: 9)
    result = cnncalc.verify("input 2x4x4 | deconv 3 k4 s2 p1")
    assert {(d.what, d.analysis, d.measured) for d in result.differences} == \
        {("output", (3, 9, 9), (3, 8, 8))}


def test_cli_exit_statuses(monkeypatch):
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", "input 3x8x8 | conv 8 k3 | bn | relu | fc 10", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    monkeypatch.setattr(formulas, "linear_params", lambda *a, **k: 1)
    bad = runner.invoke(main, ["verify", "input 3x8x8 | fc 10", "--json"])
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["differences"] == [{"index": 1, "path": "fc1", "what": "params",
                                    "analysis": 1, "measured": 3 * 8 * 8 * 10 + 10}]
    invalid = runner.invoke(main, ["verify", "input 3x8x8 | conv 8 k9"])
    assert invalid.exit_code == 2
