"""The result of an analysis: rows (facts about each layer), totals, warnings.

Presentation lives in `render/`; `to_dict` is the `--json` object of cli.md.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Any

from .errors import Span, Warning_
from .formulas import flops
from .ir import Input, in_layout
from .numbers import exact_float, plain


class Row(NamedTuple):
    index: int
    path: tuple[str, ...]
    kind: str
    source: str
    line: int
    input_shape: tuple
    output_shape: tuple
    params: Any
    buffers: Any
    macs: Any
    rf: tuple
    jump: tuple
    start: tuple
    output_bytes: Any
    note: str | None
    span: Span
    weights: Any = 0             # params = weights + biases (batch norm: scale + shift)
    biases: Any = 0
    padding: tuple | None = None  # ((before, after), …) per spatial axis; None: no padding
    mode: str | None = None      # the kind's variant (pooling: window, global, adaptive)
    options: dict | None = None  # the layer's options as resolved (None for a merge)
    connections: Any = 0         # LeCun et al.'s figure (LayerKind.connections), one sample

    @property
    def flops(self):
        return flops(self.macs)


class Container(NamedTuple):
    """A def call, labelled group, block or branch: a folding level of the table."""

    path: tuple[str, ...]
    kind: str
    source: str
    span: Span | None


class Totals(NamedTuple):
    params: Any
    trainable_params: Any
    buffers: Any
    macs: Any
    flops: Any
    output_shape: tuple
    rf: tuple
    jump: tuple
    input_bytes: Any
    activation_bytes: Any
    param_bytes: Any
    total_bytes: Any
    weights: Any = 0
    biases: Any = 0
    rf_features: tuple | None = None  # the field of the last row with spatial output
    connections: Any = 0


class Report(NamedTuple):
    input: Input
    rows: list[Row]
    totals: Totals
    warnings: list[Warning_]
    containers: dict[tuple, Container]
    dtype: str
    symbols: tuple = ()          # the spec's unbound names, in the order they first appear
    # symbolic specs only: the conditions stated simply, when the strides tile exactly, the
    # smallest input (symbolic.summary.Summary)
    summary: Any = None
    # `--memory training`: each term of a training step's memory (training.TrainingMemory)
    training: Any = None
    asserts: tuple = ()          # the spec's own budgets (gate.Budget), judged by gate.py
    # whose count the MACs follow (conventions.py): "papers" (weights x positions) or a peer's
    convention: str = "papers"

    def display_shape(self, shape: tuple) -> list:
        """Shapes are kept channels first; a channels-last input shows them that way too."""
        return [self.json_value(d) for d in in_layout(shape, self.input.layout)]

    @property
    def order(self) -> tuple:
        return tuple(s.name for s in self.symbols)

    def json_value(self, value: Any):
        """Exact where it can be: ints stay ints, halves are exact floats, other fractions
        and symbolic values are text that sympy parses back (`10/7`, `ceiling(H/32)`)."""
        value = plain(value)
        if isinstance(value, int):
            return value
        if isinstance(value, Fraction):
            # a half or a quarter is exact as a JSON number; 10/7 is not (nor a half too
            # large for a float to hold it), and stays exact as the text sympy reads back
            number = exact_float(value)
            return str(value) if number is None else number
        from .symbolic.printer import to_text

        return to_text(value, self.order, unicode=False)

    def conditions_json(self) -> list:
        """`"conditions"` of the JSON: [{text, expr, path, line}] (empty for a concrete spec)."""
        return [_stated(c) for c in self.summary.conditions] if self.summary else []

    def training_json(self) -> dict | None:
        """`"training_memory"` of the JSON (only under `--memory training`): the optimizer,
        its states per parameter, each term in bytes and their total (docs/memory.md)."""
        m = self.training
        if m is None:
            return None
        return {"optimizer": m.optimizer, "states_per_param": m.states_per_param,
                **{key: self.json_value(v) for key, v in m.terms()},
                "total_bytes": self.json_value(m.total_bytes)}

    def to_dict(self) -> dict:
        show = self.display_shape
        _num = self.json_value
        t = self.totals
        summary = self.summary
        return {
            "input": {"shape": show(self.input.shape), "layout": self.input.layout,
                      "batch": _num(self.input.batch)},
            "layers": [
                {"index": r.index, "path": ".".join(r.path), "kind": r.kind,
                 "source": r.source, "line": r.line,
                 "input_shape": show(r.input_shape), "output_shape": show(r.output_shape),
                 "params": _num(r.params), "weights": _num(r.weights),
                 "biases": _num(r.biases), "buffers": _num(r.buffers), "macs": _num(r.macs),
                 "flops": _num(r.flops), "connections": _num(r.connections), "padding": None if r.padding is None else
                 [[_num(before), _num(after)] for before, after in r.padding],
                 "rf": [_num(v) for v in r.rf],
                 "jump": [_num(v) for v in r.jump], "start": [_num(v) for v in r.start],
                 "output_bytes": _num(r.output_bytes)}
                for r in self.rows],
            "totals": {
                "params": _num(t.params), "trainable_params": _num(t.trainable_params),
                "weights": _num(t.weights), "biases": _num(t.biases),
                "buffers": _num(t.buffers), "macs": _num(t.macs), "flops": _num(t.flops),
                "connections": _num(t.connections), "output_shape": show(t.output_shape), "rf": [_num(v) for v in t.rf],
                "rf_features": None if t.rf_features is None else
                [_num(v) for v in t.rf_features],
                "jump": [_num(v) for v in t.jump], "input_bytes": _num(t.input_bytes),
                "activation_bytes": _num(t.activation_bytes),
                "param_bytes": _num(t.param_bytes), "total_bytes": _num(t.total_bytes),
                "convention": self.convention},
            # every warning, one per row it arose in, whatever --no-warn or -q silenced
            "warnings": [w.to_dict() for w in self.warnings],
            "conditions": self.conditions_json(),
            "exact_when": [_stated(c) for c in summary.exact_when] if summary else [],
            "min_input": (None if summary is None or summary.min_input is None
                          else show(summary.min_input)),
            # what a reader passes to sympy.sympify to read the expressions back (as locals,
            # since sympify alone takes S and I for its own objects)
            "symbols": [{"name": s.name, "domain": "nonnegative integer"
                         if s.is_nonnegative and not s.is_positive else "positive integer"}
                        for s in self.symbols],
            # today's object, unchanged, unless --memory training asks for it
            **({} if self.training is None else {"training_memory": self.training_json()}),
            **({"asserts": self.asserts_json()} if self.asserts else {}),
        }

    def asserts_json(self) -> list:
        """`"asserts"` of the JSON (only for a spec that has some): [{text, line, actual,
        verdict}], verdict "passed", "failed" or "undecided" (a symbolic value)."""
        from .gate import judge

        def shown(value):
            return [shown(v) for v in value] if isinstance(value, tuple) \
                else self.json_value(value)

        return [{"text": o.budget.text, "line": o.budget.span.line, "actual": shown(o.actual),
                 "verdict": {True: "passed", False: "failed", None: "undecided"}[o.ok]}
                for o in judge(self, self.asserts)]


def _stated(s) -> dict:
    return {"text": s.text, "expr": s.expr, "path": ".".join(s.path), "line": s.line}
