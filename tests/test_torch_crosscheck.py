"""Cross-checks against real PyTorch modules: the same net written as a cnncalc spec and built
from torch.nn, a zero tensor of batch 1 run through it, and every row compared.

Here torch gives the expected numbers; the test computes none of them from a formula of its own:
    shapes   the tensors torch actually returns, layer by layer
    params   sum(p.numel() for p in module.parameters())
    buffers  BatchNorm running_mean + running_var (num_batches_tracked left out)
    MACs     conv: weight.numel() x output positions; deconv: weight.numel() x input
             positions; linear: weight.numel(); bias never counted (dsl.md section 5)
Where torch refuses a net (an output below 1, over-padded pooling, output_padding too large),
cnncalc must refuse the same spec with a `CnnCalcError` pointing at the same layer.

torch is optional (CI does not install it): without it the whole module is skipped.
"""

import math
import os
import re
import warnings
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, assume, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import CnnCalcError  # noqa: E402

SETTINGS = settings(max_examples=int(os.environ.get("CNNCALC_TORCH_EXAMPLES", "40")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MAX_ELEMENTS = 60_000          # keep every activation small: the module runs in seconds

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
DECONV = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
MAXPOOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
AVGPOOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
ADAPTIVE = {"maxpool": {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d},
            "avgpool": {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}}
BATCHNORM = {0: nn.BatchNorm1d, 1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
ZEROPAD = {1: nn.ZeroPad1d, 2: nn.ZeroPad2d, 3: nn.ZeroPad3d}


# --- measuring a torch module ------------------------------------------------------------------

def torch_params(module):
    return sum(p.numel() for p in module.parameters())


def torch_buffers(module):
    return sum(m.running_mean.numel() + m.running_var.numel()
               for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))


def torch_macs(module, x, y):
    """The counting convention of dsl.md section 5, read off the real weight tensors."""
    macs = 0
    for m in module.modules():
        if isinstance(m, nn.modules.conv._ConvTransposeNd):
            macs += m.weight.numel() * math.prod(x.shape[2:])      # weights · input positions
        elif isinstance(m, nn.modules.conv._ConvNd):
            macs += m.weight.numel() * math.prod(y.shape[2:])      # weights · output positions
        elif isinstance(m, nn.Linear):
            macs += m.weight.numel()                               # batch 1: one position
    return macs


class ZeroInsert(nn.Module):
    """s − 1 zeros between neighbouring pixels: a transposed convolution of stride s whose
    kernel is a single 1 per channel (no parameters: the kernel is a constant)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def forward(self, x):
        c, rank = x.shape[1], x.dim() - 2
        ones = torch.ones((c, 1) + (1,) * rank, dtype=x.dtype)
        transpose = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
        return transpose[rank](x, ones, stride=self.steps, groups=c)


class ChannelsFirst(nn.Module):
    """nn.Embedding gives (batch, L, DIM); cnncalc (like a text CNN's conv1d) wants DIM x L."""

    def forward(self, x):
        return x.transpose(1, 2)


# --- random chains -----------------------------------------------------------------------------

def axes_text(values):
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


class Step:
    """One layer: its spec text, the cnncalc row kind, and how to build it in torch from the
    tensor it will receive. `skip_if(x)` marks inputs in a region of a known, xfailed bug."""

    def __init__(self, text, kind, make, skip_if=None):
        self.text, self.kind, self.make, self.skip_if = text, kind, make, skip_if

    def __repr__(self):
        return self.text


class Chain:
    def __init__(self, input_shape, tokens=False):
        self.input_shape = tuple(input_shape)
        self.tokens = tokens                   # an `input L` of token ids, for `embed`
        self.steps = []

    def input_tensor(self):
        if self.tokens:
            return torch.zeros((1,) + self.input_shape, dtype=torch.long)
        return torch.zeros((1,) + self.input_shape)

    def spec(self, n=None):
        """The one-liner of the first n layers and the [start, end) of each layer's text."""
        text = "input " + "x".join(map(str, self.input_shape))
        spans = []
        for step in self.steps[:n]:
            text += " | "
            spans.append((len(text), len(text) + len(step.text)))
            text += step.text
        return text, spans

    def __repr__(self):
        return self.spec()[0]


def option(draw, name, values, default=None, fused=True):
    """`k3`, `k3x5`, `k=3`, `k=3x5` (omitted now and then when it is the default)."""
    if default is not None and all(v == default for v in values) and draw(st.booleans()):
        return ""
    value = axes_text(values)
    return f" {name}{value}" if fused and draw(st.booleans()) else f" {name}={value}"


def per_axis(draw, ndim, lo, hi):
    if ndim > 1 and draw(st.integers(0, 3)) == 0:
        return tuple(draw(st.integers(lo, hi)) for _ in range(ndim))
    return (draw(st.integers(lo, hi)),) * ndim


def divisors(n):
    return [g for g in range(1, n + 1) if n % g == 0]


LAYER_KINDS = ["conv", "conv", "conv", "dwconv", "deconv", "maxpool", "avgpool", "adaptive",
               "bn", "relu", "upsample", "insert", "pad", "fc", "flatten"]


@st.composite
def chains(draw):
    ndim = draw(st.integers(1, 3))
    size = {1: 40, 2: 20, 3: 8}[ndim]
    tokens = ndim == 1 and draw(st.integers(0, 3)) == 0
    if tokens:                                              # input L | embed VOCAB DIM
        length, vocab, dim = draw(st.integers(1, size)), draw(st.integers(1, 50)), \
            draw(st.integers(1, 8))
        chain = Chain((length,), tokens=True)
        chain.steps.append(Step(
            f"{draw(st.sampled_from(['embed', 'embedding']))} {vocab} {dim}", "embed",
            lambda x, v=vocab, d=dim: nn.Sequential(nn.Embedding(v, d), ChannelsFirst())))
        c = dim
    else:
        c = draw(st.integers(1, 8))
        chain = Chain((c,) + tuple(draw(st.integers(1, size)) for _ in range(ndim)))
    rank = ndim                                             # 0 once flattened to a vector
    upsamples = 0
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(LAYER_KINDS if rank else ["fc", "relu", "bn", "flatten"]))
        if kind == "conv":
            out = draw(st.integers(1, 8))
            g = draw(st.sampled_from(divisors(math.gcd(c, out))))
            ks, ss = per_axis(draw, rank, 1, 5), per_axis(draw, rank, 1, 3)
            ps, ds = per_axis(draw, rank, 0, 2), per_axis(draw, rank, 1, 2)
            bias = draw(st.booleans())
            text = (f"conv {out}" + option(draw, "k", ks) + option(draw, "s", ss, 1)
                    + option(draw, "p", ps, 0) + option(draw, "d", ds, 1)
                    + option(draw, "g", (g,), 1)
                    + ("" if bias else draw(st.sampled_from([" nobias", " bias=false"]))))
            chain.steps.append(Step(text, "conv", lambda x, c=c, out=out, ks=ks, ss=ss, ps=ps,
                                    ds=ds, g=g, bias=bias, r=rank: CONV[r](
                                        c, out, ks, stride=ss, padding=ps, dilation=ds,
                                        groups=g, bias=bias)))
            c = out
        elif kind == "dwconv":                              # conv with g = C, OUT = C·mult
            mult = draw(st.integers(1, 2))
            ks, ss, ps = (per_axis(draw, rank, 1, 4), per_axis(draw, rank, 1, 2),
                          per_axis(draw, rank, 0, 2))
            text = ("dwconv" + option(draw, "k", ks) + option(draw, "s", ss, 1)
                    + option(draw, "p", ps, 0) + option(draw, "mult", (mult,), 1, fused=False))
            chain.steps.append(Step(text, "dwconv", lambda x, c=c, m=mult, ks=ks, ss=ss, ps=ps,
                                    r=rank: CONV[r](c, c * m, ks, stride=ss, padding=ps,
                                                    groups=c)))
            c *= mult
        elif kind == "deconv":
            out = draw(st.integers(1, 8))
            g = draw(st.sampled_from(divisors(math.gcd(c, out))))
            ks, ss = per_axis(draw, rank, 1, 4), per_axis(draw, rank, 1, 3)
            ps, ds = per_axis(draw, rank, 0, 2), per_axis(draw, rank, 1, 2)
            # output_padding below max(s, d) is legal; now and then one exactly at the limit,
            # which torch refuses and cnncalc must refuse too
            limit = draw(st.integers(0, 7)) == 0
            ops = tuple(max(s, d) if limit else draw(st.integers(0, max(s, d) - 1))
                        for s, d in zip(ss, ds))
            bias = draw(st.booleans())
            text = (f"{draw(st.sampled_from(['deconv', 'convtranspose']))} {out}"
                    + option(draw, "k", ks) + option(draw, "s", ss, 1)
                    + option(draw, "p", ps, 0) + option(draw, "op", ops, 0, fused=False)
                    + option(draw, "d", ds, 1) + option(draw, "g", (g,), 1)
                    + ("" if bias else " nobias"))
            chain.steps.append(Step(text, "deconv", lambda x, c=c, out=out, ks=ks, ss=ss, ps=ps,
                                    ops=ops, ds=ds, g=g, bias=bias, r=rank: DECONV[r](
                                        c, out, ks, stride=ss, padding=ps, output_padding=ops,
                                        groups=g, bias=bias, dilation=ds)))
            c = out
        elif kind in ("maxpool", "avgpool"):
            ks = per_axis(draw, rank, 1, 4)
            stride = draw(st.one_of(st.none(), st.integers(1, 3)))     # None: s = k
            ss = ks if stride is None else (stride,) * rank
            # padding at most k//2 (PyTorch's rule); now and then one more, refused by both
            ps = tuple(draw(st.integers(0, k // 2)) if draw(st.integers(0, 9)) else k // 2 + 1
                       for k in ks)
            ds = per_axis(draw, rank, 1, 2) if kind == "maxpool" else (1,) * rank
            ceil = draw(st.booleans())
            text = (f"{kind} " + option(draw, "k", ks).strip()
                    + ("" if stride is None else option(draw, "s", ss))
                    + option(draw, "p", ps, 0) + option(draw, "d", ds, 1)
                    + (" ceil" if ceil else ""))
            if kind == "maxpool":
                make = (lambda x, ks=ks, ss=ss, ps=ps, ds=ds, ceil=ceil, r=rank: MAXPOOL[r](
                    ks, stride=ss, padding=ps, dilation=ds, ceil_mode=ceil))
            else:
                make = (lambda x, ks=ks, ss=ss, ps=ps, ceil=ceil, r=rank: AVGPOOL[r](
                    ks, stride=ss, padding=ps, ceil_mode=ceil))
            # torch's AvgPool3d (alone: not 1d, 2d, nor MaxPool3d) refuses an input smaller
            # than the kernel even when the padding makes room; cnncalc refuses it too
            chain.steps.append(Step(text, kind, make))
        elif kind == "adaptive":
            which = draw(st.sampled_from(["maxpool", "avgpool"]))
            if draw(st.booleans()):
                outs, text = (1,) * rank, f"{which} global"
            else:
                outs = per_axis(draw, rank, 1, 5)
                text = f"{which} out={axes_text(outs)}"
            chain.steps.append(Step(text, which,
                                    lambda x, w=which, o=outs, r=rank: ADAPTIVE[w][r](o)))
        elif kind == "bn":
            chain.steps.append(Step(draw(st.sampled_from(["bn", "batchnorm"])), "bn",
                                    lambda x, r=rank: BATCHNORM[r](x.shape[1]).eval()))
        elif kind == "relu":
            chain.steps.append(Step("relu", "relu", lambda x: nn.ReLU()))
        elif kind in ("upsample", "insert"):  # both grow the input: at most two in all
            if upsamples == 2:
                continue
            upsamples += 1
            fs = per_axis(draw, rank, 1, 3 if rank < 3 else 2)
            text = kind + ("" if fs == (2,) * rank and draw(st.booleans())
                           else f" {axes_text(fs)}")
            module = (lambda x, fs=fs: nn.Upsample(
                scale_factor=tuple(float(f) for f in fs), mode="nearest")) \
                if kind == "upsample" else (lambda x, fs=fs: ZeroInsert(fs))
            chain.steps.append(Step(text, kind, module))
        elif kind == "pad":
            ps = per_axis(draw, rank, 0, 2)
            # ZeroPadNd takes (left, right) pairs from the last axis back
            amounts = tuple(p for p in reversed(ps) for _ in (0, 1))
            chain.steps.append(Step(f"pad {axes_text(ps)}", "pad",
                                    lambda x, a=amounts, r=rank: ZEROPAD[r](a)))
        elif kind == "fc":
            out, bias = draw(st.integers(1, 12)), draw(st.booleans())
            text = f"{draw(st.sampled_from(['fc', 'linear', 'dense']))} {out}" \
                + ("" if bias else " nobias")
            chain.steps.append(Step(text, "fc", lambda x, out=out, bias=bias: nn.Sequential(
                nn.Flatten(), nn.Linear(math.prod(x.shape[1:]), out, bias=bias))))
            c, rank = out, 0
        else:
            chain.steps.append(Step("flatten", "flatten", lambda x: nn.Flatten()))
            rank = 0
    return chain


def run_torch(chain):
    """Each layer's (input shape, output shape, params, buffers, MACs) from torch, up to the
    first layer torch refuses; returns (rows, index of the refused layer or None, its error)."""
    rows = []
    x = chain.input_tensor()
    with torch.no_grad():
        for i, step in enumerate(chain.steps):
            if x.numel() > MAX_ELEMENTS:
                event("left out: activation too large")
                assume(False)
            if step.skip_if is not None and step.skip_if(x):
                event(f"left out: {step.kind} (known bug or torch quirk)")
                assume(False)
            try:
                module = step.make(x)
                y = module(x)
            except RuntimeError as e:
                event(f"torch refuses {step.kind}")
                return rows, i, e
            if y.numel() == 0:         # ConvTranspose2d/3d return an empty tensor, 1d refuses
                event(f"torch refuses {step.kind}")
                return rows, i, f"empty output {tuple(y.shape)}"
            rows.append((tuple(x.shape[1:]), tuple(y.shape[1:]), torch_params(module),
                         torch_buffers(module), torch_macs(module, x, y)))
            x = y
    event("torch runs the whole chain")
    return rows, None, None


@SETTINGS
@given(chains())
def test_random_chains_agree_with_torch(chain):
    expected, refused, why = run_torch(chain)
    done = len(expected)
    if done:
        spec, _ = chain.spec(done)
        report = cnncalc.analyze(spec)
        got = [(r.input_shape, r.output_shape, r.params, r.buffers, r.macs) for r in report.rows]
        assert got == expected, spec
        assert [r.kind for r in report.rows] == [s.kind for s in chain.steps[:done]], spec
        t = report.totals
        assert t.output_shape == expected[-1][1]
        assert t.params == sum(e[2] for e in expected)
        assert t.buffers == sum(e[3] for e in expected)
        assert t.macs == sum(e[4] for e in expected)
    if refused is not None:
        # torch refused layer `refused`: cnncalc must refuse the same spec, at that layer
        spec, spans = chain.spec(refused + 1)
        with pytest.raises(CnnCalcError) as info:
            cnncalc.analyze(spec)
        start, end = spans[refused]
        err = info.value
        assert err.span is not None and start <= err.span.start < end, (
            f"{spec}\ntorch: {why}\ncnncalc: {err}")


# Deterministic companions of the random chains: one of each kind, and one refusal of each kind.

@pytest.mark.parametrize("spec, build, shape", [
    ("input 3x32x32 | conv 16 k3 p1 | bn | relu | maxpool k2 | conv 32 k3 s2 p1 g4 nobias"
     " | avgpool global | fc 10",
     lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, 2, 1, groups=4, bias=False),
                           nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)),
     (3, 32, 32)),
    ("input 8x5x5 | deconv 4 k3 s2 p1 op=1 | upsample 2 | pad 1x2 | avgpool out=3x3 | fc 7",
     lambda: nn.Sequential(nn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1),
                           nn.Upsample(scale_factor=2.0), nn.ZeroPad2d((2, 2, 1, 1)),
                           nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.Linear(36, 7)),
     (8, 5, 5)),
    ("input 2x6x9x9 | conv 4 k3 d2 | maxpool k2 ceil | bn",
     lambda: nn.Sequential(nn.Conv3d(2, 4, 3, dilation=2), nn.MaxPool3d(2, ceil_mode=True),
                           nn.BatchNorm3d(4)),
     (2, 6, 9, 9)),
])
def test_fixed_nets_agree_with_torch(spec, build, shape):
    net = build().eval()
    with torch.no_grad():
        y = net(torch.zeros((1,) + shape))
    t = cnncalc.analyze(spec).totals
    assert t.output_shape == tuple(y.shape[1:])
    assert t.params == torch_params(net)
    assert t.buffers == torch_buffers(net)


