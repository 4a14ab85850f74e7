"""cnncalc.formulas against PyTorch's documented formulas, TensorFlow's SAME padding and the
course's worked examples.

Every expected number is worked out by hand in the comment beside it. Where a rule is easy to
state as "count the windows", a brute-force oracle written here (not in the package) checks
the closed form over a whole grid of sizes.
"""

import math

import pytest

from cnncalc import formulas as f


# --- independent oracles (written from the PyTorch / TensorFlow docs, not from the package) ---

def windows_floor(n, k, s, pad_total, d):
    """Count window starts t = 0, s, 2s, ... whose dilated extent d(k-1)+1 fits the padded
    input n + pad_total (PyTorch Conv/Pool with ceil_mode=False)."""
    extent = d * (k - 1) + 1
    count, t = 0, 0
    while t + extent <= n + pad_total:
        count += 1
        t += s
    return count


def windows_ceil(n, k, s, pad_left, pad_total, d):
    """PyTorch ceil_mode (MaxPool2d docs): out = ceil((L - d(k-1) - 1)/s) + 1 windows, where
    L = n + pad_total, "sliding windows are allowed to go off-bounds if they start within the
    left padding or the input; sliding windows that would start in the right padded region
    are ignored". Counted window by window."""
    extent = d * (k - 1) + 1
    full = n + pad_total
    count, t = 0, 0
    while True:
        fits = t + extent <= full
        overhang_allowed = t < full - extent + s          # i <= ceil((L - extent)/s)
        starts_left_of_right_pad = t < n + pad_left
        if fits or (overhang_allowed and starts_left_of_right_pad):
            count += 1
            t += s
        else:
            return count


# --- conv / pool output size (PyTorch Conv2d docs:
#     H_out = floor((H_in + 2p - d(k-1) - 1)/s + 1)) ---------------------------------------

def test_dilated_extent():
    assert f.dilated(3, 1) == 3      # d(k-1) + 1 = 1·2 + 1
    assert f.dilated(3, 2) == 5      # 2·2 + 1
    assert f.dilated(5, 3) == 13     # 3·4 + 1
    assert f.dilated(1, 7) == 1      # a 1x1 kernel has no gaps to dilate


@pytest.mark.parametrize("n, k, s, pad_total, d, expected", [
    (7, 3, 1, 0, 1, 5),       # (7 - 3)/1 + 1 = 5               (course)
    (7, 3, 2, 0, 1, 3),       # (7 - 3)/2 + 1 = 3               (course)
    (7, 3, 3, 0, 1, 2),       # floor((7 - 3)/3) + 1 = floor(1.33) + 1 = 2 (course: 2.33)
    (7, 3, 1, 2, 1, 7),       # (7 + 2 - 3)/1 + 1 = 7           (course, p=1)
    (7, 3, 2, 2, 1, 4),       # (7 + 2 - 3)/2 + 1 = 4           (course, s2 p1)
    (32, 5, 1, 4, 1, 32),     # (32 + 4 - 5)/1 + 1 = 32         (course quiz, p=2)
    (227, 11, 4, 0, 1, 55),   # (227 - 11)/4 + 1 = 55           (AlexNet conv1)
    (224, 7, 2, 6, 1, 112),   # floor((224 + 6 - 7)/2) + 1 = floor(111.5) + 1 = 112 (ResNet)
    (112, 3, 2, 2, 1, 56),    # floor((112 + 2 - 3)/2) + 1 = 55 + 1 = 56 (ResNet max pool)
    (4, 2, 2, 0, 1, 2),       # (4 - 2)/2 + 1 = 2               (course 1x4x4 max pool)
    (32, 3, 1, 0, 2, 28),     # (32 - 2·2 - 1)/1 + 1 = 28       (dilation 2)
    (32, 3, 2, 4, 2, 16),     # floor((32 + 4 - 5)/2) + 1 = 15 + 1 = 16
    (10, 1, 3, 0, 1, 4),      # floor((10 - 1)/3) + 1 = 3 + 1 = 4
    (5, 5, 1, 0, 1, 1),       # (5 - 5)/1 + 1 = 1: the kernel covers the whole input
])
def test_conv_out_pytorch_formula(n, k, s, pad_total, d, expected):
    assert f.conv_out(n, k, s, pad_total, d) == expected


def test_conv_out_keyword_form_from_the_course():
    assert f.conv_out(7, k=3, s=2, pad_total=2) == 4  # (7 + 2 - 3)/2 + 1
    assert f.conv_out(7, k=3) == 5                      # (7 - 3)/1 + 1


