"""Every layer kind and alias of dsl.md section 4, and the composition forms of section 6,
through `cnncalc.analyze`.

Shapes in `report.rows[i]` are channels first whatever the input layout. Every expected number
is worked out by hand beside it, from PyTorch's documented formulas:
    conv:   out = floor((n + 2p - d(k-1) - 1)/s) + 1; params (C/g)·OUT·prod(k) + OUT
    deconv: out = (n-1)s - 2p + d(k-1) + op + 1;    params C·(OUT/g)·prod(k) + OUT
    MACs:   conv (C/g)·prod(k)·OUT · output positions; deconv weights · input positions;
            fc IN·OUT; bias never counted; FLOPs = 2·MACs
    RF:     r_out = r_in + d(k-1)·j_in, j_out = j_in·s,
            start_out = start_in + (d(k-1)/2 - p_left)·j_in (Araujo et al., Distill 2019)
"""

from fractions import Fraction

import pytest

import cnncalc
from cnncalc import CnnCalcError


def analyze(spec, **kw):
    return cnncalc.analyze(spec, **kw)


def one(spec):
    """The single row of a one-layer spec."""
    report = analyze(spec)
    assert len(report.rows) == 1, [r.path for r in report.rows]
    return report.rows[0]


def last(spec):
    return analyze(spec).rows[-1]


# --- conv ---------------------------------------------------------------------------------------

def test_conv_basic():
    r = one("input 3x32x32 | conv 16 k3 p1")
    assert r.kind == "conv"
    assert r.input_shape == (3, 32, 32)
    assert r.output_shape == (16, 32, 32)   # (32 + 2 - 3)/1 + 1 = 32
    assert r.params == 448                  # 3·16·9 + 16 = 432 + 16
    assert r.buffers == 0
    assert r.macs == 442368                 # 3·9·16 = 432 weights · 32·32 = 1024 positions
    assert r.flops == 884736                # 2 · 442,368
    assert r.rf == (3, 3) and r.jump == (1, 1) and r.start == (0, 0)   # (1 - 1)·1 = 0


@pytest.mark.parametrize("alias", ["conv", "conv2d"])
def test_conv_aliases_2d(alias):
    r = one(f"input 3x227x227 | {alias} 96 k11 s4")
    assert r.kind == "conv"
    assert r.output_shape == (96, 55, 55)   # (227 - 11)/4 + 1 = 55
    assert r.params == 34944                # 11·11·3·96 + 96 = 34,848 + 96
    assert r.macs == 105415200              # 34,848 weights · 55·55 = 3025


def test_conv_groups():
    r = one("input 4x10x10 | conv 8 k3 g2")
    assert r.output_shape == (8, 8, 8)      # (10 - 3)/1 + 1 = 8
    assert r.params == 152                  # (4/2)·8·9 + 8 = 144 + 8
    assert r.macs == 9216                   # (4/2)·9·8 = 144 · 64 positions


def test_conv_groups_option_name():
    assert one("input 4x10x10 | conv 8 k3 groups=4").params == 80   # (4/4)·8·9 + 8 = 72 + 8


def test_conv_dilation():
    r = one("input 3x32x32 | conv 8 k3 d2")
    assert r.output_shape == (8, 28, 28)    # (32 - 2·2 - 1)/1 + 1 = 28
    assert r.params == 224                  # 3·8·9 + 8 (dilation adds no weights)
    assert r.macs == 169344                 # 216 weights · 28·28 = 784
    assert r.rf == (5, 5)                   # 1 + 2·(3-1)·1
    assert r.start == (2, 2)                # 0 + (2·2/2 - 0)·1


def test_conv_stride_padding_dilation_together():
    r = one("input 3x32x32 | conv 8 k3 s2 p1 d2")
    assert r.output_shape == (8, 15, 15)    # floor((32 + 2 - 5)/2) + 1 = 14 + 1
    assert r.macs == 48600                  # 216 · 225
    assert r.rf == (5, 5) and r.jump == (2, 2)
    assert r.start == (1, 1)                # (2 - 1)·1


@pytest.mark.parametrize("spec", ["input 4x10x10 | conv 8 k3 nobias",
                                  "input 4x10x10 | conv 8 k3 bias=false"])
def test_conv_without_bias(spec):
    r = one(spec)
    assert r.params == 288                  # 4·8·9, no + 8
    assert r.macs == 18432                  # 36·8 = 288 weights · 64: the same with a bias


def test_conv_bias_true_is_the_default():
    assert one("input 4x10x10 | conv 8 k3 bias=true").params == 296   # 288 + 8


def test_conv_per_axis_kernel_and_padding():
    r = one("input 3x10x12 | conv 4 k3x5 p=1x2")
    assert r.output_shape == (4, 10, 12)    # H (10 + 2 - 3) + 1 = 10; W (12 + 4 - 5) + 1 = 12
    assert r.params == 184                  # 3·4·(3·5) + 4 = 180 + 4
    assert r.macs == 21600                  # 180 weights · 10·12 = 120
    assert r.rf == (3, 5)
    assert r.start == (0, 0)                # (1 - 1), (2 - 2)


def test_conv_per_axis_stride():
    r = one("input 1x9x9 | conv 1 k3 s=1x2")
    assert r.output_shape == (1, 7, 4)      # (9 - 3)/1 + 1 = 7; (9 - 3)/2 + 1 = 4
    assert r.jump == (1, 2)