def test_text_cnn_agrees_with_torch():
    spec = "input 50 | embed 10000 300 | conv 100 k3 | relu | maxpool global | fc 2"
    net = nn.Sequential(nn.Embedding(10000, 300), ChannelsFirst(), nn.Conv1d(300, 100, 3),
                        nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(100, 2))
    with torch.no_grad():
        y = net(torch.zeros((1, 50), dtype=torch.long))
    t = cnncalc.analyze(spec).totals
    assert t.output_shape == tuple(y.shape[1:]) == (2,)
    assert t.params == torch_params(net) == 3090302


@pytest.mark.parametrize("spec, build, shape", [
    ("input 1x2x2 | conv 1 k3", lambda: nn.Conv2d(1, 1, 3), (1, 2, 2)),
    ("input 1x5x5 | maxpool k3 p2", lambda: nn.MaxPool2d(3, padding=2), (1, 5, 5)),
    ("input 1x5 | avgpool k2 p2", lambda: nn.AvgPool1d(2, padding=2), (1, 5)),
    ("input 1x5x5 | deconv 1 k3 s1 op=1", lambda: nn.ConvTranspose2d(1, 1, 3, output_padding=1),
     (1, 5, 5)),
    ("input 1x1x1 | deconv 1 k3 p3", lambda: nn.ConvTranspose2d(1, 1, 3, padding=3), (1, 1, 1)),
    ("input 1x1x1 | maxpool k3 s1 ceil", lambda: nn.MaxPool2d(3, 1, ceil_mode=True), (1, 1, 1)),
    # AvgPool3d alone wants each axis at least the kernel before padding (2 < 3 slices)
    ("input 1x2x4x4 | avgpool k3 p1", lambda: nn.AvgPool3d(3, padding=1), (1, 2, 4, 4)),
    ("input 1x4x4x2 | avgpool k3 p1 ceil", lambda: nn.AvgPool3d(3, padding=1, ceil_mode=True),
     (1, 4, 4, 2)),
])
def test_both_refuse(spec, build, shape):
    with pytest.raises(RuntimeError), torch.no_grad():
        build()(torch.zeros((1,) + shape))
    with pytest.raises(CnnCalcError):
        cnncalc.analyze(spec)


