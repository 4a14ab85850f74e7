"""The IR: a small immutable tree of resolved layers.

`build` turns the syntax tree into this: defs are inlined, repeats expanded, labels and
numbered names attached, option values evaluated (to ints, Fractions for rates, or sympy
expressions where the spec has symbols). Passes in `analysis` read it and never change it;
a repeated sub-tree may be the very same object several times over.
"""

from __future__ import annotations

from typing import NamedTuple, TYPE_CHECKING, Any, Union

from .errors import Span

if TYPE_CHECKING:
    from .layers.base import LayerKind
    from .layers.merge import MergeKind


class Layer(NamedTuple):
    """One leaf layer: its kind's definition, its option values and where it was written."""

    kind: "LayerKind"
    opts: dict[str, Any]          # option name -> value; not mutated after build
    spans: dict[str, Span]        # option name -> where its value was written (for errors)
    span: Span                    # the whole statement
    text: str                     # its source text, def parameters replaced by their values

    def opt_span(self, name: str) -> Span:
        return self.spans.get(name, self.span)


class Seq(NamedTuple):
    """Nodes applied one after another. `names[i]` is the label written for `items[i]`, or
    None: the walk then names it by its kind and index among its unlabelled siblings
    (`conv1`), or by its position in a `positional` sequence (`0`, as nn.Sequential)."""

    items: tuple["Node", ...]
    names: tuple[str | None, ...]
    span: Span | None             # the call / label / group this sequence came from
    name: str | None = None       # the def's name, for a call (named basic1, basic2 …)
    positional: bool = False


class Merge(NamedTuple):
    """Branches that are joined by a merge kind (`layers/merge.py`: add, concat, mul, split),
    which also says what each branch takes as input."""

    kind: "MergeKind"
    branches: tuple[Seq, ...]      # an empty Seq is the identity
    branch_names: tuple[str | None, ...]  # a branch's label; None: its rows are named where
                                          # the block stands, as siblings of the block's row
    span: Span                     # the block keyword


Node = Union[Layer, Seq, Merge]


def in_layout(shape: tuple, layout: str) -> tuple:
    """Shapes are kept channels first; a channels-last (hwc) input shows them that way."""
    if layout == "hwc" and len(shape) > 1:
        return tuple(shape[1:]) + (shape[0],)
    return tuple(shape)


class Input(NamedTuple):
    shape: tuple[Any, ...]         # channels first, whatever the layout it was written in
    layout: str                    # "chw" (channels first) or "hwc" (channels last)
    batch: Any
    span: Span | None


class Net(NamedTuple):
    input: Input
    body: Seq
    leaf_count: int                # nodes: layers, merges, and the calls, labelled groups
                                   # and copies holding them (what --max-layers counts)
    symbols: tuple[tuple[Any, Span], ...]  # unbound names (sympy symbols), where each is first
    conditions: tuple = ()         # what the values written must satisfy (numbers.Condition)
    roles: dict | None = None      # symbol name -> the option, "input" or "repeat" that took it
    asserts: tuple = ()            # `assert params <= 25M`: gate.Budget, each with its span