@pytest.mark.parametrize("alias", ["conv", "conv1d"])
def test_conv_1d(alias):
    r = one(f"input 300x50 | {alias} 100 k3")
    assert r.output_shape == (100, 48)      # 50 - 3 + 1
    assert r.params == 90100                # 300·100·3 + 100
    assert r.macs == 4320000                # 90,000 weights · 48 positions
    assert r.rf == (3,)


@pytest.mark.parametrize("alias", ["conv", "conv3d"])
def test_conv_3d(alias):
    r = one(f"input 1x16x112x112 | {alias} 64 k3 p1")
    assert r.output_shape == (64, 16, 112, 112)
    assert r.params == 1792                 # 1·64·27 + 64
    # 27·64 = 1728 weights · 16·112·112 = 200,704 positions = 346,816,512
    assert r.macs == 346816512
    assert r.rf == (3, 3, 3)


@pytest.mark.parametrize("spec, hw", [
    ("input 1x7x7 | conv 1 k3 s2 p=same", 4),   # ceil(7/2) = 4
    ("input 1x8x8 | conv 1 k3 s2 p=same", 4),   # ceil(8/2) = 4 (total pad 1, on the right)
    ("input 1x8x8 | conv 1 k4 p=same", 8),      # ceil(8/1) = 8 (total pad 3: 1 + 2)
    ("input 1x8x8 | conv 1 k3 d2 p=same", 8),   # total pad 4
    ("input 1x8x8 | conv 1 k3 p=valid", 6),     # 8 - 3 + 1
    ("input 1x8x8 | conv 1 k3 p=full", 10),     # p = 2 each side: 8 + 4 - 3 + 1
])
def test_conv_padding_keywords(spec, hw):
    assert one(spec).output_shape == (1, hw, hw)


def test_same_padding_puts_the_odd_pixel_right():
    # 8 -> k3 s2 same: total pad (4-1)·2 + 3 - 8 = 1: left 0, right 1, so the first window is
    # centred on pixel 1 (start = (1 - 0)·1); with left 1 it would be 0.
    assert one("input 1x8x8 | conv 1 k3 s2 p=same").start == (1, 1)
    # k4 same on 8: total 3, left 1: start (3/2 - 1) = 0.5
    assert one("input 1x8x8 | conv 1 k4 p=same").start == (0.5, 0.5)


@pytest.mark.parametrize("spec, hw", [
    ("input 1x7x7 | conv 1 k3", 5),        # (7 - 3)/1 + 1
    ("input 1x7x7 | conv 1 k3 s2", 3),     # (7 - 3)/2 + 1
    ("input 1x7x7 | conv 1 k3 p1", 7),     # (7 + 2 - 3)/1 + 1
    ("input 1x7x7 | conv 1 k3 s2 p1", 4),  # (7 + 2 - 3)/2 + 1
])
def test_conv_course_examples(spec, hw):
    r = analyze(spec)
    assert r.rows[0].output_shape == (1, hw, hw)
    assert r.warnings == []


def test_stride_that_does_not_tile_warns_and_strict_refuses():
    r = analyze("input 1x7x7 | conv 1 k3 s3")
    assert r.rows[0].output_shape == (1, 2, 2)   # floor((7 - 3)/3) + 1 = floor(1.33) + 1
    assert len(r.warnings) == 1 and "2.33" in r.warnings[0].message
    with pytest.raises(CnnCalcError):
        analyze("input 1x7x7 | conv 1 k3 s3", strict=True)


def test_repeat_keeps_padding():
    rows = analyze("input 3x8x8 | conv 4 k3 p=1 * 2").rows
    assert [r.output_shape for r in rows] == [(4, 8, 8), (4, 8, 8)]   # p=1 on both
    assert rows[0].params == 112 and rows[1].params == 148   # 3·4·9 + 4; 4·4·9 + 4


# --- dwconv -------------------------------------------------------------------------------------

def test_dwconv():
    r = one("input 8x10x10 | dwconv k3")
    assert r.kind == "dwconv"
    assert r.output_shape == (8, 8, 8)      # OUT = C = 8
    assert r.params == 80                   # conv with g = C: (8/8)·8·9 + 8
    assert r.macs == 4608                   # 1·9·8 = 72 weights · 64


def test_dwconv_multiplier():
    r = one("input 8x10x10 | dwconv k3 mult=2")
    assert r.output_shape == (16, 8, 8)     # OUT = C·mult = 16
    assert r.params == 160                  # (8/8)·16·9 + 16
    assert r.macs == 9216                   # 144 weights · 64


def test_dwconv_stride():
    r = one("input 32x112x112 | dwconv k3 s2 p1 nobias")
    assert r.output_shape == (32, 56, 56)   # floor((112 + 2 - 3)/2) + 1 = 55 + 1
    assert r.params == 288                  # 32·9 (MobileNet's stride-2 depthwise, no bias)


# --- deconv -------------------------------------------------------------------------------------

def test_deconv():
    r = one("input 16x4x4 | deconv 8 k4 s2 p1")
    assert r.kind == "deconv"
    assert r.output_shape == (8, 8, 8)      # (4-1)·2 - 2 + 3 + 0 + 1 = 8
    assert r.params == 2056                 # 16·8·16 + 8
    assert r.macs == 32768                  # 2048 weights · 4·4 INPUT positions
    assert r.jump == (0.5, 0.5)             # the output grid is twice as fine


