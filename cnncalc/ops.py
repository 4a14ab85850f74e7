"""NumPy operations for the executor, in PyTorch's layouts (N, C, *spatial).

Windows are read tap by tap: a loop over the kernel's taps (9 for a 3x3), each one strided
view of the input copied or folded in place, so no Python loop ever runs over pixels or
channels. A convolution is one matmul per group over those copies (im2col), weights on the
left. Imported only by `run` and `verify`: the analysis never loads NumPy.
"""

from __future__ import annotations

import contextlib
import itertools
import math

import numpy as np

from .formulas import zero_insert_out


def insert_zeros(x: np.ndarray, steps) -> np.ndarray:
    """s − 1 zeros between neighbouring positions of each spatial axis (`steps`: s per
    axis): a zero array, x written once into every s-th position."""
    out = np.zeros(x.shape[:2] + tuple(zero_insert_out(n, s) for n, s in zip(x.shape[2:], steps)),
                   dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(None, None, s) for s in steps)] = x
    return out


def pad(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """`pads` is (before, after) per spatial axis: a new array (x itself when there is
    none), x copied once into its middle and only the borders filled."""
    if not any(b or a for b, a in pads):
        return x
    out = np.empty(x.shape[:2] + tuple(n + b + a for n, (b, a) in zip(x.shape[2:], pads)),
                   dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[2:], pads))] = x
    for axis, (b, a) in enumerate(pads):
        before = (slice(None),) * (2 + axis)
        if b:
            out[before + (slice(0, b),)] = value
        if a:
            out[before + (slice(out.shape[2 + axis] - a, None),)] = value
    return out


def _taps(k):
    return itertools.product(*(range(ki) for ki in k))


def _tap_slices(tap, s, d, out, row=0):
    """Where one kernel tap reads in the padded input, for every output position (or for
    `out[0]` rows of them from row `row` on)."""
    starts = (row * s[0],) + (0,) * (len(tap) - 1)
    return tuple(slice(r + t * di, r + t * di + (oi - 1) * si + 1, si)
                 for r, t, si, di, oi in zip(starts, tap, s, d, out))


def _out_sizes(sizes, k, s, pads, d):
    return tuple((n + b + a - di * (ki - 1) - 1) // si + 1
                 for n, ki, si, (b, a), di in zip(sizes, k, s, pads, d))


