"""Property tests (hypothesis): a random chain of layers gives the same shapes written as a
one-liner, as a file, and folded inside a `def` — and the same as a from-scratch calculation
written here from PyTorch's documented formulas:

    conv / pool  out = floor((n + 2p - d(k-1) - 1)/s) + 1
    ceil pool    out = ceil((n + 2p - (k-1) - 1)/s) + 1, minus one if the last window would
                 start in the right padding ((out-1)·s >= n + p)
    pad          n + 2p;   upsample   n·f
"""

import math
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cnncalc

# modest by default (the module runs in a few seconds); CNNCALC_EXAMPLES=3000 for a deep run
SETTINGS = settings(max_examples=int(os.environ.get("CNNCALC_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_TMP = Path(tempfile.mkdtemp(prefix="cnncalc-props-"))


# --- the oracle ----------------------------------------------------------------------------------

def conv_len(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def ceil_pool_len(n, k, s, p):
    out = math.ceil((n + 2 * p - (k - 1) - 1) / s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


class Chain:
    """Layer texts plus what the test itself expects of each: shape, params, MACs, RF."""

    def __init__(self, shape):
        self.input = tuple(shape)
        self.shape = tuple(shape)
        self.rf = [(1, 1)] * (len(shape) - 1)      # (size, jump) per spatial axis
        self.exact_rf = True                      # upsample makes jumps fractional: skip RF
        self.texts, self.shapes, self.params, self.macs, self.rfs = [], [], [], [], []

    def add(self, text, shape, params=0, macs=0, rf=None):
        assume(all(1 <= n <= 4096 for n in shape))
        self.texts.append(text)
        self.shape = tuple(shape)
        self.shapes.append(self.shape)
        self.params.append(params)
        self.macs.append(macs)
        if rf is not None:
            self.rf = rf
        self.rfs.append(tuple(r for r, _ in self.rf))


def per_axis_text(values):
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


@st.composite
def chains(draw):
    ndim = draw(st.integers(1, 3))
    limit = {1: 64, 2: 40, 3: 12}[ndim]
    shape = [draw(st.integers(1, 8))] + [draw(st.integers(1, limit)) for _ in range(ndim)]
    chain = Chain(shape)
    for _ in range(draw(st.integers(1, 6))):
        c, dims = chain.shape[0], chain.shape[1:]
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "relu", "bn", "pad",
                                     "upsample"]))
        if kind == "conv":
            out = draw(st.integers(1, 8))
            s = draw(st.integers(1, 3))
            d = draw(st.integers(1, 2))
            p = draw(st.integers(0, 2))
            if ndim == 2 and draw(st.booleans()):
                ks = [draw(st.integers(1, 5)), draw(st.integers(1, 5))]
            else:
                ks = [draw(st.integers(1, 5))] * ndim
            assume(all(d * (k - 1) + 1 <= n + 2 * p for k, n in zip(ks, dims)))
            sizes = [conv_len(n, k, s, p, d) for n, k in zip(dims, ks)]
            volume = math.prod(ks)
            params = c * out * volume + out                        # (C/g)·OUT·prod(k) + OUT
            macs = c * out * volume * math.prod(sizes)             # weights · output positions
            rf = [(r + d * (k - 1) * j, j * s) for (r, j), k in zip(chain.rf, ks)]
            chain.add(f"conv {out} k{per_axis_text(ks)} s{s} p{p} d{d}", [out] + sizes,
                      params, macs, rf)
        elif kind in ("maxpool", "avgpool"):
            k = draw(st.integers(1, 4))
            stride = draw(st.one_of(st.none(), st.integers(1, 3)))
            s = k if stride is None else stride                    # default stride = kernel
            p = draw(st.integers(0, k // 2))                       # PyTorch: p <= k/2
            ceil = draw(st.booleans())
            assume(all(k <= n + 2 * p for n in dims))
            if kind == "avgpool" and ndim == 3:  # PyTorch's AvgPool3d: k <= n before padding
                assume(all(k <= n for n in dims))
            size = ceil_pool_len if ceil else (lambda n, k, s, p: conv_len(n, k, s, p, 1))
            text = f"{kind} k{k}" + (f" s{s}" if stride is not None else "") + f" p{p}"
            text += " ceil" if ceil else ""
            rf = [(r + (k - 1) * j, j * s) for r, j in chain.rf]
            chain.add(text, [c] + [size(n, k, s, p) for n in dims], rf=rf)
        elif kind == "relu":
            chain.add("relu", chain.shape)
        elif kind == "bn":
            chain.add("bn", chain.shape, params=2 * c)
        elif kind == "pad":
            p = draw(st.integers(0, 2))                            # ZeroPad2d(0) is valid
            chain.add(f"pad {p}", [c] + [n + 2 * p for n in dims])
        else:
            f = draw(st.integers(1, 2))
            chain.exact_rf = chain.exact_rf and f == 1
            chain.add(f"upsample {f}", [c] + [n * f for n in dims],
                      rf=[(r, j / f) for r, j in chain.rf])
    return chain


def input_text(shape):
    return "input " + "x".join(map(str, shape))


def summary(report):
    return ([r.output_shape for r in report.rows], [r.params for r in report.rows],
            [r.macs for r in report.rows])


# --- the properties ------------------------------------------------------------------------------

@SETTINGS
@given(chains())
def test_one_liner_file_and_def_agree_with_the_oracle(chain):
    one_liner = " | ".join([input_text(chain.input)] + chain.texts)
    as_lines = "\n".join(["# a random chain", input_text(chain.input)] + chain.texts) + "\n"
    in_def = ("def chain {\n  " + "\n  ".join(chain.texts) + "\n}\n"
              + input_text(chain.input) + "\nchain\n")

    a = cnncalc.analyze(one_liner)
    path = _TMP / "chain.cnn"
    path.write_text(as_lines, encoding="utf-8")
    b = cnncalc.analyze(path)
    b_text = cnncalc.analyze(as_lines)
    c = cnncalc.analyze(in_def)

    # (d) the oracle
    assert [r.output_shape for r in a.rows] == chain.shapes, one_liner
    assert [r.params for r in a.rows] == chain.params, one_liner
    assert [r.macs for r in a.rows] == chain.macs, one_liner
    assert a.totals.output_shape == chain.shape
    assert a.totals.params == sum(chain.params)
    if chain.exact_rf:
        assert [r.rf for r in a.rows] == chain.rfs, one_liner
    # (a) = (b) = (c)
    assert summary(b) == summary(a), as_lines
    assert summary(b_text) == summary(a)
    assert summary(c) == summary(a), in_def
    # inside the def every row is nested under the call's name and index (dsl.md §6)
    assert all(r.path[0] == "chain1" for r in c.rows)
    assert [r.line for r in b.rows] == list(range(3, 3 + len(chain.texts)))


@SETTINGS
@given(g=st.integers(1, 4), a=st.integers(1, 6), b=st.integers(1, 6), k=st.integers(1, 5),
       n=st.integers(5, 20), bias=st.booleans())
def test_random_conv_params(g, a, b, k, n, bias):
    c_in, out = g * a, g * b               # both divisible by the groups
    r = cnncalc.analyze(f"input {c_in}x{n}x{n} | conv {out} k{k} g{g}"
                        + ("" if bias else " nobias")).rows[0]
    # (C/g)·OUT·k·k + OUT
    assert r.params == (c_in // g) * out * k * k + (out if bias else 0)
    # MACs: (C/g)·k·k·OUT · output positions, the bias never counted
    assert r.macs == (c_in // g) * k * k * out * (n - k + 1) ** 2
    assert r.output_shape == (out, n - k + 1, n - k + 1)


@SETTINGS
@given(c=st.integers(1, 16), h=st.integers(1, 64), w=st.integers(1, 64),
       batch=st.integers(1, 16), out=st.integers(1, 32))
def test_batch_scales_macs_and_bytes_not_params(c, h, w, batch, out):
    one = cnncalc.analyze(f"input {c}x{h}x{w} | conv {out} k1 | fc 3")
    many = cnncalc.analyze(f"input {c}x{h}x{w} batch={batch} | conv {out} k1 | fc 3")
    assert many.totals.params == one.totals.params == (c * out + out) + (out * h * w * 3 + 3)
    assert many.totals.macs == batch * one.totals.macs == batch * (c * out * h * w + out * h * w * 3)
    assert many.totals.input_bytes == batch * c * h * w * 4
    assert many.rows[0].output_bytes == batch * out * h * w * 4