def test_conv_out_matches_window_count_over_a_grid():
    for n in range(1, 24):
        for k in range(1, 6):
            for d in (1, 2, 3):
                for s in (1, 2, 3, 4):
                    for p in range(0, 3):
                        if d * (k - 1) + 1 > n + 2 * p:
                            continue
                        assert f.conv_out(n, k, s, 2 * p, d) == windows_floor(n, k, s, 2 * p, d), \
                            (n, k, s, p, d)


@pytest.mark.parametrize("n, k, s, pad_total, d, expected", [
    (7, 3, 3, 0, 1, 1),    # (7 - 3) mod 3 = 1: the 7th column is never read (course 2.33)
    (7, 3, 2, 0, 1, 0),    # (7 - 3) mod 2 = 0: tiles exactly
    (224, 7, 2, 6, 1, 1),  # (224 + 6 - 7) mod 2 = 223 mod 2 = 1 (ResNet conv1: 112.5)
    (8, 1, 2, 0, 1, 1),    # (8 - 1) mod 2 = 1 (1x1 stride-2 shortcut on an even input)
    (9, 3, 2, 0, 2, 0),    # (9 - 5) mod 2 = 0
])
def test_conv_leftover(n, k, s, pad_total, d, expected):
    assert f.conv_leftover(n, k, s, pad_total, d) == expected


# --- ceil-mode pooling ---------------------------------------------------------------------

@pytest.mark.parametrize("n, k, s, pad_left, pad_total, d, expected", [
    (7, 2, 2, 0, 0, 1, 4),   # ceil((7 - 2)/2) + 1 = ceil(2.5) + 1 = 4; last start 6 < 7: kept
    (7, 3, 2, 0, 0, 1, 3),   # ceil((7 - 3)/2) + 1 = 2 + 1 = 3 (exact: same as floor)
    (6, 3, 2, 0, 0, 1, 3),   # ceil((6 - 3)/2) + 1 = ceil(1.5) + 1 = 3; start 4 < 6: kept
    (112, 3, 2, 0, 0, 1, 56),  # GoogLeNet: ceil((112 - 3)/2) + 1 = ceil(54.5) + 1 = 56
    # The dropped window: n=5, k2, s2, p1 -> L = 7, ceil((7 - 2)/2) + 1 = ceil(2.5) + 1 = 4,
    # but window 4 would start at 3·2 = 6 >= n + p_left = 6, wholly in the right padding:
    # PyTorch ignores it, so 3.
    (5, 2, 2, 1, 2, 1, 3),
    # n=4, k2, s3, p1 -> L = 6, ceil((6 - 2)/3) + 1 = ceil(1.33) + 1 = 3; window 3 starts at
    # 2·3 = 6 >= 4 + 1 = 5 -> dropped, 2.
    (4, 2, 3, 1, 2, 1, 2),
    # dilation: n=8, k2, d2, s2 -> extent 3, ceil((8 - 3)/2) + 1 = ceil(2.5) + 1 = 4;
    # last start 6 < 8: kept.
    (8, 2, 2, 0, 0, 2, 4),
])
def test_pool_out_ceil(n, k, s, pad_left, pad_total, d, expected):
    assert f.pool_out_ceil(n, k, s, pad_left, pad_total, d) == expected