@pytest.mark.parametrize("alias", ["convtranspose", "convtranspose2d"])
def test_deconv_alias_with_output_padding(alias):
    r = one(f"input 16x4x4 | {alias} 8 k3 s2 p1 op=1")
    assert r.kind == "deconv"
    assert r.output_shape == (8, 8, 8)      # 3·2 - 2 + 2 + 1 + 1 = 8
    assert r.params == 1160                 # 16·8·9 + 8
    assert r.macs == 18432                  # 1152 · 16


def test_deconv_output_padding_changes_only_the_size():
    r = one("input 16x4x4 | deconv 8 k3 s2 p1")
    assert r.output_shape == (8, 7, 7)      # 3·2 - 2 + 2 + 0 + 1 = 7
    assert r.params == 1160


def test_deconv_groups_nobias():
    r = one("input 4x3x3 | deconv 8 k3 s2 g2 nobias")
    assert r.output_shape == (8, 7, 7)      # 2·2 - 0 + 2 + 1
    assert r.params == 144                  # 4·(8/2)·9
    assert r.macs == 1296                   # 144 · 9 input positions


def test_deconv_dcgan_projection():
    r = one("input 100x1x1 | deconv 512 k4 nobias")
    assert r.output_shape == (512, 4, 4)    # 0 + 3 + 1
    assert r.params == 819200               # 100·512·16
    assert r.macs == 819200                 # weights · 1 input position


def test_deconv_3d():
    r = one("input 2x3x8x8 | convtranspose3d 4 k2 s2")
    assert r.output_shape == (4, 6, 16, 16)   # 2·2 + 1 + 1; 7·2 + 1 + 1
    assert r.params == 68                     # 2·4·8 + 4
    assert r.macs == 12288                    # 64 weights · 3·8·8 = 192 input positions


def test_deconv_1d():
    r = one("input 4x10 | convtranspose1d 2 k3 s2")
    assert r.output_shape == (2, 21)          # 9·2 + 2 + 1
    assert r.params == 26                     # 4·2·3 + 2
    assert r.macs == 240                      # 24 · 10


# --- pooling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["maxpool", "avgpool", "maxpool2d", "avgpool2d"])
def test_pool_default_stride_is_the_kernel(kind):
    r = one(f"input 1x4x4 | {kind} k2")
    assert r.kind in ("maxpool", "avgpool") and kind.startswith(r.kind)
    assert r.output_shape == (1, 2, 2)        # (4 - 2)/2 + 1 (course)
    assert r.params == 0 and r.buffers == 0 and r.macs == 0
    assert r.rf == (2, 2) and r.jump == (2, 2)
    assert r.start == (0.5, 0.5)              # (1/2 - 0)·1


def test_pool_explicit_stride():
    r = one("input 16x13x13 | maxpool k3 s2")
    assert r.output_shape == (16, 6, 6)       # (13 - 3)/2 + 1 = 6
    assert r.rf == (3, 3) and r.jump == (2, 2)


def test_pool_per_axis_kernel_default_stride():
    r = one("input 1x9x9 | maxpool k2x3")
    assert r.output_shape == (1, 4, 3)        # floor((9 - 2)/2) + 1 = 4; (9 - 3)/3 + 1 = 3


def test_pool_floor_and_ceil():
    floor = analyze("input 3x7x7 | maxpool k2")
    assert floor.rows[0].output_shape == (3, 3, 3)   # floor((7 - 2)/2) + 1 = 2 + 1
    assert len(floor.warnings) == 1                  # the 7th row and column are unused
    ceil = analyze("input 3x7x7 | maxpool k2 ceil")
    assert ceil.rows[0].output_shape == (3, 4, 4)    # ceil(2.5) + 1 = 4
    assert ceil.warnings == []                       # ceil mode reads every pixel


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # n=5, k2, s2, p1: ceil((5 + 2 - 2)/2) + 1 = 4, but window 4 starts at 6 (padded index)
    # = n + p_left: wholly in the right padding; PyTorch drops it -> 3
    assert one("input 1x5x5 | maxpool k2 s2 p1 ceil").output_shape == (1, 3, 3)
    # n=4, k2, s3, p1: ceil(4/3) + 1 = 3; window 3 starts at 6 >= 4 + 1 -> 2
    assert one("input 1x4x4 | avgpool k2 s3 p1 ceil").output_shape == (1, 2, 2)


def test_googlenet_ceil_pool():
    assert one("input 64x112x112 | maxpool k3 s2 ceil").output_shape == (64, 56, 56)
    # ceil((112 - 3)/2) + 1 = ceil(54.5) + 1 = 56


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
def test_global_pool(kind):
    r = one(f"input 3x7x7 | {kind} global")
    assert r.output_shape == (3, 1, 1)
    assert r.rf == (7, 7)                     # the whole input
    assert r.start == (3, 3)                  # centre of 0..6


def test_global_pool_combines_its_positions_like_a_window():
    # dsl.md §5: not clipped to the image. conv k3 s2 p1: r 3, j 2, 16 positions; the pool
    # combines them: 3 + (16 - 1)·2 = 33
    r = last("input 3x32x32 | conv 8 k3 s2 p1 | avgpool global")
    assert r.output_shape == (8, 1, 1)
    assert r.rf == (33, 33)