def _phases(xp: np.ndarray, k, s, d, out):
    """A strided convolution's padded input with its last axis split by phase, (…, s, W/s):
    element i·s + q moved to [q, i]. Each kernel tap then reads a contiguous run of one phase
    instead of every s-th element. Also where each tap of that axis reads (its index)."""
    q, width = s[-1], xp.shape[-1]
    extra = -width % q  # never read: the last tap ends before the padded input does
    if extra:
        xp = pad(xp, [(0, 0)] * (xp.ndim - 3) + [(0, extra)])
    split = xp.reshape(xp.shape[:-1] + (-1, q)).swapaxes(-1, -2).copy()
    taps = [(t * d[-1] % q, slice(t * d[-1] // q, t * d[-1] // q + out[-1]))
            for t in range(k[-1])]
    return split, taps


CHUNK_BYTES = 4 * 2 ** 20  # the windows one matmul takes: small enough to stay in cache


def _band(n: int, c: int, k, out, itemsize: int) -> tuple[int, int]:
    """The output rows one matmul takes, and the bytes of their windows per row."""
    per_row = n * c * math.prod(k) * math.prod(out[1:]) * itemsize
    return max(1, min(out[0], CHUNK_BYTES // max(per_row, 1))), per_row


def conv_workspace(n: int, c: int, k, sizes, s, pads, d, itemsize: int) -> int:
    """The bytes `conv` holds beside its input, weights and output: the padded input (and
    its phases, for a stride along the last axis), and one band of windows; a 1x1 strided
    convolution copies the positions it picks."""
    out = _out_sizes(sizes, k, s, pads, d)
    if all(ki == 1 for ki in k) and not any(b or a for b, a in pads):
        return 0 if all(si == 1 for si in s) else n * c * math.prod(out) * itemsize
    padded = n * c * math.prod(m + b + a for m, (b, a) in zip(sizes, pads)) * itemsize
    copies = (1 if any(b or a for b, a in pads) else 0) + (1 if len(k) > 1 and s[-1] > 1 else 0)
    rows, per_row = _band(n, c, k, out, itemsize)
    return copies * padded + rows * per_row


def deconv_workspace(n: int, c: int, out_channels: int, k, sizes, s, op, d,
                     itemsize: int) -> int:
    """The bytes `deconv` holds beside its input, weights and output: every input position
    times the kernel, the full (uncropped) output, and the cropped one copied."""
    products = n * math.prod(sizes) * out_channels * math.prod(k)
    full = n * out_channels * math.prod((m - 1) * si + di * (ki - 1) + 1 + oi
                                        for m, si, di, ki, oi in zip(sizes, s, d, k, op))
    return (products + full) * itemsize


def conv(x: np.ndarray, w: np.ndarray, b, s, pads, d, groups: int,
         count: list | None = None) -> np.ndarray:
    """PyTorch's ConvNd: w is (OUT, C/g, *k). One matmul per group, weights on the left:
    (OUT/g, C/g·prod(k)) @ (C/g·prod(k), positions) gives the output already channels
    first, and a 1x1 convolution multiplies the input itself, with no window copy. Otherwise
    the windows (im2col) are copied tap by tap from the padded input, for a band of output
    rows at a time, into one small buffer the matmul reads while it is still in cache; each
    band's product is written straight into its place in the output. `count` gets the
    multiply-accumulates the matmuls performed (their dimensions), for verify."""
    nd = w.ndim - 2
    k = tuple(w.shape[2:])
    n, c = x.shape[:2]
    g, out_ch = groups, w.shape[0]
    wg = w.reshape((g, out_ch // g, -1))                         # (g, OUT/g, C/g·prod(k))
    if all(ki == 1 for ki in k) and not any(before or after for before, after in pads):
        picked = x[(slice(None), slice(None)) + tuple(slice(None, None, si) for si in s)]
        out = picked.shape[2:]
        cols = picked.reshape((n, g, c // g, -1))                 # (N, g, C/g, positions)
        y = np.matmul(wg[0], cols[:, 0]) if g == 1 else np.matmul(wg[None], cols)
    else:
        out = _out_sizes(x.shape[2:], k, s, pads, d)
        xp, last = _phases(pad(x, pads), k, s, d, out) if nd > 1 and s[-1] > 1 else \
            (pad(x, pads), None)
        rest = int(np.prod(out[1:]))                             # positions in one row
        rows, per_row = _band(n, c, k, out, x.itemsize)
        y = np.empty((n, g, out_ch // g, out[0] * rest), dtype=np.result_type(x, w))
        space = np.empty(rows * per_row // x.itemsize, dtype=x.dtype)
        everything = (slice(None),) * 2
        for r0 in range(0, out[0], rows):
            r = min(rows, out[0] - r0)
            band = space[:r * per_row // x.itemsize].reshape((n, c) + k + (r,) + out[1:])
            for tap in _taps(k):                                 # (N, C, r, *out[1:])
                if last is None:
                    where = _tap_slices(tap, s, d, (r,) + out[1:], r0)
                else:  # the last axis from its phase: a contiguous run
                    where = _tap_slices(tap[:-1], s[:-1], d[:-1], (r,) + out[1:-1], r0) + \
                        last[tap[-1]]
                band[everything + tap] = xp[everything + where]
            cols = band.reshape((n, g, -1, r * rest))            # (N, g, C/g·prod(k), r·rest)
            np.matmul(wg[None], cols, out=y[..., r0 * rest:(r0 + r) * rest])
    if count is not None:
        count.append(n * g * wg.shape[1] * wg.shape[2] * int(np.prod(out)))
    y = y.reshape((n, out_ch) + tuple(out))
    if b is not None:
        with broadcast_rows(y):
            y += b.reshape((1, -1) + (1,) * nd)  # y is new: the bias added in place
    return y


def deconv(x: np.ndarray, w: np.ndarray, b, s, p, op, d, groups: int,
           count: list | None = None) -> np.ndarray:
    """PyTorch's ConvTransposeNd (w is (C, OUT/g, *k)) by scatter (col2im): every input
    pixel times the kernel in one batched matmul, then each kernel tap's products added
    into the output at stride s — a loop over the taps, never over pixels. Its work is
    weights × input positions, the convention's count."""
    nd = w.ndim - 2
    n, c = x.shape[:2]
    g, out_g, k = groups, w.shape[1], w.shape[2:]
    sizes = x.shape[2:]
    positions = int(np.prod(sizes))
    xg = x.reshape((n, g, c // g, positions)).transpose(0, 1, 3, 2)      # (N, g, P, C/g)
    wg = w.reshape((g, c // g, out_g * int(np.prod(k))))                 # (g, C/g, O/g·k)
    cols = np.matmul(xg, wg[None])                                       # (N, g, P, O/g·k)
    if count is not None:
        count.append(n * positions * c * out_g * int(np.prod(k)))
    cols = cols.reshape((n, g) + sizes + (out_g,) + k)
    full = tuple((ni - 1) * si + di * (ki - 1) + 1 + oi
                 for ni, si, di, ki, oi in zip(sizes, s, d, k, op))
    y = np.zeros((n, g, out_g) + full, dtype=np.result_type(x, w))
    for tap in itertools.product(*(range(ki) for ki in k)):
        where = tuple(slice(t * di, t * di + (ni - 1) * si + 1, si)
                      for t, di, ni, si in zip(tap, d, sizes, s))
        y[(slice(None),) * 3 + where] += np.moveaxis(cols[(Ellipsis,) + tap], -1, 2)
    out = tuple(fi - 2 * pi for fi, pi in zip(full, p))
    y = y[(slice(None),) * 3 + tuple(slice(pi, pi + oi) for pi, oi in zip(p, out))]
    y = y.reshape((n, g * out_g) + out)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def pool(x: np.ndarray, mode: str, k, s, pads, d, ceil_extra) -> np.ndarray:
    """Max, average or sum pooling (LeCun's subsampling sums its windows). `ceil_extra` is
    how far (ceil mode) the last window overhangs the padded input on the right; an average
    divides by the window's part that lies inside the padded input, as PyTorch does (padding
    counted, overhang not). A loop over the kernel taps, each a strided view of the padded
    input folded into the output in place."""
    nd = len(k)
    padded = [(b, a + e) for (b, a), e in zip(pads, ceil_extra)]
    xp = pad(x, padded, -np.inf if mode == "max" else 0.0)
    out = _out_sizes(x.shape[2:], k, s, padded, d)
    fold = np.maximum if mode == "max" else np.add
    y = None
    for tap in _taps(k):
        view = xp[(slice(None), slice(None)) + _tap_slices(tap, s, d, out)]
        if y is None:
            y = view.copy()
        else:
            fold(y, view, out=y)
    if mode != "avg":
        return y
    # how many taps of each window fall inside the padded input, axis by axis (the inside
    # is a box, so the count is a product)
    count = np.ones((1, 1) + (1,) * nd, dtype=x.dtype)
    for axis, (n, (b, a), ki, si, di, o) in enumerate(zip(x.shape[2:], pads, k, s, d, out)):
        starts = np.arange(o) * si
        inside = np.clip((n + b + a - 1 - starts) // di + 1, 0, ki).astype(x.dtype)
        count = count * inside.reshape((-1,) + (1,) * (nd - 1 - axis))
    with broadcast_rows(y):
        y /= count
    return y


def adaptive_pool(x: np.ndarray, mode: str, out) -> np.ndarray:
    """PyTorch's adaptive rule: window i covers [floor(i·n/o), ceil((i+1)·n/o))."""
    reduce = np.max if mode == "max" else np.mean
    for axis, o in enumerate(out, start=2):
        n = x.shape[axis]
        if n == o:  # windows of one: nothing to do on this axis (VGG's 7x7 -> 7x7)
            continue
        if n % o == 0:  # equal windows side by side: one reduction over a new axis
            x = reduce(x.reshape(x.shape[:axis] + (o, n // o) + x.shape[axis + 1:]),
                       axis=axis + 1)
            continue
        parts = [reduce(np.take(x, range(i * n // o, -(-(i + 1) * n // o)), axis=axis),
                        axis=axis, keepdims=True) for i in range(o)]
        x = np.concatenate(parts, axis=axis)
    return x


ROW = 512  # elements: a loop at least this long runs at full speed, with a buffer this long


@contextlib.contextmanager
def broadcast_rows(x: np.ndarray):
    """Around an operation on x whose other operand is broadcast along x's last axes (a
    per-channel scale, a row of zeros): NumPy loops over those axes directly only if they
    hold at least its buffer's size (8192 elements), and otherwise copies everything through
    the buffer, 2-3x slower. With a buffer of ROW elements, planes from 512 (e.g. 28x28,
    56x56) are looped over directly; smaller planes keep the default, faster for them."""
    if math.prod(x.shape[2:]) < ROW:
        yield
        return
    before = np.setbufsize(ROW)
    try:
        yield
    finally:
        np.setbufsize(before)


def channel_affine(x: np.ndarray, scale, shift, inplace=False) -> np.ndarray:
    """x·scale + shift with one scale and shift per channel (batch norm at inference), in
    two passes; into x itself if `inplace`."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    with broadcast_rows(x):
        y = np.multiply(x, scale.reshape(shape), out=x if inplace else None)
        return np.add(y, shift.reshape(shape), out=y)


def _constant_rows(x: np.ndarray, value) -> np.ndarray:
    """`value` in the shape of x's last axes (at least ROW elements, or one whole sample):
    np.maximum(x, 0) against a scalar takes a slow loop in NumPy (3-5x slower than against
    an array broadcast along the leading axes)."""
    i = x.ndim - 1
    while i > 1 and math.prod(x.shape[i:]) < ROW:
        i -= 1
    return np.full(x.shape[i:], value, dtype=x.dtype)


_ERF = np.frompyfunc(math.erf, 1, 1)


def activation(name: str, x: np.ndarray, slope=0.01, inplace=False) -> np.ndarray:
    """`inplace`: x may be overwritten with the result (ReLU and ReLU6 do)."""
    if name in ("relu", "relu6"):  # NaN stays NaN, as in PyTorch
        with broadcast_rows(x):
            y = np.maximum(x, _constant_rows(x, 0), out=x if inplace else None)
            return y if name == "relu" else np.minimum(y, _constant_rows(x, 6), out=y)
    if name == "leakyrelu":
        return np.where(x > 0, x, x * slope)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "selu":
        alpha, scale = 1.6732632423543772, 1.0507009873554805
        return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    if name == "gelu":  # PyTorch's default, with the exact error function
        return 0.5 * x * (1 + _ERF(x / math.sqrt(2)).astype(x.dtype))
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "silu":
        return x / (1 + np.exp(-x))
    if name == "hardswish":
        return x * np.clip(x + 3, 0, 6) / 6
    if name == "hardsigmoid":
        return np.clip(x + 3, 0, 6) / 6
    if name == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    if name == "softmax":  # over the channels, PyTorch's dim=1
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def table_conv(x: np.ndarray, weight: np.ndarray, bias, table, s, pads, d,
               count: list | None = None) -> np.ndarray:
    """A convolution with a connection table (LeNet-5's C3): output map o convolves only the
    input maps its row of `table` marks, with its own kernels, taken in order from `weight`
    (connected kernels, *k): only they are multiplied, so the MACs counted are theirs."""
    maps, first = [], 0
    for row in table:
        inputs = [i for i, on in enumerate(row) if on]
        kernels = weight[first:first + len(inputs)][None]  # (1, inputs, *k)
        first += len(inputs)
        maps.append(conv(x[:, inputs], kernels, None, s, pads, d, 1, count))
    y = np.concatenate(maps, axis=1)
    if bias is not None:
        y += bias.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y
