"""One walk over the IR: sequences in order, merge blocks branch by branch, with the path of
every node. What a layer or a merge *does* is the visitor's business (the analysis computes
shapes, the executor will compute arrays); the order, the paths and the containers (calls,
blocks, labelled branches) are decided here once.
"""

from __future__ import annotations

from typing import Any

from . import ir


class Visitor:
    """What a pass over the IR provides. `value` is whatever flows along the net: a shape
    and a receptive field for the analysis, an array for the executor."""

    def enter(self, path: tuple, kind: str, node: ir.Node) -> None:
        """A container begins: a call or labelled group ("call"), a merge block ("block") or a
        labelled branch ("branch")."""

    def layer(self, layer: ir.Layer, path: tuple, value: Any) -> Any:
        raise NotImplementedError

    def branch_inputs(self, merge: ir.Merge, path: tuple, value: Any) -> list:
        """The value each branch of `merge` starts from."""
        raise NotImplementedError

    def join(self, merge: ir.Merge, path: tuple, value: Any, outs: list) -> Any:
        """The merge's output from its branches' outputs (`value` is the block's input)."""
        raise NotImplementedError


def walk(seq: ir.Seq, visitor: Visitor, value: Any, path: tuple = ()) -> Any:
    for node, name in zip(seq.items, seq.names):
        here = path + (name,)
        if isinstance(node, ir.Layer):
            value = visitor.layer(node, here, value)
        elif isinstance(node, ir.Seq):
            visitor.enter(here, "call", node)
            value = walk(node, visitor, value, here)
        else:
            visitor.enter(here, "block", node)
            value = _merge(node, visitor, value, here)
    return value


def _merge(m: ir.Merge, visitor: Visitor, value: Any, path: tuple) -> Any:
    outs = []
    inputs = visitor.branch_inputs(m, path, value)
    for branch, name, x in zip(m.branches, m.branch_names, inputs):
        # a named branch with layers is a folding level of its own; the identity `{ }` and
        # the unnamed branch of `residual` sit directly in the block
        here = path
        if name and branch.items:
            here = path + (name,)
            visitor.enter(here, "branch", branch)
        outs.append(walk(branch, visitor, x, here))
    return visitor.join(m, path, value, outs)