def test_flatten_keeps_the_field_and_fc_combines_the_positions():
    r = analyze("input 3x32x32 | conv 8 k3 s2 p1 | flatten | fc 10")
    assert r.rows[1].rf == (3, 3)             # flatten: its input's field
    assert r.rows[2].rf == (33, 33)           # fc: 3 + (16 - 1)·2, as the global pool


def test_field_over_branches_is_the_union_of_their_windows():
    # branch 1: two k2 same convs, each padding 0 before and 1 after: first window [0, 2];
    # branch 2: k3 p1: [-1, 1]. The union [-1, 2] spans 4 (the largest alone would say 3)
    r = analyze("input 1x8x8 | add { conv 1 k2 p=same | conv 1 k2 p=same } { conv 1 k3 p1 }")
    assert r.rows[-1].rf == (4, 4)
    assert r.rows[-1].start == (Fraction(1, 2), Fraction(1, 2))   # the centre of [-1, 2]


def test_adaptive_pool():
    r = one("input 512x14x14 | avgpool out=7x7")
    assert r.output_shape == (512, 7, 7)
    assert r.params == 0 and r.macs == 0
    assert r.rf == (2, 2) and r.jump == (2, 2)   # 14/7 = 2: windows [2i, 2i+2)
    assert r.start == (0.5, 0.5)


def test_adaptive_pool_uneven():
    # PyTorch's window i is [floor(10i/7), ceil(10(i+1)/7)); i=2: [2, 5) has 3 pixels, the
    # largest; i=0: [0, 2) centred on 0.5
    r = one("input 1x10x10 | maxpool out=7")
    assert r.output_shape == (1, 7, 7)
    assert r.rf == (3, 3)
    assert r.start == (0.5, 0.5)


def test_pool_1d_and_3d():
    assert one("input 300x50 | maxpool k2").output_shape == (300, 25)
    assert one("input 300x50 | avgpool global").output_shape == (300, 1)
    assert one("input 2x4x8x8 | maxpool3d k2").output_shape == (2, 2, 4, 4)
    assert one("input 2x4x8x8 | avgpool3d k2").rf == (2, 2, 2)


# --- fc, flatten --------------------------------------------------------------------------------

@pytest.mark.parametrize("alias", ["fc", "linear", "dense"])
def test_fc_flattens_chw(alias):
    r = one(f"input 16x5x5 | {alias} 120")
    assert r.kind == "fc"
    assert r.output_shape == (120,)
    assert r.params == 48120                 # IN = 16·5·5 = 400: 400·120 + 120
    assert r.macs == 48000                   # 400·120
    assert "400" in (r.note or "")           # the row says it flattens to 400
    assert r.rf == (5, 5)                    # fc sees the whole input


def test_fc_nobias_on_a_vector():
    r = one("input 10 | fc 5 nobias")
    assert r.output_shape == (5,)
    assert r.params == 50 and r.macs == 50   # 10·5


def test_fc_on_3d_input():
    r = one("input 2x4x8x8 | fc 10")
    assert r.params == 5130                  # IN = 2·4·8·8 = 512: 5120 + 10
    assert r.macs == 5120


def test_lenet5():
    r = analyze("input 1x32x32 | conv 6 k5 | relu | maxpool k2 | conv 16 k5 | relu | maxpool k2"
                " | fc 120 | relu | fc 84 | relu | fc 10")
    # conv1 1·6·25 + 6 = 156; conv2 6·16·25 + 16 = 2416; fc 400·120 + 120 = 48,120;
    # 120·84 + 84 = 10,164; 84·10 + 10 = 850: 61,706 (LeCun et al.'s figure)
    assert r.totals.params == 61706
    # MACs: 150·28·28 = 117,600; 2400·10·10 = 240,000; 48,000 + 10,080 + 840 = 58,920
    assert r.totals.macs == 416520
    assert r.totals.flops == 833040
    assert r.totals.output_shape == (10,)


def test_flatten():
    r = one("input 16x5x5 | flatten")
    assert r.output_shape == (400,)          # 16·5·5
    assert r.params == 0 and r.macs == 0
    assert one("input 2x4x8x8 | flatten").output_shape == (512,)
    rows = analyze("input 16x5x5 | flatten | fc 10").rows
    assert rows[1].params == 4010            # 400·10 + 10


# --- bn, activations, prelu, dropout, lrn ------------------------------------------------------

@pytest.mark.parametrize("alias", ["bn", "batchnorm", "batchnorm2d"])
def test_batchnorm(alias):
    r = one(f"input 8x4x4 | {alias}")
    assert r.kind == "bn"
    assert r.output_shape == (8, 4, 4)
    assert r.params == 16                    # 2C: weight and bias
    assert r.buffers == 16                   # 2C: running mean and variance
    assert r.macs == 0


def test_param_bytes_count_parameters_not_buffers():
    # torchinfo's "Params size" sums the parameters' bytes; BN's running stats are buffers
    t = analyze("input 8x4x4 | bn").totals
    assert t.param_bytes == 64                  # 16 params · 4 bytes
    assert t.total_bytes == 512 + 2 * 512 + 64  # input 8·16·4 + 2 × the bn output + params


def test_batchnorm_1d():
    r = one("input 300x50 | bn")
    assert r.params == 600 and r.buffers == 600   # 2·300


