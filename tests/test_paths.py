"""Row paths (dsl.md §6): built so they can spell PyTorch's module names, checked against
the module paths of torchvision's ResNets and MobileNetV2 (tests/reference/zoo_layers.json and
torchvision_extra.json, measured from torchvision) and against the rule written out case by
case."""

import json
from pathlib import Path

import pytest

import cnncalc
from cnncalc import CnnCalcError

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"


def paths(spec):
    return [".".join(r.path) for r in cnncalc.analyze(spec).rows]


# example -> where its leaf modules, measured from torchvision, are kept: file, key, model
LEAVES = {
    "resnet18": ("zoo_layers.json", "models", "resnet18"),
    "resnet50": ("zoo_layers.json", "models", "resnet50"),
    "mobilenet_v2": ("torchvision_extra.json", "layers", "mobilenet_v2"),
}


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_every_weighted_layer_has_torchvisions_module_name(name):
    file, key, model = LEAVES[name]
    modules = json.loads((HERE / "reference" / file).read_text())[key][model]
    # [path, type, output shape, own params, MACs] for every leaf module torchvision runs
    theirs = [(path, params, shape) for path, _, shape, params, _ in modules if params]
    report = cnncalc.analyze(EXAMPLES / f"{name}.cnn")
    ours = [(".".join(r.path), r.params, list(r.output_shape)) for r in report.rows
            if r.params or r.buffers]
    assert ours == theirs


def test_automatic_names_count_unlabelled_siblings_of_a_kind():
    # conv1 even when alone; adding a later sibling renames nothing
    assert paths("input 1x8x8 | blk: { conv 8 k3 p1 | relu }") == ["blk.conv1", "blk.relu1"]
    assert paths("input 1x8x8 | blk: { conv 8 k3 p1 | relu | conv 8 k3 p1 }") == \
        ["blk.conv1", "blk.relu1", "blk.conv2"]
    assert paths("input 1x8x8 | relu6 | relu6") == ["relu6_1", "relu6_2"]


def test_labels_are_names_or_whole_numbers():
    assert paths("input 1x8x8 | 0: conv 8 k3 | 1: relu") == ["0", "1"]
    assert paths("input 1x8x8 | stem: conv 8 k3 | relu") == ["stem", "relu1"]


def test_calls_and_merges():
    # an unlabelled call is its def's name and index; a labelled call is its label; merge
    # blocks add no segment, so the branches' layers are siblings of the merge's own row
    spec = ("def b(c) { conv c k1 }\ninput 4x8x8\nb(4) | b(4) | x: b(4)\n"
            "add { conv 4 k1 } { conv 4 k3 p1 }")
    assert paths(spec) == ["b1.conv1", "b2.conv1", "x.conv1", "conv1", "conv2", "add1"]


def test_numbered_groups_and_labelled_repeats_count_from_zero():
    # as nn.Sequential numbers its children: layer3 of a ResNet-101 is one line
    spec = ("def blk(c) { conv c k1 }\ninput 4x8x8\n"
            "layer3: [ blk(4) | blk(4) * 22 ]")
    got = paths(spec)
    assert got == [f"layer3.{i}.conv1" for i in range(23)]
    assert paths("input 4x8x8 | blk: { conv 4 k1 | relu } * 2") == \
        ["blk.0.conv1", "blk.0.relu1", "blk.1.conv1", "blk.1.relu1"]
    assert paths("input 4x8x8 | blk: conv 4 k1 * 3") == ["blk.0", "blk.1", "blk.2"]


def test_labelled_branches():
    spec = ("input 64x8x8 | residual { conv 128 k3 s2 p1 | bn } "
            "shortcut downsample: [ conv 128 k1 s2 | bn ]")
    assert paths(spec) == ["conv1", "bn1", "downsample.0", "downsample.1", "add1"]
    spec = "input 8x8x8 | concat a: { conv 4 k1 } b: { conv 4 k1 | relu }"
    assert paths(spec) == ["a.conv1", "b.conv1", "b.relu1", "concat1"]


@pytest.mark.parametrize("spec, first_line, second_line", [
    ("input 1x8x8\na: conv 8 k3\na: relu", 2, 3),
    ("input 1x8x8\nconv1: relu\nconv 8 k3", 2, 3),     # a label and an automatic name
])
def test_two_rows_with_one_path_are_an_error(spec, first_line, second_line):
    with pytest.raises(CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert "two rows are named" in e.value.message
    assert f"line {first_line}" in e.value.message and e.value.line == second_line


@pytest.mark.parametrize("spec", ["input 1x8x8 | [ conv 8 k3 ]",
                                  "input 8x8x8 | residual { conv 8 k1 } shortcut [ conv 8 k1 ]"])
def test_a_numbered_group_needs_a_label(spec):
    with pytest.raises(CnnCalcError) as e:
        cnncalc.analyze(spec)
    assert "needs a label" in e.value.message and e.value.span is not None


def test_a_label_that_is_not_a_name():
    with pytest.raises(CnnCalcError) as e:
        cnncalc.analyze("input 1x8x8 | 1x2: conv 8 k3")
    assert "a label is a name or a whole number" in e.value.message
