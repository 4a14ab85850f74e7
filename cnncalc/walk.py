"""One walk over the IR: sequences in order, merge blocks branch by branch, and the path of
every row. What a layer or a merge *does* is the visitor's business (the analysis computes
shapes, the executor will compute arrays); the order, the names and the containers are
decided here once.

A path can spell PyTorch's module names (`layer1.0.conv1`, `layer1.0.downsample.0`): it is
the labels of the enclosing labelled groups, calls and branches, then the row's own label or
automatic name. Merge blocks and unlabelled groups add no segment. An unlabelled row is named
by its kind and its index among the unlabelled siblings of that kind (`conv1` even when
alone, so a later sibling renames nothing); an unlabelled call by its def's name (`basic1`);
an item of a numbered sequence by its position (`0`). Two rows with one path are an error.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import ir
from .errors import CnnCalcError, Span


class Visitor:
    """What a pass over the IR provides. `value` is whatever flows along the net: a shape
    and a receptive field for the analysis, an array for the executor."""

    def enter(self, path: tuple, kind: str, node: ir.Node) -> None:
        """A container begins: a call ("call"), a labelled or numbered group ("group") or a
        labelled branch ("branch")."""

    def layer(self, layer: ir.Layer, path: tuple, value: Any) -> Any:
        raise NotImplementedError

    def branch_inputs(self, merge: ir.Merge, path: tuple, value: Any) -> list:
        """The value each branch of `merge` starts from."""
        raise NotImplementedError

    def join(self, merge: ir.Merge, path: tuple, value: Any, outs: list) -> Any:
        """The merge's output from its branches' outputs (`value` is the block's input;
        `path` is the merge's own row)."""
        raise NotImplementedError


def walk(seq: ir.Seq, visitor: Visitor, value: Any, path: tuple = ()) -> Any:
    return _Walk(visitor).seq(seq, value, path, Counter())


def _base(node: ir.Node) -> str:
    if isinstance(node, ir.Layer):
        return node.kind.name
    if isinstance(node, ir.Seq):
        return node.name or "group"
    return node.kind.row_kind


class _Walk:
    def __init__(self, visitor: Visitor):
        self.visitor = visitor
        self.claimed: dict[tuple, Span | None] = {}  # path -> where it was written

    def claim(self, path: tuple, span: Span | None) -> None:
        if path in self.claimed:
            first = self.claimed[path]
            where = f" (line {first.line})" if first is not None else ""
            raise CnnCalcError(f"two rows are named '{'.'.join(path)}': this one and the one "
                               f"written earlier{where}; label one of them", span)
        self.claimed[path] = span

    def seq(self, seq: ir.Seq, value: Any, path: tuple, scope: Counter) -> Any:
        """`scope` counts the automatic names already given at this level of the path."""
        for i, (node, label) in enumerate(zip(seq.items, seq.names)):
            if label is not None:
                segment = label
            elif seq.positional:
                segment = str(i)
            else:
                base = _base(node)
                scope[base] += 1
                # conv1, conv2 … but relu6_1, relu6_2 where the name ends in a digit
                segment = f"{base}_{scope[base]}" if base[-1].isdigit() else \
                    f"{base}{scope[base]}"
            value = self.node(node, value, path, path + (segment,), scope)
        return value

    def node(self, node: ir.Node, value: Any, path: tuple, here: tuple,
             scope: Counter) -> Any:
        if isinstance(node, ir.Layer):
            self.claim(here, node.span)
            return self.visitor.layer(node, here, value)
        if isinstance(node, ir.Seq):
            self.claim(here, node.span)
            self.visitor.enter(here, "call" if node.name else "group", node)
            return self.seq(node, value, here, Counter())
        # a merge adds no segment: its unlabelled branches' rows are named beside it
        self.claim(here, node.span)
        outs = []
        inputs = self.visitor.branch_inputs(node, here, value)
        for branch, label, x in zip(node.branches, node.branch_names, inputs):
            if label is None:
                outs.append(self.seq(branch, x, path, scope))
                continue
            branch_path = path + (label,)
            self.claim(branch_path, branch.span)
            self.visitor.enter(branch_path, "branch", branch)
            outs.append(self.seq(branch, x, branch_path, Counter()))
        return self.visitor.join(node, here, value, outs)