ACTIVATIONS = ["relu", "relu6", "leakyrelu", "elu", "selu", "gelu", "sigmoid", "tanh", "silu",
               "hardswish", "hardsigmoid", "mish", "softmax"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name):
    rows = analyze(f"input 8x6x6 | conv 8 k3 | {name}").rows
    r = rows[1]
    assert r.kind == name
    assert r.output_shape == (8, 4, 4)       # unchanged from the conv's 6 - 3 + 1
    assert r.params == 0 and r.buffers == 0 and r.macs == 0
    assert r.rf == (3, 3) and r.jump == (1, 1) and r.start == (1, 1)   # the conv's field


def test_leakyrelu_with_a_decimal_slope():
    assert one("input 8x4x4 | leakyrelu 0.01").output_shape == (8, 4, 4)


def test_prelu():
    assert one("input 8x4x4 | prelu").params == 1              # one shared slope
    assert one("input 8x4x4 | prelu per_channel").params == 8  # one per channel: C


@pytest.mark.parametrize("spec", ["input 8x4x4 | dropout", "input 8x4x4 | dropout 0.2",
                                  "input 8x4x4 | lrn", "input 8x4x4 | lrn 3"])
def test_dropout_and_lrn(spec):
    r = one(spec)
    assert r.output_shape == (8, 4, 4)
    assert r.params == 0 and r.macs == 0 and r.buffers == 0


# --- upsample, pad, shuffle ---------------------------------------------------------------------

def test_upsample():
    assert one("input 8x4x6 | upsample 2").output_shape == (8, 8, 12)     # n·2
    assert one("input 8x4x6 | upsample 2x3").output_shape == (8, 8, 18)   # 4·2, 6·3
    assert one("input 8x4x6 | upsample").output_shape == (8, 8, 12)       # factor 2 by default
    assert one("input 4x10 | upsample 3").output_shape == (4, 30)
    r = one("input 8x4x6 | upsample 2")
    assert r.params == 0 and r.macs == 0
    assert r.jump == (0.5, 0.5)


def test_pad():
    r = one("input 3x4x6 | pad 1")
    assert r.output_shape == (3, 6, 8)       # n + 2·1
    assert r.start == (-1, -1)               # the first output pixel is padding left of 0
    assert one("input 3x4x6 | pad 1x2").output_shape == (3, 6, 10)   # 4 + 2, 6 + 4
    # pad 1 | conv k3 is conv k3 p1
    assert last("input 1x8x8 | pad 1 | conv 1 k3").start == (0, 0)
    assert last("input 1x8x8 | pad 1 | conv 1 k3").output_shape == (1, 8, 8)


def test_pad_zero_on_one_axis():
    # PyTorch's ZeroPad2d((1, 1, 0, 0)): only the width padded; 'p' in conv already takes 0x1
    assert one("input 3x4x6 | pad 0x1").output_shape == (3, 4, 8)   # 4 + 0, 6 + 2
    assert one("input 3x4x6 | pad 0").output_shape == (3, 4, 6)     # ZeroPad2d(0): identity


@pytest.mark.parametrize("alias", ["shuffle", "channelshuffle"])
def test_shuffle(alias):
    r = one(f"input 8x4x4 | {alias} 4")
    assert r.kind == "shuffle"
    assert r.output_shape == (8, 4, 4)
    assert r.params == 0


def test_shuffle_needs_divisible_channels():
    with pytest.raises(CnnCalcError):
        analyze("input 8x4x4 | shuffle 3")    # 8 is not divisible by 3


# --- embed --------------------------------------------------------------------------------------

@pytest.mark.parametrize("alias", ["embed", "embedding"])
def test_embed(alias):
    r = one(f"input 50 | {alias} 10000 300")
    assert r.kind == "embed"
    assert r.output_shape == (300, 50)       # DIM x 50
    assert r.params == 3000000               # 10,000·300
    assert r.macs == 0                       # a look-up, not a product


def test_text_cnn():
    r = analyze("input 50 | embed 10000 300 | conv 100 k3 | relu | maxpool global | fc 2")
    shapes = [row.output_shape for row in r.rows]
    assert shapes == [(300, 50), (100, 48), (100, 48), (100, 1), (2,)]
    # 3,000,000 + (300·100·3 + 100 = 90,100) + (100·2 + 2 = 202)
    assert r.totals.params == 3090302
    # conv 90,000·48 = 4,320,000; fc 200
    assert r.totals.macs == 4320200
    assert r.rows[3].rf == (50,)             # the global pool sees all 50 tokens


# --- receptive fields ---------------------------------------------------------------------------

@pytest.mark.parametrize("layer, start", [
    ("conv 1 k7 s2 p3", 0),     # (3 - 3)·1
    ("conv 1 k3", 1),           # (1 - 0)·1
    ("conv 1 k2", 0.5),         # (1/2)·1
])
def test_rf_start_examples_of_cli_md(layer, start):
    r = one(f"input 1x32x32 | {layer}")
    assert r.start == (start, start)


def test_stacked_3x3():
    assert analyze("input 1x32x32 | conv 1 k3 | conv 1 k3").totals.rf == (5, 5)   # 3 + 2
    assert analyze("input 1x32x32 | conv 1 k3 | conv 1 k3 | conv 1 k3").totals.rf == (7, 7)