@pytest.mark.parametrize("spec, build, shape", [
    ("input 1x1x1 | maxpool k2 s2 ceil", lambda: nn.MaxPool2d(2, 2, ceil_mode=True), (1, 1, 1)),
    ("input 1x1x1 | avgpool k2 ceil", lambda: nn.AvgPool2d(2, ceil_mode=True), (1, 1, 1)),
    ("input 1x4x4 | maxpool k3 s2 d2 ceil",
     lambda: nn.MaxPool2d(3, 2, dilation=2, ceil_mode=True), (1, 4, 4)),
    ("input 3x5 | maxpool k3 s2 p1 ceil | maxpool k3 s2 p1 ceil | maxpool k3 s3 ceil",
     lambda: nn.Sequential(nn.MaxPool1d(3, 2, 1, ceil_mode=True),
                           nn.MaxPool1d(3, 2, 1, ceil_mode=True),
                           nn.MaxPool1d(3, 3, ceil_mode=True)), (3, 5)),
])
def test_ceil_pool_window_larger_than_the_padded_input(spec, build, shape):
    with torch.no_grad():
        y = build()(torch.zeros((1,) + shape))
    assert cnncalc.analyze(spec).totals.output_shape == tuple(y.shape[1:])


# --- p=same: TensorFlow's padding, the odd pixel right ------------------------------------------

