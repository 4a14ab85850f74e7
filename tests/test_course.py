"""The course's worked examples (dsl.md section 8 and the seeds), with the arithmetic written
out as the course writes it."""

import pytest

import cnncalc


def out_shape(spec):
    r = cnncalc.analyze(spec)
    return r.display_shape(r.totals.output_shape)


@pytest.mark.parametrize("spec, expected", [
    ("input 1x7x7 | conv 1 k3", [1, 5, 5]),            # (7 - 3)/1 + 1 = 5
    ("input 1x7x7 | conv 1 k3 s2", [1, 3, 3]),         # (7 - 3)/2 + 1 = 3
    ("input 1x7x7 | conv 1 k3 p1", [1, 7, 7]),         # (7 + 2 - 3)/1 + 1 = 7
    ("input 1x7x7 | conv 1 k3 s2 p1", [1, 4, 4]),      # (7 + 2 - 3)/2 + 1 = 4
    ("input 1x4x4 | maxpool k2", [1, 2, 2]),           # 4/2 = 2
    ("input 3x227x227 | conv 96 k11 s4", [96, 55, 55]),  # (227 - 11)/4 + 1 = 55
    ("input 3x32x32 | conv 16 k3 p1 | relu | maxpool k2 | conv 20 k3 p1", [20, 16, 16]),
])
def test_output_sizes(spec, expected):
    assert out_shape(spec) == expected


def test_stride_that_does_not_tile_warns():
    r = cnncalc.analyze("input 1x7x7 | conv 1 k3 s3")
    assert r.display_shape(r.totals.output_shape) == [1, 2, 2]   # floor(2.33) = 2
    assert len(r.warnings) == 1
    assert "2.33" in r.warnings[0].message


def test_quiz_32x32x3_ten_5x5_filters():
    # (32 - 5 + 2·2)/1 + 1 = 32 -> 32x32x10; each filter 5·5·3 + 1 = 76, so 76 · 10 = 760
    r = cnncalc.analyze("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert r.display_shape(r.totals.output_shape) == [32, 32, 10]
    assert r.totals.params == 760


def test_alexnet_first_layer_params():
    # 11·11·3·96 weights + 96 biases = 34,848 + 96 = 34,944
    assert cnncalc.analyze("input 3x227x227 | conv 96 k11 s4").totals.params == 34944


def test_receptive_field_of_stacked_3x3():
    # two 3x3 convs see 5x5; three see 7x7
    assert cnncalc.analyze("input 1x32x32 | conv 1 k3 | conv 1 k3").totals.rf == (5, 5)
    assert cnncalc.analyze("input 1x32x32 | conv 1 k3 | conv 1 k3 | conv 1 k3").totals.rf == (7, 7)