def test_resnet_stem_rf():
    r = last("input 3x224x224 | conv 64 k7 s2 p3 | maxpool k3 s2 p1")
    assert r.output_shape == (64, 56, 56)
    assert r.rf == (11, 11)                  # 7 + (3-1)·2
    assert r.jump == (4, 4)                  # 2·2
    assert r.start == (0, 0)                 # 0 + (1 - 1)·2


def test_alexnet_features_rf():
    r = analyze("input 3x227x227 | conv 96 k11 s4 | relu | maxpool k3 s2 | conv 256 k5 p2 | relu"
                " | maxpool k3 s2 | conv 384 k3 p1 | relu | conv 384 k3 p1 | relu"
                " | conv 256 k3 p1 | relu | maxpool k3 s2")
    # 55 -> 27 -> 27 -> 13 -> 13 -> 13 -> 13 -> 6
    assert r.totals.output_shape == (256, 6, 6)
    # 11; +2·4 = 19; +4·8 = 51; +2·8 = 67; +2·16 = 99, 131, 163; +2·16 = 195
    assert [row.rf[0] for row in r.rows if row.kind != "relu"] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert r.totals.jump == (32, 32)         # 4·2·2·2


def test_dilated_context_rf():
    r = analyze("input 1x64x64 | conv 1 k3 p1 | conv 1 k3 p2 d2 | conv 1 k3 p4 d4")
    assert [row.rf for row in r.rows] == [(3, 3), (7, 7), (15, 15)]   # +2, +4, +8
    assert r.totals.output_shape == (1, 64, 64)


def test_fc_reports_the_whole_input():
    r = analyze("input 3x32x32 | conv 8 k3 | fc 10")
    assert r.rows[0].rf == (3, 3)
    assert r.rows[1].rf == (32, 32)
    assert r.totals.rf == (32, 32)


def test_rf_over_branches_is_the_largest():
    r = analyze("input 8x16x16 | concat { conv 8 k1 } { conv 8 k5 p2 } { conv 8 k3 p1 }")
    assert r.rows[-1].kind == "concat"
    assert r.rows[-1].rf == (5, 5)
    r = analyze("input 8x16x16 | residual { conv 8 k3 s2 p1 | conv 8 k3 p1 } "
                "shortcut { conv 8 k1 s2 }")
    assert r.rows[-1].rf == (7, 7)           # main 3 + 2·2 = 7 against the shortcut's 1
    assert r.rows[-1].jump == (2, 2)


def test_rf_after_squeeze_excite_keeps_the_feature_map_grid():
    r = analyze("input 64x8x8 | mul { } { avgpool global | conv 16 k1 | relu | conv 64 k1 "
                "| sigmoid } | conv 64 k3 p1")
    mul = r.rows[-2]
    assert mul.kind == "mul"
    assert mul.rf == (8, 8)                  # the excite branch saw the whole 8x8 input
    # The product is still an 8x8 map whose neighbours are 1 input pixel apart.
    assert mul.jump == (1, 1)
    # The next 3x3 conv grows the largest field by (k-1)·j = 2·1, as Araujo's formula does
    # everywhere (it counts padding: ResNet-50 reaches 427 on a 224 input): 8 + 2 = 10.
    # (With the excite branch's jump of 8 it would wrongly be 8 + 2·8 = 24.)
    assert r.rows[-1].rf == (10, 10)
    assert r.rows[-1].jump == (1, 1)


# --- composition --------------------------------------------------------------------------------

def test_residual_identity():
    r = analyze("input 64x8x8 | residual { conv 64 k3 p1 | bn | relu | conv 64 k3 p1 | bn }")
    assert [row.kind for row in r.rows] == ["conv", "bn", "relu", "conv", "bn", "add"]
    assert r.rows[-1].output_shape == (64, 8, 8)
    assert r.rows[-1].params == 0 and r.rows[-1].macs == 0
    # 2·(64·64·9 + 64) + 2·(2·64) = 2·36,928 + 256 = 74,112
    assert r.totals.params == 74112
    assert r.totals.buffers == 256           # 2 BNs · 2·64
    assert r.totals.macs == 4718592          # 2 · 36,864 weights · 64 positions
    assert r.totals.rf == (5, 5)


def test_residual_with_shortcut():
    r = analyze("input 64x8x8 | residual { conv 128 k3 s2 p1 } shortcut { conv 128 k1 s2 }")
    assert [row.kind for row in r.rows] == ["conv", "conv", "add"]
    assert r.totals.output_shape == (128, 4, 4)   # floor((8 + 2 - 3)/2) + 1 = 4; (8-1)//2 + 1
    assert [row.path for row in r.rows] == [("conv1",), ("conv2",), ("add1",)]
    labelled = analyze("input 64x8x8 | residual { conv 128 k3 s2 p1 } "
                       "shortcut downsample: [ conv 128 k1 s2 ]")
    assert [row.path for row in labelled.rows] == [("conv1",), ("downsample", "0"), ("add1",)]
    # 64·128·9 + 128 = 73,856; 64·128 + 128 = 8,320
    assert r.totals.params == 82176
    assert r.totals.macs == 1310720          # (73,728 + 8,192) · 16


def test_add_with_identity():
    r = analyze("input 8x8x8 | add { conv 8 k1 } { }")
    assert [row.kind for row in r.rows] == ["conv", "add"]
    assert r.totals.params == 72             # 8·8 + 8


