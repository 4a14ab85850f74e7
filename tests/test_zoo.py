"""The examples against figures measured from torchvision (tests/reference/zoo.json, a copy
of the project's shared/reference/zoo.json), the ZF Net paper's sizes, and published
receptive fields."""

import json
from pathlib import Path

import pytest

import cnncalc

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _zoo():
    return json.loads((Path(__file__).parent / "reference" / "zoo.json").read_text())["models"]


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg16", "googlenet", "resnet18",
                                  "resnet50"])
def test_example_equals_torchvision(name):
    ref = _zoo()[name]
    r = cnncalc.analyze(EXAMPLES / f"{name}.cnn")
    assert list(r.input.shape) == ref["input"]
    assert list(r.totals.output_shape) == ref["output"]
    assert r.totals.params == ref["params"]
    assert r.totals.buffers == ref["buffers"]
    assert r.totals.macs == ref["macs"]


def test_resnet50_headline_figures():
    # dsl.md section 5: ResNet-50 at 224 is 4,089,184,256 MACs; FLOPs are twice that
    t = cnncalc.analyze(EXAMPLES / "resnet50.cnn").totals
    assert t.macs == 4_089_184_256
    assert t.flops == 2 * 4_089_184_256


def test_zfnet_follows_figure_3():
    # Zeiler & Fergus 2013, Figure 3: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6
    r = cnncalc.analyze(EXAMPLES / "zfnet.cnn")
    spatial = []
    for row in r.rows:
        if row.kind in ("conv", "maxpool") and len(row.output_shape) == 3:
            spatial.append(row.output_shape[1])
    assert spatial == [110, 55, 26, 13, 13, 13, 13, 6]
    fcs = [row.output_shape for row in r.rows if row.kind == "fc"]
    assert fcs == [(4096,), (4096,), (1000,)]


def _rf_at_last_maxpool(name):
    r = cnncalc.analyze(EXAMPLES / f"{name}.cnn")
    pools = [row for row in r.rows if row.kind == "maxpool"]
    return pools[-1].rf


def test_alexnet_receptive_field_195():
    # Araujo et al., Distill 2019, Table 1: AlexNet's field at its last max pool is 195
    assert _rf_at_last_maxpool("alexnet") == (195, 195)


def test_vgg16_receptive_field_212():
    # Araujo et al., Distill 2019, Table 1: VGG-16's field at its last max pool is 212
    assert _rf_at_last_maxpool("vgg16") == (212, 212)


def test_course_cifar_net():
    # 32x32x3 -> conv 16 (pad 1) 32x32x16 -> pool 16x16x16 -> conv 20 (pad 1) 16x16x20
    r = cnncalc.analyze(EXAMPLES / "cifar_course.cnn")
    shapes = [row.output_shape for row in r.rows if row.kind in ("conv", "maxpool")]
    assert shapes[:3] == [(16, 32, 32), (16, 16, 16), (20, 16, 16)]


def test_every_example_analyzes_cleanly():
    for path in sorted(EXAMPLES.glob("*.cnn")):
        r = cnncalc.analyze(path)
        assert r.rows, path
