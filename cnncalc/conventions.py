"""Counting conventions: the MACs that papers quote, and those that torchinfo, fvcore and
ptflops print for the same network, reproduced to the unit (ResNet-50 at 224: 4,089,184,256;
4,089,238,376; 4,111,512,576; 4,132,436,968).

A pass over the analysis report. Each row is first reduced to its `Facts` (its family —
conv, fc, batch norm, activation, pooling, … —, the kind and its mode, the weight and bias
elements, the positions and elements in and out); a convention is then one small table,
category -> a function of those facts. The categories are the rows of the reconciliation
(`analyze --conventions`), so the table that explains the differences is the sum that makes
each total: nothing is counted twice or left out.

The peers' rules come from their sources (torchinfo 1.8.0 `LayerInfo.calculate_macs`,
fvcore 0.1.5 `_DEFAULT_SUPPORTED_OPS`, ptflops 0.7.5 `pytorch_ops.py` and its
`patch_functional`); `docs/conventions.md` states each with what it means for a network.
Every count here is a MAC-like count; FLOPs are 2 x MACs under every convention.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from .formulas import flops
from .layers.elementwise import ACTIVATIONS
from .numbers import product, total
from .report import Report, Row

# --- the facts of a row -----------------------------------------------------------------

FAMILIES = {"conv": "conv", "dwconv": "conv", "deconv": "deconv", "fc": "fc", "bn": "bn",
            "maxpool": "pool", "avgpool": "pool", "upsample": "upsample",
            "add": "merge", "concat": "merge", "mul": "merge",
            "leakyrelu": "activation", "prelu": "activation",
            **{name: "activation" for name in ACTIVATIONS}}
# anything else (flatten, dropout, pad, insert, shuffle, embed, lrn) is "other"


class Facts(NamedTuple):
    """What a convention may ask of one row; elements and positions include the batch."""

    family: str          # conv (dwconv too), deconv, fc, bn, activation, pool, upsample,
    kind: str            # merge, other; kind: the row's kind (relu, maxpool, add, …)
    mode: str | None     # pooling: window, global, adaptive
    axes: int            # spatial axes of the input (2 for an image)
    macs: Any            # the papers' count: weights x positions (deconv: input positions)
    weights: Any         # weight elements (batch norm: its scale)
    biases: Any          # bias elements (batch norm: its shift)
    params: Any
    batch: Any
    channels: Any        # of the input
    in_elements: Any
    out_elements: Any
    out_positions: Any   # batch x output spatial positions (1 per sample without any)
    options: dict        # the layer's options (lrn's size); empty for a merge


def facts(report: Report, row: Row) -> Facts:
    batch = report.input.batch
    x, y = row.input_shape, row.output_shape
    return Facts(FAMILIES.get(row.kind, "other"), row.kind, row.mode, len(x) - 1, row.macs,
                 row.weights, row.biases, row.params, batch, x[0], batch * product(x),
                 batch * product(y), batch * product(y[1:]), row.options or {})


# --- the categories: the reconciliation's rows, in its order ----------------------------

WEIGHTS, BIAS = "conv/fc MACs", "conv and fc bias"
CATEGORIES = {  # category -> the families whose rows it counts
    WEIGHTS: ("conv", "deconv", "fc"),
    BIAS: ("conv", "deconv", "fc"),
    "batch norm": ("bn",),
    "activations": ("activation",),
    "pooling": ("pool",),
    "upsampling": ("upsample",),
    "merges": ("merge",),
    "other layers": ("other",),
}

Rule = Callable[[Facts], Any]


class Convention(NamedTuple):
    name: str
    about: str           # one line: what the figure is, where it comes from
    rules: dict          # category -> Rule (a category left out counts 0)


def _applied(f: Facts):
    """How many times a conv's or fc's weights (and biases) are applied: once per output
    position (fc: once per sample)."""
    return f.batch if f.family == "fc" else f.out_positions


def _parameters(f: Facts):
    return f.params * f.batch


# ptflops 0.7.5 (pytorch backend): a module's forward hook and, where the module's forward
# calls a torch.nn.functional function that ptflops patches, that function's counter too.
# Per activation kind: how many times its elements are counted.
_PTFLOPS_ACTIVATION = {
    "relu": 2, "elu": 2, "gelu": 2, "prelu": 2,  # module hook + patched F.relu/elu/gelu/prelu
    "leakyrelu": 1, "relu6": 1,  # module hook; F.leaky_relu and F.hardtanh are not patched
    "silu": 1, "softmax": 1,  # no module hook; F.silu and F.softmax are patched
}  # sigmoid, tanh, hardswish, mish, selu, hardsigmoid: neither, 0


def _ptflops_other(f: Facts):
    """torch's F.local_response_norm is built of operations ptflops patches: x·x, the mean
    over the window of channels (an average pool over the C + size − 1 zero-padded
    channels at each position), ·alpha and +k: 3 per element and C + size − 1 per
    position. Nothing else without a module hook (flatten, dropout, pad, insert, shuffle,
    embed) reaches a counter."""
    if f.kind != "lrn":
        return 0
    return 3 * f.out_elements + (f.channels + f.options["size"] - 1) * f.out_positions


def _fvcore_pool(f: Facts):
    # aten::adaptive_avg_pool2d alone has a handle: 1 per input element
    adaptive = f.kind == "avgpool" and f.mode in ("global", "adaptive") and f.axes == 2
    return f.in_elements if adaptive else 0


CONVENTIONS = {c.name: c for c in (
    Convention("papers", "multiply-accumulates of conv, deconv and fc: weights x output "
                         "positions (deconv: input positions), bias not included",
               {WEIGHTS: lambda f: f.macs}),
    Convention("torchinfo", "torchinfo 1.8 total_mult_adds: a conv's weight and bias elements "
                            "x output positions; any other layer, its parameter count",
               {WEIGHTS: lambda f: f.weights * _applied(f),
                BIAS: lambda f: f.biases * _applied(f),
                **{c: _parameters for c in CATEGORIES if c not in (WEIGHTS, BIAS)}}),
    Convention("fvcore", "fvcore 0.1.5 FlopCountAnalysis.total: conv and fc without bias, "
                         "batch norm 2 per element, 2-D adaptive average pooling 1 per input "
                         "element, 2-D nearest upsampling 1 per output element",
               {WEIGHTS: lambda f: f.macs,
                "batch norm": lambda f: 2 * f.in_elements,
                "pooling": _fvcore_pool,
                "upsampling": lambda f: f.out_elements if f.axes == 2 else 0}),
    Convention("ptflops", "ptflops 0.7.5 get_model_complexity_info (pytorch backend) on a "
                          "network built from modules: conv and fc with bias, batch norm 2 "
                          "per element, activations and pooling by module hook and by "
                          "patched function",
               {WEIGHTS: lambda f: f.macs,
                BIAS: lambda f: f.biases * _applied(f),
                "batch norm": lambda f: 2 * f.in_elements,
                "activations": lambda f: _PTFLOPS_ACTIVATION.get(f.kind, 0) * f.out_elements,
                "pooling": lambda f: 2 * f.in_elements,  # nn.*Pool* hook + F.*_pool*
                "upsampling": lambda f: 2 * f.out_elements,  # nn.Upsample + F.interpolate
                "other layers": _ptflops_other}),
)}
NAMES = tuple(CONVENTIONS)
DEFAULT = "papers"


# --- counting ---------------------------------------------------------------------------

def by_category(f: Facts, convention: str) -> dict[str, Any]:
    """One row's count under `convention`, by category (the categories it falls in only)."""
    rules = CONVENTIONS[convention].rules
    return {c: rules[c](f) if c in rules else 0
            for c, families in CATEGORIES.items() if f.family in families}