def test_concat_sums_channels():
    r = analyze("input 64x8x8 | concat { conv 64 k1 } { conv 96 k1 | conv 128 k3 p1 } "
                "{ maxpool k3 s1 p1 | conv 32 k1 }")
    assert r.rows[-1].kind == "concat"
    assert r.totals.output_shape == (224, 8, 8)   # 64 + 128 + 32
    # 64·64 + 64 = 4160; 64·96 + 96 = 6240; 96·128·9 + 128 = 110,720; 64·32 + 32 = 2080
    assert r.totals.params == 123200
    # (4096 + 6144 + 110,592 + 2048) · 64 = 122,880 · 64
    assert r.totals.macs == 7864320


def test_mul_squeeze_excite():
    r = analyze("input 64x8x8 | mul { } { avgpool global | conv 16 k1 | relu | conv 64 k1 "
                "| sigmoid }")
    assert r.rows[-1].kind == "mul"
    assert r.rows[0].output_shape == (64, 1, 1)
    assert r.totals.output_shape == (64, 8, 8)    # 64x8x8 · 64x1x1 broadcasts to 64x8x8
    assert r.totals.params == 2128               # (64·16 + 16) + (16·64 + 64) = 1040 + 1088
    assert r.totals.macs == 2048                 # 1024 + 1024 on a 1x1 map


def test_split_shares_channels_and_concatenates():
    r = analyze("input 116x8x8 | split { } { conv 58 k1 | relu | dwconv k3 p1 | conv 58 k1 }")
    assert r.rows[0].input_shape == (58, 8, 8)   # 116 / 2
    assert r.rows[-1].kind == "concat"
    assert r.totals.output_shape == (116, 8, 8)  # 58 + 58
    # 2·(58·58 + 58 = 3422) + (58·9 + 58 = 580) = 7424
    assert r.totals.params == 7424


@pytest.mark.parametrize("spec", [
    "input 4x8x8 | add { conv 4 k3 } { }",            # 4x6x6 + 4x8x8
    "input 4x8x8 | concat { conv 4 k3 } { }",         # 6x6 against 8x8
    "input 4x8x8 | mul { conv 4 k3 } { }",            # 6 against 8, neither is 1
    "input 3x8x8 | split { } { }",                    # 3 channels among 2 branches
    "input 4x8x8 | conv 6 k3 g4",                     # OUT 6 not divisible by g 4
    "input 6x8x8 | conv 8 k3 g4",                     # C 6 not divisible by g 4
    "input 1x4x4 | conv 1 k5",                        # kernel larger than the input
    "input 1x4x4 | conv 1 k3 d3",                     # dilated kernel 7 > 4
    "input 1x8x8 | maxpool k3 p2",                    # pooling padding above half the kernel
    "input 4x3x3 | deconv 8 k3 s2 op=2",              # op not below max(s, d) = 2
    "input 1x1x1 | deconv 1 k1 p1",                   # (1-1)·1 - 2 + 0 + 0 + 1 = -1 < 1
    "input 10 | conv 4 k3",                           # a vector has no spatial axes
    "input 50x50 | embed 10 4",                       # embed takes token ids (input L)
])
def test_invalid_specs_raise(spec):
    with pytest.raises(CnnCalcError):
        analyze(spec)


def test_pool_padding_limit_is_half_the_kernel_even_when_dilated():
    # PyTorch's pool2d_shape_check: kW/2 >= padW, i.e. 3//2 = 1 >= 2 fails: MaxPool2d(3,
    # dilation=2, padding=2) raises "pad should be smaller than or equal to half of kernel size"
    with pytest.raises(CnnCalcError):
        analyze("input 1x9x9 | maxpool k3 d2 p2")
    # within the limit: p = 1 = 3//2 is fine, floor((9 + 2 - 5)/3) + 1 = 3
    assert one("input 1x9x9 | maxpool k3 d2 p1").output_shape == (1, 3, 3)


def test_labels_and_nested_paths():
    r = analyze("def block(c) { conv c k3 p1 | relu }\n"
                "input 3x8x8\n"
                "stem: conv 8 k3 p1\n"
                "block(16) * 2")
    paths = [".".join(row.path) for row in r.rows]
    assert paths[0] == "stem"
    assert paths[1:] == ["block1.conv1", "block1.relu1", "block2.conv1", "block2.relu1"]
    assert r.rows[3].params == 16 * 16 * 9 + 16   # block(16) on 16 channels: 2320


# --- batch, memory, dtype -----------------------------------------------------------------------

def test_batch_scales_macs_and_activation_bytes_not_params():
    one_img = analyze("input 3x32x32 | conv 16 k3 p1")
    eight = analyze("input 3x32x32 batch=8 | conv 16 k3 p1")
    assert eight.totals.params == one_img.totals.params == 448
    assert eight.totals.macs == 3538944          # 8 · 442,368
    assert eight.totals.flops == 7077888
    assert eight.rows[0].output_bytes == 524288  # 16·32·32 elements · 4 bytes · 8
    assert eight.totals.input_bytes == 98304     # 3·32·32 · 4 · 8
    assert eight.totals.param_bytes == 1792      # 448 · 4, not scaled