def test_pool_out_ceil_matches_pytorch_rule_over_a_grid():
    for n in range(1, 20):
        for k in range(1, 5):
            for s in range(1, 5):
                for p in range(0, k // 2 + 1):          # PyTorch: padding <= k/2
                    if k > n + 2 * p:
                        continue
                    got = f.pool_out_ceil(n, k, s, p, 2 * p, 1)
                    assert got == windows_ceil(n, k, s, p, 2 * p, 1), (n, k, s, p)
                    # ceil mode never gives fewer windows than floor mode, at most one more
                    assert windows_floor(n, k, s, 2 * p, 1) <= got <= windows_floor(n, k, s, 2 * p, 1) + 1


# --- TensorFlow SAME padding: out = ceil(n/s), total = max((ceil(n/s)-1)s + d(k-1)+1 - n, 0),
#     the odd pixel on the right -------------------------------------------------------------

@pytest.mark.parametrize("n, k, s, d, expected", [
    (7, 3, 1, 1, (1, 1)),      # out 7, total (7-1)·1 + 3 - 7 = 2 -> 1 + 1 (the familiar (k-1)/2)
    (32, 5, 1, 1, (2, 2)),     # total 31 + 5 - 32 = 4 -> 2 + 2
    (224, 7, 2, 1, (2, 3)),    # out 112, total 111·2 + 7 - 224 = 5 -> 2 left, 3 right
    (6, 3, 2, 1, (0, 1)),      # out 3, total 2·2 + 3 - 6 = 1 -> 0 left, 1 right
    (5, 3, 2, 1, (1, 1)),      # out 3, total 2·2 + 3 - 5 = 2 -> 1 + 1
    (8, 4, 1, 1, (1, 2)),      # even kernel: total 7 + 4 - 8 = 3 -> 1 left, 2 right
    (8, 1, 2, 1, (0, 0)),      # out 4, 3·2 + 1 - 8 = -1 -> max(-1, 0) = 0
    (9, 2, 3, 1, (0, 0)),      # out 3, 2·3 + 2 - 9 = -1 -> 0
    (8, 3, 1, 2, (2, 2)),      # dilated extent 5: total 7 + 5 - 8 = 4 -> 2 + 2
    (10, 3, 3, 2, (2, 2)),     # out ceil(10/3) = 4, total 3·3 + 5 - 10 = 4 -> 2 + 2
    (10, 4, 3, 1, (1, 2)),     # out 4, total 3·3 + 4 - 10 = 3 -> 1 left, 2 right
])
def test_same_padding(n, k, s, d, expected):
    assert f.same_padding(n, k, s, d) == expected


def test_same_padding_gives_ceil_n_over_s():
    for n in range(1, 30):
        for k in range(1, 7):
            for s in range(1, 5):
                for d in (1, 2):
                    left, right = f.same_padding(n, k, s, d)
                    assert right - left in (0, 1)                      # odd pixel right
                    assert f.conv_out(n, k, s, left + right, d) == math.ceil(n / s), (n, k, s, d)


# --- transposed convolution (PyTorch ConvTranspose2d docs:
#     H_out = (H_in - 1)·stride - 2·padding + dilation·(kernel_size - 1) + output_padding + 1)

@pytest.mark.parametrize("n, k, s, p, op, d, expected", [
    (1, 4, 1, 0, 0, 1, 4),      # DCGAN projection: 0 - 0 + 3 + 0 + 1 = 4
    (4, 4, 2, 1, 0, 1, 8),      # DCGAN upsampling: 3·2 - 2 + 3 + 1 = 8
    (32, 4, 2, 1, 0, 1, 64),    # 31·2 - 2 + 3 + 1 = 64
    (3, 3, 2, 1, 1, 1, 6),      # 2·2 - 2 + 2 + 1 + 1 = 6 (output_padding recovers the even size)
    (3, 3, 2, 1, 0, 1, 5),      # 2·2 - 2 + 2 + 0 + 1 = 5
    (5, 3, 1, 0, 0, 2, 9),      # 4·1 - 0 + 2·2 + 0 + 1 = 9
    (7, 1, 1, 0, 0, 1, 7),      # a 1x1 stride-1 deconv keeps the size
])
def test_deconv_out(n, k, s, p, op, d, expected):
    assert f.deconv_out(n, k, s, p, op, d) == expected


def test_deconv_inverts_conv_shape():
    # A conv n -> m and a deconv with the same k, s, p (and op = the conv's leftover) map m -> n.
    for n in range(3, 30):
        for k in (1, 2, 3, 4, 5):
            for s in (1, 2, 3):
                for p in range(0, (k - 1) // 2 + 1):
                    if k > n + 2 * p:
                        continue
                    m = f.conv_out(n, k, s, 2 * p)
                    op = f.conv_leftover(n, k, s, 2 * p)
                    assert f.deconv_out(m, k, s, p, op) == n, (n, k, s, p)


# --- parameters and MACs --------------------------------------------------------------------

def test_conv_params():
    assert f.conv_params(3, 10, 5 * 5) == 760            # (5·5·3 + 1)·10 (course quiz)
    assert f.conv_params(3, 96, 11 * 11) == 34944        # 11·11·3·96 + 96 (AlexNet conv1)
    assert f.conv_params(3, 64, 7 * 7, bias=False) == 9408   # 3·64·49 (ResNet conv1, no bias)
    assert f.conv_params(32, 32, 9, groups=32) == 320    # depthwise: (32/32)·32·9 + 32
    assert f.conv_params(4, 8, 9, groups=2, bias=False) == 144   # (4/2)·8·9
    assert f.conv_params(1, 6, 25) == 156                # LeNet C1: 1·6·25 + 6
    assert f.conv_params(1, 64, 3 * 3 * 3) == 1792       # a 3x3x3 conv3d: 1·64·27 + 64


def test_conv_macs():
    assert f.conv_macs(3, 64, 49, 112 * 112) == 118013952   # 3·49·64 = 9408; ·12544
    assert f.conv_macs(3, 16, 9, 32 * 32) == 442368         # 432 weights · 1024 positions
    assert f.conv_macs(32, 32, 9, 16, groups=32) == 4608    # 1·32·9·16 (depthwise)
    assert f.conv_macs(4, 8, 9, 64, groups=2) == 9216       # 2·8·9·64


def test_deconv_params_and_macs():
    # PyTorch ConvTranspose2d weight shape (C, OUT/g, kH, kW)
    assert f.deconv_params(100, 512, 16, bias=False) == 819200   # DCGAN: 100·512·4·4
    assert f.deconv_params(16, 8, 16) == 2056                     # 16·8·16 + 8
    assert f.deconv_params(4, 8, 9, groups=2) == 152              # 4·(8/2)·9 + 8
    # weights times INPUT positions
    assert f.deconv_macs(100, 512, 16, 1) == 819200               # a 1x1 input
    assert f.deconv_macs(16, 8, 16, 4 * 4) == 32768               # 2048 weights · 16
    assert f.deconv_macs(4, 8, 9, 9, groups=2) == 1296            # 144 · 9


def test_linear_params():
    assert f.linear_params(400, 120) == 48120            # LeNet F5: 400·120 + 120
    assert f.linear_params(9216, 4096) == 37752832       # AlexNet fc6: 9216·4096 + 4096
    assert f.linear_params(2048, 1000, bias=False) == 2048000
    assert f.linear_params(10 ** 5, 10 ** 11) == 10 ** 16 + 10 ** 11   # exact, no float


# --- receptive field (Araujo, Norris, Sim, Distill 2019) ------------------------------------

def test_rf_size_alexnet_chain():
    # r_out = r_in + d(k-1)·j_in, j_out = j_in·s. AlexNet's published fields:
    r, j = 1, 1
    r, j = f.rf_size(r, j, 11), j * 4    # conv1 k11 s4: 1 + 10·1 = 11
    assert r == 11
    r, j = f.rf_size(r, j, 3), j * 2     # pool1 k3 s2: 11 + 2·4 = 19
    assert r == 19
    r, j = f.rf_size(r, j, 5), j * 1     # conv2 k5 p2: 19 + 4·8 = 51
    assert r == 51
    r, j = f.rf_size(r, j, 3), j * 2     # pool2: 51 + 2·8 = 67
    assert r == 67
    for expected in (99, 131, 163):      # conv3-5 k3 p1: +2·16 each
        r = f.rf_size(r, j, 3)
        assert r == expected
    r = f.rf_size(r, j, 3)               # pool5: 163 + 2·16 = 195
    assert r == 195


def test_rf_size_dilation():
    assert f.rf_size(1, 1, 3, d=2) == 5    # 1 + 2·2·1
    assert f.rf_size(5, 1, 3, d=4) == 13   # 5 + 4·2·1 (context module)
    assert f.rf_size(3, 2, 3, d=2) == 11   # 3 + 2·2·2


def test_rf_start():
    # start_out = start_in + (d(k-1)/2 - p_left)·j_in
    assert f.rf_start(0, 1, 7, 3) == 0        # conv k7 s2 p3: (3 - 3)·1 = 0   (cli.md)
    assert f.rf_start(0, 1, 3, 0) == 1        # conv k3: (1 - 0)·1 = 1         (cli.md)
    assert f.rf_start(0, 1, 2, 0) == 0.5      # conv k2: (1/2)·1 = 0.5         (cli.md)
    assert f.rf_start(0, 2, 3, 1) == 0        # max pool k3 s2 p1 after a stride 2: (1-1)·2
    assert f.rf_start(1, 1, 3, 0) == 2        # a second k3 conv: 1 + 1·1
    assert f.rf_start(0, 1, 3, 0, d=2) == 2   # dilated: (2·2/2 - 0)·1 = 2
    assert f.rf_start(0, 4, 3, 0) == 4        # (1 - 0)·4
    assert f.rf_start(0, 1, 4, 1) == 0.5      # k4 p1: (3/2 - 1)·1 = 0.5


# --- the same text serves symbols ----------------------------------------------------------

def test_formulas_accept_sympy_symbols():
    sympy = pytest.importorskip("sympy")
    H = sympy.Symbol("H", integer=True, positive=True)
    out = f.conv_out(H, 3, 2, 2)                       # floor((H + 2 - 3)/2) + 1
    assert out.subs(H, 7) == 4                         # (7 + 2 - 3)/2 + 1
    assert out.subs(H, 8) == 4                         # floor(7/2) + 1
    assert f.deconv_out(H, 4, 2, 1).subs(H, 4) == 8    # 3·2 - 2 + 3 + 1
    assert sympy.simplify(f.conv_params(H, 10, 25) - (250 * H + 10)) == 0   # H·10·25 + 10