def tf_same_pads(n, k, s, d):
    """(left, right): total max((ceil(n/s)-1)s + d(k-1)+1 - n, 0), the odd pixel right."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


@SETTINGS
@given(data=st.data(), ndim=st.integers(1, 3), c=st.integers(1, 4), out=st.integers(1, 4),
       stride_one=st.booleans())
def test_same_padding_agrees_with_torch(data, ndim, c, out, stride_one):
    draw = data.draw
    size = {1: 30, 2: 14, 3: 7}[ndim]
    ns = tuple(draw(st.integers(1, size)) for _ in range(ndim))
    ks, ds = per_axis(draw, ndim, 1, 5), per_axis(draw, ndim, 1, 3)
    ss = (1,) * ndim if stride_one else per_axis(draw, ndim, 1, 4)
    spec = (f"input {c}x{'x'.join(map(str, ns))} | conv {out} k={axes_text(ks)}"
            f" s={axes_text(ss)} d={axes_text(ds)} p=same")
    row = cnncalc.analyze(spec).rows[0]

    pads = [tf_same_pads(n, k, s, d) for n, k, s, d in zip(ns, ks, ss, ds)]
    gen = torch.Generator().manual_seed(sum(ns) + 7 * sum(ks))
    x = torch.randn((1, c) + ns, generator=gen)
    conv = CONV[ndim](c, out, ks, stride=ss, dilation=ds)
    with torch.no_grad():
        # F.pad takes (left, right) pairs from the last axis back
        explicit = conv(F.pad(x, [v for lr in reversed(pads) for v in lr]))
        if stride_one:
            # torch's own padding="same" (stride 1 only) puts the odd pixel where TF does
            same = CONV[ndim](c, out, ks, dilation=ds, padding="same")
            same.load_state_dict(conv.state_dict())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")       # even kernels: torch copies the input
                torch.testing.assert_close(same(x), explicit)
    assert row.output_shape == tuple(explicit.shape[1:]), spec
    assert row.output_shape[1:] == tuple(-(-n // s) for n, s in zip(ns, ss))   # ceil(n/s)
    assert row.params == torch_params(conv)
    assert row.macs == torch_macs(conv, x, explicit)
    # the left padding shows in the receptive field: the first output's centre sits at
    # d(k-1)/2 - left in input coordinates
    assert row.start == tuple(Fraction(d * (k - 1), 2) - left
                              for k, d, (left, _) in zip(ks, ds, pads)), spec


# --- the stride warning ---------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), ndim=st.integers(1, 3), kind=st.sampled_from(["conv", "maxpool",
                                                                       "avgpool"]))
def test_stride_warning_matches_torch(data, ndim, kind):
    draw = data.draw
    size = {1: 30, 2: 16, 3: 8}[ndim]
    ns = tuple(draw(st.integers(1, size)) for _ in range(ndim))
    ks, ss = per_axis(draw, ndim, 1, 5), per_axis(draw, ndim, 1, 4)
    if kind == "conv":
        ps, ds = per_axis(draw, ndim, 0, 3), per_axis(draw, ndim, 1, 3)
    else:
        ps = tuple(draw(st.integers(0, k // 2)) for k in ks)
        ds = per_axis(draw, ndim, 1, 2) if kind == "maxpool" else (1,) * ndim
    spans = [d * (k - 1) + 1 for k, d in zip(ks, ds)]
    assume(all(span <= n + 2 * p for span, n, p in zip(spans, ns, ps)))
    if kind == "avgpool" and ndim == 3:
        assume(all(n >= k for n, k in zip(ns, ks)))     # see avgpool3d_quirk
    spec = (f"input 2x{'x'.join(map(str, ns))} | {kind}{' 3' if kind == 'conv' else ''}"
            f" k={axes_text(ks)} s={axes_text(ss)} p={axes_text(ps)} d={axes_text(ds)}")
    report = cnncalc.analyze(spec)

    if kind == "conv":
        module = CONV[ndim](2, 3, ks, stride=ss, padding=ps, dilation=ds)
    elif kind == "maxpool":
        module = MAXPOOL[ndim](ks, stride=ss, padding=ps, dilation=ds)
    else:
        module = AVGPOOL[ndim](ks, stride=ss, padding=ps)
    with torch.no_grad():
        y = module(torch.zeros((1, 2) + ns))
    leftover = [(n + 2 * p - span) % s for n, p, span, s in zip(ns, ps, spans, ss)]
    floor_plus_one = tuple((n + 2 * p - span) // s + 1 for n, p, span, s in zip(ns, ps, spans, ss))
    assert tuple(y.shape[2:]) == floor_plus_one
    assert report.rows[0].output_shape == tuple(y.shape[1:]), spec

    tiling = [w for w in report.warnings if w.name == "tiling"]  # not `input 2x2`'s layout
    if any(leftover):
        assert len(tiling) == 1, spec
        message = tiling[0].message
        assert "does not tile" in message
        # it names the rows / columns left unused, axis by axis
        named = [int(v) for v in re.findall(r"the last (\d+) ", message)]
        assert named == [r for r in leftover if r], (spec, message)
        with pytest.raises(CnnCalcError):
            cnncalc.analyze(spec, strict=True, no_warn=("layout",))
    else:
        assert tiling == [], spec

    if kind in ("conv", "avgpool"):
        # torch agrees they are never used: no gradient reaches the last `leftover` entries of
        # the padded input along each axis, and the entry just before them is used
        padded = F.pad(torch.ones((1, 2) + ns), [p for p in reversed(ps) for _ in (0, 1)])
        padded.requires_grad_(True)
        if kind == "conv":
            weight = torch.ones_like(module.weight)
            z = getattr(F, f"conv{ndim}d")(padded, weight, stride=ss, dilation=ds)
        else:
            z = getattr(F, f"avg_pool{ndim}d")(padded, ks, stride=ss)
        z.sum().backward()
        for axis, r in enumerate(leftover):
            others = [a for a in range(padded.dim()) if a != axis + 2]
            profile = padded.grad.abs().sum(dim=others)
            assert profile[len(profile) - 1 - r] > 0
            assert not profile[len(profile) - r:].any()


def test_the_course_example_warns_and_torch_agrees():
    report = cnncalc.analyze("input 1x7x7 | conv 1 k3 s3")
    with torch.no_grad():
        y = nn.Conv2d(1, 1, 3, stride=3)(torch.zeros(1, 1, 7, 7))
    assert report.rows[0].output_shape == tuple(y.shape[1:]) == (1, 2, 2)   # floor(2.33)
    assert len(report.warnings) == 1 and "2.33" in report.warnings[0].message
