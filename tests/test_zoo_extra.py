"""The depthwise, split / shuffle and squeeze-excite examples against figures measured from
torchvision (tests/reference/torchvision_extra.json): MobileNetV2, ShuffleNet V2 1.0x and
EfficientNet-B0. The totals must be equal, and so must every convolution and linear layer,
taken in the order it runs: output shape, parameters and MACs."""

import json
from pathlib import Path

import pytest

import cnncalc

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE = ROOT / "tests" / "reference" / "torchvision_extra.json"

# example file -> torchvision model name in the reference
MODELS = {
    "mobilenet_v2": "mobilenet_v2",
    "shufflenet_v2": "shufflenet_v2_x1_0",
    "efficientnet_b0": "efficientnet_b0",
}


def _reference():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE.relative_to(ROOT)} is missing")
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("example", sorted(MODELS))
def test_totals_equal_torchvision(example):
    ref = _reference()["models"][MODELS[example]]
    r = cnncalc.analyze(EXAMPLES / f"{example}.cnn")
    assert list(r.input.shape) == ref["input"]
    assert list(r.totals.output_shape) == ref["output"]
    assert r.totals.params == ref["params"]
    assert r.totals.buffers == ref["buffers"]
    assert r.totals.macs == ref["macs"]


@pytest.mark.parametrize("example", sorted(MODELS))
def test_weighted_layers_in_order(example):
    # reference rows: [module path, type, output shape without batch, own params, MACs]
    ref = [row for row in _reference()["layers"][MODELS[example]]
           if row[1] in ("Conv2d", "Linear")]
    rows = [row for row in cnncalc.analyze(EXAMPLES / f"{example}.cnn").rows
            if row.kind in ("conv", "dwconv", "fc")]
    assert len(rows) == len(ref)
    for row, (path, kind, shape, params, macs) in zip(rows, ref):
        where = f"{'.'.join(row.path)} vs torchvision {path}"
        assert list(row.output_shape) == shape, where
        assert row.params == params, where
        assert row.macs == macs, where
        assert (row.kind == "fc") == (kind == "Linear"), where


@pytest.mark.parametrize("example", sorted(MODELS))
def test_batchnorm_layers_in_order(example):
    ref = [row for row in _reference()["layers"][MODELS[example]] if row[1] == "BatchNorm2d"]
    rows = [row for row in cnncalc.analyze(EXAMPLES / f"{example}.cnn").rows if row.kind == "bn"]
    assert [list(row.output_shape) for row in rows] == [row[2] for row in ref]
    assert [row.params for row in rows] == [row[3] for row in ref]


def test_the_examples_use_the_forms_they_exercise():
    kinds = {name: {row.kind for row in cnncalc.analyze(EXAMPLES / f"{name}.cnn").rows}
             for name in MODELS}
    assert {"dwconv", "add"} <= kinds["mobilenet_v2"]
    assert {"dwconv", "concat", "shuffle"} <= kinds["shufflenet_v2"]
    assert {"dwconv", "mul", "add", "silu", "sigmoid"} <= kinds["efficientnet_b0"]
    text = (EXAMPLES / "shufflenet_v2.cnn").read_text()
    assert "split {" in text and "shuffle 2" in text
