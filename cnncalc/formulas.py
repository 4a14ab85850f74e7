"""Every counting formula, written once, for one spatial axis or one layer.

Arguments may be ints or sympy expressions: every division, rounding and choice goes through
`numbers`, so one text serves both. `explain` and `solve` will read the same functions; tests
check them against the course notes and PyTorch's documentation.
"""

from __future__ import annotations

from .numbers import (ceil_div, common_divisor, divides, exact_div, floor_div, half, is_concrete,
                      maximum, minimum, mod, where)


def dilated(k, d):
    """The extent a dilated kernel covers: d(k-1) + 1."""
    return d * (k - 1) + 1


def conv_out(n, k, s=1, pad_total=0, d=1):
    """PyTorch Conv/Pool output length: floor((n + 2p - d(k-1) - 1)/s) + 1 (pad_total = 2p)."""
    return floor_div(n - dilated(k, d) + pad_total, s) + 1  # the course's (N − F + 2P)/S + 1


def same_out(n, s=1):
    """TensorFlow's SAME output length: ceil(n/s), whatever the kernel."""
    return ceil_div(n, s)


def conv_leftover(n, k, s=1, pad_total=0, d=1):
    """Rows (columns) of the padded input that no window covers: (n + 2p - d(k-1) - 1) mod s."""
    return mod(n - dilated(k, d) + pad_total, s)


def pool_out_ceil(n, k, s, pad_left, pad_total, d=1):
    """ceil_mode output: rounded up, but a last window that starts in the right padding
    (at or beyond n + left padding) is dropped, as PyTorch does. With padding at most the
    window (PyTorch's own rule), dropping it leaves exactly ceil((n + p_left)/s) windows, so
    the rule is min(ceil((n + 2p - d(k-1) - 1)/s) + 1, ceil((n + p_left)/s)): one closed form
    where a symbolic n would otherwise leave a choice."""
    return minimum(ceil_div(n + pad_total - dilated(k, d), s) + 1, ceil_div(n + pad_left, s))


def same_padding(n, k, s=1, d=1):
    """TensorFlow's SAME: output ceil(n/s); total padding, the odd pixel on the right."""
    total = maximum((ceil_div(n, s) - 1) * s + dilated(k, d) - n, 0)
    left = floor_div(total, 2)
    return left, total - left