def row_macs(report: Report, row: Row, convention: str):
    return total(by_category(facts(report, row), convention).values())


def macs_under(report: Report, convention: str = DEFAULT):
    """The total MACs of an analysed network under `convention` (one of NAMES)."""
    return total(row_macs(report, r, convention) for r in report.rows)


def under(report: Report, convention: str) -> Report:
    """The report with every row's MACs, and the totals' MACs and FLOPs, counted as
    `convention` counts them: what every renderer then shows."""
    if convention == report.convention:
        return report
    rows = [r._replace(macs=row_macs(report, r, convention)) for r in report.rows]
    macs = total(r.macs for r in rows)
    return report._replace(rows=rows, totals=report.totals._replace(macs=macs, flops=flops(macs)),
                           convention=convention)


class Reconciliation(NamedTuple):
    """Each convention's count by category, and its total."""

    conventions: tuple[str, ...]
    categories: tuple[str, ...]
    counts: dict       # convention -> {category: count}
    totals: dict       # convention -> total


def reconcile(report: Report, conventions: tuple[str, ...] = NAMES) -> Reconciliation:
    counts = {c: dict.fromkeys(CATEGORIES, 0) for c in conventions}
    for row in report.rows:
        f = facts(report, row)
        for c in conventions:
            for category, n in by_category(f, c).items():
                counts[c][category] = counts[c][category] + n
    return Reconciliation(tuple(conventions), tuple(CATEGORIES), counts,
                          {c: total(counts[c].values()) for c in conventions})