def test_memory_totals_cifar():
    r = analyze("input 3x32x32\nconv 16 k3 p1 | relu | maxpool k2\n"
                "conv 20 k3 p1 | relu | maxpool k2\nfc 10")
    t = r.totals
    assert t.input_bytes == 12288                # 3·32·32 · 4
    # torchinfo's forward/backward size: 2 × the outputs of the layers with weights:
    # conv1 16·32·32 = 16,384, conv2 20·16·16 = 5120, fc 10 -> 21,514 elements · 4 · 2
    assert t.activation_bytes == 172112
    assert t.param_bytes == 64632                # 16,158 params · 4 (no buffers here)
    assert t.total_bytes == 12288 + 172112 + 64632 == 249032
    assert r.rows[0].output_bytes == 65536       # 16·32·32 · 4
    assert r.rows[2].output_bytes == 16384       # 16·16·16 · 4


def test_dtype_float16_halves_bytes():
    spec = "input 3x32x32 | conv 16 k3 p1"
    r = analyze(spec, dtype="float16")
    assert r.totals.input_bytes == 6144          # 3·32·32 · 2
    assert r.rows[0].output_bytes == 32768       # 16·32·32 · 2
    assert r.totals.param_bytes == 896           # 448 · 2
    assert r.totals.macs == 442368               # unchanged


def test_unknown_dtype_is_a_user_error():
    with pytest.raises(CnnCalcError):
        analyze("input 3x32x32 | conv 16 k3 p1", dtype="float13")


def test_hwc_layout():
    r = analyze("input 32x32x3 layout=hwc | conv 10 k5 s1 p2")
    assert r.rows[0].input_shape == (3, 32, 32)                 # kept channels first
    assert r.display_shape(r.totals.output_shape) == [32, 32, 10]   # shown as written
    assert r.totals.params == 760                               # (5·5·3 + 1)·10


def test_input_override():
    r = analyze("input 3x32x32 | conv 16 k3 p1 | maxpool k2", input="3x320x320")
    assert r.totals.output_shape == (16, 160, 160)
    assert r.totals.macs == 432 * 320 * 320      # 44,236,800


def test_fractional_jumps_stay_exact():
    # adaptive 10 -> 7: windows [floor(7i/... )] step 10/7 apart; JSON keeps 10/7 exact
    import json

    from cnncalc.render.json import render

    r = analyze("input 3x10x10 | avgpool out=7x7")
    assert r.rows[0].jump == (Fraction(10, 7), Fraction(10, 7))
    data = json.loads(render(r))
    assert data["layers"][0]["jump"] == ["10/7", "10/7"]
    assert json.loads(render(analyze("input 1x8x8 | conv 1 k2")))["layers"][0]["start"] == \
        [0.5, 0.5]                            # a half is exact as a number


# --- subsample (LeCun's trainable subsampling) and rbf (fixed Euclidean RBF) ------------------

def test_subsample_counts_a_coefficient_and_a_bias_per_channel():
    r = one("input 6x28x28 | subsample k2")
    assert r.output_shape == (6, 14, 14)
    assert (r.params, r.weights, r.biases) == (12, 6, 6)   # 6 x (coefficient + bias)
    assert r.macs == 6 * 14 * 14                           # one multiply per output: 1,176
    assert r.connections == (2 * 2 + 1) * 6 * 14 * 14      # 5 x 1,176 = 5,880


def test_subsample_nobias_and_stride():
    r = one("input 4x9x9 | subsample k3 s2 nobias")
    assert r.output_shape == (4, 4, 4)                     # (9 - 3)/2 + 1
    assert (r.params, r.biases) == (4, 0)
    assert r.connections == 9 * 4 * 4 * 4


def test_subsample_forward_sums_the_window():
    import numpy as np

    x = np.arange(16, dtype="float64").reshape(1, 1, 4, 4)
    weights = {"subsample1.weight": np.array([0.5]), "subsample1.bias": np.array([1.0])}
    y = cnncalc.run("input 1x4x4 | subsample k2", x, weights=weights, dtype="float64")
    # top-left window 0 + 1 + 4 + 5 = 10, times 0.5, plus 1
    assert y[0, 0].tolist() == [[6.0, 10.0], [22.0, 26.0]]


def test_rbf_weights_are_buffers_not_parameters():
    r = one("input 84 | rbf 10")
    assert r.output_shape == (10,)
    assert (r.params, r.buffers) == (0, 840)               # 84 x 10, fixed by hand
    assert r.macs == 840
    assert r.connections == 840                            # no bias
    report = analyze("input 84 | rbf 10")
    assert report.totals.trainable_params == 0


def test_rbf_forward_is_the_squared_distance():
    import numpy as np

    x = np.array([[1.0, 2.0]])
    weights = {"rbf1.weight": np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]])}
    y = cnncalc.run("input 2 | rbf 3", x, weights=weights, dtype="float64")
    # (0² + 0²), (1² + 2²), (2² + 3²)
    assert y.tolist() == [[0.0, 5.0, 13.0]]


def test_connections_of_the_usual_kinds():
    # conv: (C/g·k² + 1) per output element; fc: (IN + 1) per output; pooling: k² per output
    assert one("input 1x32x32 | conv 6 k5").connections == (25 + 1) * 6 * 28 * 28  # 122,304
    assert one("input 4x8x8 | conv 6 k3 g2 nobias").connections == 2 * 9 * 6 * 6 * 6
    assert one("input 120 | fc 84").connections == (120 + 1) * 84
    assert one("input 6x28x28 | maxpool k2").connections == 4 * 6 * 14 * 14
    assert one("input 6x28x28 | relu").connections == 0