def deconv_out(n, k, s=1, p=0, op=0, d=1):
    """ConvTranspose output length: (n-1)s - 2p + d(k-1) + op + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def zero_insert_out(n, s):
    """Length after inserting s-1 zeros between neighbouring pixels: (n-1)s + 1 — the input
    a transposed convolution of stride s convolves (the course: 2 → 3 at s = 2)."""
    return (n - 1) * s + 1


def conv_params(c_in, c_out, kernel_volume, groups=1, bias=True):
    """(C/g)·OUT·prod(k) weights, plus OUT biases, counted as the course does: per filter
    prod(k)·C/g weights and a bias, times OUT filters."""
    weights = kernel_volume * exact_div(c_in, groups)
    return (weights + 1 if bias else weights) * c_out


def table_conv_params(kernels, kernel_volume, c_out, bias=True):
    """A convolution with a connection table: prod(k) weights for each connected (input
    map, output map) kernel, plus OUT biases (LeNet-5's C3: 60·25 + 16 = 1,516)."""
    weights = kernels * kernel_volume
    return weights + c_out if bias else weights


def table_conv_macs(kernels, kernel_volume, out_positions):
    """Connected kernels' weights times output positions (C3: 60·25·10·10 = 150,000)."""
    return kernels * kernel_volume * out_positions


def conv_macs(c_in, c_out, kernel_volume, out_positions, groups=1):
    """Weights times output positions, bias not included."""
    return kernel_volume * exact_div(c_in, groups) * c_out * out_positions


def deconv_params(c_in, c_out, kernel_volume, groups=1, bias=True):
    """C·(OUT/g)·prod(k) weights, plus OUT biases."""
    weights = c_in * exact_div(c_out, groups) * kernel_volume
    return weights + c_out if bias else weights


def deconv_macs(c_in, c_out, kernel_volume, in_positions, groups=1):
    """Weights times input positions (each input pixel scatters one kernel)."""
    return c_in * exact_div(c_out, groups) * kernel_volume * in_positions


def flops(macs):
    """A multiply-accumulate is two floating-point operations."""
    return 2 * macs


def deconv_rf_size(r_in, j_in, k, s=1, d=1):
    """A transposed convolution's largest field: the taps t that meet at one output satisfy
    t·d ≡ o + p (mod s), one class modulo s/g (g = gcd(d, s)), so at most ⌈k·g/s⌉ of them,
    whose inputs lie d/g apart: r_out = r_in + (⌈k·g/s⌉ − 1)·(d/g)·j_in."""
    g = common_divisor(d, s)
    if g == 1:
        return r_in + (ceil_div(k, s) - 1) * d * j_in
    return r_in + (ceil_div(k * g, s) - 1) * exact_div(d, g) * j_in


def connections(inputs_per_unit, units, bias=True):
    """LeCun et al. (1998)'s connections: each output unit's inputs, plus one for its bias,
    summed over the units (C1 of LeNet-5: (5·5 + 1)·6·28·28 = 122,304)."""
    return (inputs_per_unit + 1 if bias else inputs_per_unit) * units


def deconv_landings(n, k, s, p, d, out):
    """Along one axis of a transposed convolution, the (input position, tap) pairs that land
    inside the cropped output — the taps meeting at each output position, summed: input i
    through tap t lands at o = i·s − p + t·d, kept when 0 ≤ o < out. Tap by tap, the inputs
    that land are i from ⌈(p − t·d)/s⌉ to ⌊(out − 1 + p − t·d)/s⌋, within 0 … n − 1. (A
    kernel size that is a name: n·k, every tap counted, cropped or not.)"""
    if type(k) is not int:
        return n * k
    landed = 0
    for t in range(k):
        first = maximum(0, ceil_div(p - t * d, s))
        last = minimum(n - 1, floor_div(out - 1 + p - t * d, s))
        landed += maximum(0, last - first + 1)
    return landed


def adaptive_window_sum(n, o):
    """The sizes of PyTorch's o adaptive windows over n positions, [⌊i·n/o⌋, ⌈(i+1)·n/o⌉),
    summed: n + o − gcd(n, o). (Σ⌈(i+1)n/o⌉ − Σ⌊i·n/o⌋ over i < o: each ceiling is its
    floor plus 1 except where o divides (i+1)·n, gcd(n, o) times; the floors then differ by
    the last one, n.) A window of one (n = o) gives n; n = 5, o = 3 gives 2 + 3 + 2 = 7.
    With n a name and o a number, gcd(n, o) is the largest divisor of o that divides n."""
    if is_concrete(o) and not is_concrete(n):
        o_int, gcd = int(o), 1
        for q in sorted(q for i in range(1, int(o_int ** 0.5) + 1) if o_int % i == 0
                        for q in {i, o_int // i}):
            if q > 1:
                gcd = where(divides(q, n), q, gcd)
        return n + o - gcd
    return n + o - common_divisor(n, o)


def linear_params(n_in, n_out, bias=True):
    """IN·OUT weights, plus OUT biases."""
    weights = n_in * n_out
    return weights + n_out if bias else weights


def rf_size(r_in, j_in, k, d=1):
    """Araujo et al. (Distill 2019): r_out = r_in + d(k-1)·j_in."""
    return r_in + d * (k - 1) * j_in


def rf_start(start_in, j_in, k, pad_left, d=1):
    """Centre of the first output's field: start_in + (d(k-1)/2 - p_left)·j_in."""
    return start_in + half(d * (k - 1) - 2 * pad_left) * j_in
