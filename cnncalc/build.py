"""Syntax tree to IR: evaluate values, resolve layer options, inline defs, expand repeats.

Limits are enforced here, before any work that they bound: the number of expanded layers
and blocks (checked before a repeat is multiplied out), the nesting depth of calls, blocks,
labels and repeats, and the size of every value computed (`numbers.bounded`).

Layer kinds, option names, flags and padding words are matched in any case (`ReLU`, `FC`,
`Stride=2`, `NoBias`, `p=SAME`); names the user makes (defs, parameters, symbols, labels) keep
their case. A word that could be either (`K3`: the symbol K3 or the kernel 3) is the user's
name when it already is one (a def parameter, a `-D` binding, a symbol met before), else the
option. What is not accepted gets the spelling to use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from fractions import Fraction
from typing import Any

from . import ir
from .errors import CnnCalcError, Span, closest, did_you_mean, one_line
from .layers import REGISTRY
from .layers.base import AXES, BOOL, FLAG, INT, PADDING, RATE, TABLE, LayerKind, Option
from .layers.conv import NAMED_TABLES
from .layers.merge import MERGES
from .numbers import (Conditions, at_least, bounded, divides, exact_div, floor_div,
                      is_concrete, mod, plain, settled, show, symbol)
from .syntax import tree as t
from .syntax.parser import BLOCK_KINDS, axis_split

# Layers and blocks a spec may expand to (--max-layers), so that any spec is analysed within
# seconds: the largest real networks have a few thousand rows (ResNet-1202 about 4,800), and
# a table of 10,000 takes about 2 s. `explain` writes several lines of working per layer, up
# to ten times slower, and stops at 1,000 (benchmarks/limits.py measures both).
DEFAULT_MAX_LAYERS = 10_000
EXPLAIN_MAX_LAYERS = 1_000
MAX_DEPTH = 100
_FUSED = re.compile(r"([A-Za-z]+?)([0-9]+(?:[xX×][0-9]+)*)\Z")
_NUMBER_WORD = re.compile(r"[0-9]+(?:[xX×][0-9]+)*\Z")  # 5, 3x3, 2X2
_KEYWORDS = ("input", "def", "shortcut")
_PAD_WORDS = ("same", "valid", "full")

Entry = tuple  # (node, base name, expanded row count)


def build(spec: t.Spec, *, input_override: t.Input | None = None,
          max_layers: int = DEFAULT_MAX_LAYERS, bindings: dict | None = None,
          repeat_once: bool = False, unknowns=()) -> ir.Net:
    """`bindings` give names a value from outside the spec (`-D H=32`). `repeat_once` lets a
    repeat count be a name, expanded once: `solve` uses it to learn a spec's names before it
    gives them values. `unknowns` are names the caller asks about (`solve --range NAME=…`):
    like bound names, they are never taken for a mistyped def parameter."""
    return _Builder(spec, max_layers, bindings or {}, repeat_once,
                    frozenset(unknowns)).net(input_override)


class _Builder:
    def __init__(self, spec: t.Spec, max_layers: int, bindings: dict, repeat_once: bool,
                 unknowns: frozenset = frozenset()):
        self.spec = spec
        self.max_layers = max_layers
        self.bindings = bindings
        self.repeat_once = repeat_once
        self.unknowns = unknowns
        self.roles: dict[str, str] = {}  # name -> what first took it: "p", "k", "repeat"…
        self.bound: set[str] = set()  # the bindings the spec used
        self.symbols: dict[str, tuple] = {}  # name -> (sympy symbol, where first used)
        self.conditions = Conditions()
        self.depth = 0
        self.expanded: dict[tuple, list] = {}  # (def, arguments) -> its expanded body
        self.defs: dict[str, t.Def] = {}
        for d in spec.defs:
            if d.name in self.defs:
                raise CnnCalcError(f"'{d.name}' is defined twice", d.name_span)
            word = d.name.lower()
            if word in REGISTRY or word in BLOCK_KINDS or word in _KEYWORDS:
                what = "a keyword" if word in _KEYWORDS else "a built-in layer"
                if word != d.name:  # layer names and keywords are read in any case
                    what += f" ('{word}', in any case)"
                raise CnnCalcError(f"'{d.name}' is {what}; choose another name", d.name_span)
            self.defs[d.name] = d
        _check_recursion(self.defs)

    # --- the whole net --------------------------------------------------------------------

    def net(self, override: t.Input | None) -> ir.Net:
        written = override or self.spec.input
        if written is None:
            first = self.spec.body[0].span if self.spec.body else None
            if first is None:
                raise CnnCalcError("the spec is empty: write e.g. 'input 3x32x32 | conv 16 k3'",
                                   Span(self.spec.source, 0, 0))
            raise CnnCalcError("the spec has no input: begin with e.g. 'input 3x224x224' "
                               "(or pass --input)", Span(first.source, 0, 0))
        inp = self.input(written, self.spec.input)
        entries = self.stmts(self.spec.body, {})
        body = self.seq(entries, None)  # may be empty: `input 1x4x4` shows the input's size
        count = sum(e[2] for e in entries)
        for name in self.bindings:
            if name not in self.bound:
                raise CnnCalcError(f"the spec has no name '{name}' to give a value"
                                   f"{did_you_mean(name, self.symbols)}", where=f"-D {name}")
        return ir.Net(inp, body, count, tuple(self.symbols.values()),
                      tuple(self.conditions.items), dict(self.roles),
                      tuple(_budget(a) for a in self.spec.asserts))

    def input(self, written: t.Input, original: t.Input | None) -> ir.Input:
        opts = {o.name.lower(): o for o in written.options}  # Layout=HWC as layout=hwc
        if original is not None and written is not original:  # --input keeps the spec's layout
            opts = {**{o.name.lower(): o for o in original.options}, **opts}
        for name, o in opts.items():
            if name not in ("layout", "batch"):
                raise CnnCalcError(f"unknown input option '{name}'"
                                   f"{did_you_mean(name, ('layout', 'batch'))}", o.name_span)
        layout = "chw"
        if "layout" in opts:
            v = opts["layout"].value
            layout = v.name.lower() if isinstance(v, t.Name) else ""
            if layout not in ("chw", "hwc"):
                raise CnnCalcError("layout is chw (channels first) or hwc (channels last)",
                                   v.span)
        batch = 1
        if "batch" in opts:
            batch = self.count(opts["batch"].value, {}, "batch", role="batch")
        dims = [self.count(d, {}, "a dimension", role="input") for d in written.dims]
        if layout == "hwc" and len(dims) > 1:
            dims = [dims[-1]] + dims[:-1]
        if len(dims) > 4:
            raise CnnCalcError(f"an input has at most 3 spatial axes (C x D x H x W); this has "
                               f"{len(dims) - 1}", written.span)
        return ir.Input(tuple(dims), layout, batch, written.span)

    # --- statements -----------------------------------------------------------------------

    def enter(self, span: Span) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CnnCalcError(f"blocks, calls, labels and repeats nest deeper than "
                               f"{MAX_DEPTH} levels", span)

    def stmts(self, stmts, env) -> list[Entry]:
        out: list[Entry] = []
        total = 0
        for s in stmts:
            entries = self.stmt(s, env)
            total += sum(e[2] for e in entries)
            self.check_count(total, s.span)
            out.extend(entries)
        return out

    def check_count(self, count: int, span: Span) -> None:
        """`count` is of every node: layers, merge blocks, and the calls, labelled groups and
        copies that hold rows (an empty one still takes time and memory to walk)."""
        if count > self.max_layers:
            raise CnnCalcError(f"this expands to {count:,} layers and blocks, more than the "
                               f"limit of {self.max_layers:,} (raise it with --max-layers)",
                               span)

    def seq(self, entries: list[Entry], span: Span | None, name: str | None = None,
            positional: bool = False) -> ir.Seq:
        """The entries as a sequence; each keeps its label (None: named by the walk)."""
        return ir.Seq(tuple(e[0] for e in entries), tuple(e[1] for e in entries), span, name,
                      positional)

    def stmt(self, s, env) -> list[Entry]:
        if isinstance(s, t.Apply):
            return [self.apply(s, env)]
        if isinstance(s, t.Group):
            if s.positional:
                raise CnnCalcError("a numbered group [ … ] needs a label, e.g. layer1: [ … ]",
                                   s.span)
            return self.group(s, env)
        if isinstance(s, t.Repeat):
            once, n = self.repeat(s, env)
            return once * n if once else []  # nothing, however often, is nothing
        if isinstance(s, t.Labeled):
            return [self.labeled(s, env)]
        if isinstance(s, t.Block):
            return [self.block(s, env)]
        raise AssertionError(f"unknown statement {s!r}")

    def group(self, g: t.Group, env) -> list[Entry]:
        self.enter(g.span)
        entries = self.stmts(g.body, env)
        self.depth -= 1
        return entries

    def repeat(self, s: t.Repeat, env) -> tuple[list[Entry], int]:
        """What one copy expands to, and how many copies."""
        n = self.count(s.count, env, "a repeat count", role="repeat")
        self.enter(s.span)
        once = self.stmt(s.body, env)
        self.depth -= 1
        per = sum(e[2] for e in once)
        if self.repeat_once and not is_concrete(n):
            return once, 1
        if not is_concrete(n):
            raise CnnCalcError(f"a repeat count must be a number, not '{s.count.span.text}'",
                               s.count.span)
        self.check_count(per * n, s.span)
        return once, n

    def labeled(self, s: t.Labeled, env) -> Entry:
        """A label names one layer or call; a group, block or repeat becomes a container
        under it. The copies of a labelled repeat and the items of `[ … ]` are numbered from
        0, as nn.Sequential numbers its children (`blk: { … } * 2` is blk.0, blk.1)."""
        self.enter(s.span)
        entry = self._labeled(s, s.body, env)
        self.depth -= 1
        return entry

    def _labeled(self, s: t.Labeled, body, env) -> Entry:
        if isinstance(body, t.Repeat):
            once, n = self.repeat(body, env)
            copy = once[0] if len(once) == 1 and once[0][1] is None else \
                (self.seq(once, body.body.span), None, sum(e[2] for e in once) + 1)
            self.check_count(copy[2] * n + 1, s.span)  # before the copies are made
            return (self.seq([copy] * n, s.span, positional=True), s.label, copy[2] * n + 1)
        if isinstance(body, t.Group):
            entries = self.group(body, env)
            return (self.seq(entries, body.span, positional=body.positional), s.label,
                    sum(e[2] for e in entries) + 1)
        entries = self.stmt(body, env)
        if len(entries) == 1 and isinstance(body, t.Apply):  # a layer or a call
            node, _, count = entries[0]
            return (node, s.label, count)
        return (self.seq(entries, body.span), s.label, sum(e[2] for e in entries) + 1)

    def block(self, b: t.Block, env) -> Entry:
        self.enter(b.span)
        groups = list(b.branches)
        if b.kind == "residual":
            op = "add"
            groups.append(b.shortcut)
        else:
            op = b.kind
        branches, count = [], 1  # the merge's own row, and every row of its branches
        for g in groups:
            if g is None:  # residual without a shortcut: the identity
                branches.append(ir.Seq((), (), None))
                continue
            if g.positional and g.label is None:
                raise CnnCalcError("a numbered branch [ … ] needs a label, e.g. "
                                   "downsample: [ … ]", g.span)
            entries = self.stmts(g.body, env)
            count += sum(e[2] for e in entries)
            branches.append(self.seq(entries, g.span, positional=g.positional))
        self.depth -= 1
        self.check_count(count, b.span)
        labels = tuple(g.label if g is not None else None for g in groups)
        return (ir.Merge(MERGES[op], tuple(branches), labels, b.kind_span), None, count)

    def apply(self, a: t.Apply, env) -> Entry:
        if a.name in self.defs:
            return self.call(a, self.defs[a.name], env)
        kind = REGISTRY.get(a.name) or REGISTRY.get(a.name.lower())  # ReLU, FC, MaxPool
        if kind is None:
            known = list(REGISTRY) + list(self.defs) + list(BLOCK_KINDS)
            raise CnnCalcError(f"unknown layer '{a.name}'{did_you_mean(a.name, known)}",
                               a.name_span)
        return (self.layer(a, kind, env), None, 1)

    # --- def calls ------------------------------------------------------------------------

    def call(self, a: t.Apply, d: t.Def, env) -> Entry:
        params = {p.name: p for p in d.params}
        bound: dict[str, Any] = {}
        positional = [x for x in a.args if isinstance(x, t.Bare)]
        if len(positional) > len(d.params):
            extra = positional[len(d.params)]
            raise CnnCalcError(f"'{d.name}' takes {len(d.params)} value"
                               f"{'' if len(d.params) == 1 else 's'}, "
                               f"got {len(positional)}", extra.span)
        for p, arg in zip(d.params, positional):
            bound[p.name] = self.value(arg.value, env)
        for arg in a.args:
            if isinstance(arg, t.Named):
                if arg.name not in params:
                    raise CnnCalcError(f"'{d.name}' has no parameter '{arg.name}'"
                                       f"{did_you_mean(arg.name, params)}", arg.name_span)
                if arg.name in bound:
                    raise CnnCalcError(f"'{arg.name}' is given twice", arg.name_span)
                bound[arg.name] = self.value(arg.value, env)
        for p in d.params:
            if p.name not in bound and p.default is None:
                raise CnnCalcError(f"'{d.name}' needs a value for '{p.name}'", a.span)

        def default(p: t.Param, waiting: tuple) -> None:
            """A default may use the other parameters (`def f(c=d, d=1)`): those it uses
            are given their values first."""
            for name in _names(p.default):
                q = params.get(name.name)
                if q is None or q.name in bound:
                    continue
                if q is p:
                    raise CnnCalcError(f"the default of '{p.name}' uses '{p.name}' itself",
                                       name.span)
                if q.name in waiting:
                    raise CnnCalcError(f"the defaults of '{p.name}' and '{q.name}' depend on "
                                       f"each other: give one a value of its own", name.span)
                default(q, waiting + (p.name,))
            bound[p.name] = self.value(p.default, bound)

        for p in d.params:
            if p.name not in bound:
                default(p, ())
        key = (d.name, tuple(bound.items()))
        entries = self.expanded.get(key)
        if entries is None:  # a def is expanded once per distinct set of arguments
            self.enter(a.span)
            try:
                entries = self.stmts(d.body, bound)
            except CnnCalcError as e:
                if e.span is not None and not a.span.start <= e.span.start < a.span.end:
                    # found inside the def: the call says with which values
                    e.noted(f"in this call of '{d.name}'", a.span)
                raise
            self.depth -= 1
            self.expanded[key] = entries
        return (self.seq(entries, a.span, name=d.name), None, sum(e[2] for e in entries) + 1)

    # --- layers ---------------------------------------------------------------------------

    def layer(self, a: t.Apply, kind: LayerKind, env) -> ir.Layer:
        by_name, flags, fused = _syntax_of(kind)
        opts: dict[str, Any] = {}
        spans: dict[str, Span] = {}
        waiting = list(kind.positional)
        resolved: list[tuple[Span, Any]] = []  # values written with def parameters

        def put(opt: Option, value: Any, span: Span) -> None:
            if opt.name in opts:
                raise CnnCalcError(f"'{opt.name}' is given twice", span)
            opts[opt.name], spans[opt.name] = value, span

        for i, arg in enumerate(a.args):
            if isinstance(arg, t.Named):
                opt = by_name.get(arg.name) or by_name.get(arg.name.lower())  # Stride=2
                if opt is None:
                    raise CnnCalcError(f"'{kind.name}' has no option '{arg.name}'"
                                       f"{did_you_mean(arg.name, by_name)}", arg.name_span)
                if isinstance(arg.value, t.Tuple) and opt.type != TABLE:  # k=(3,3)
                    raise CnnCalcError(_per_axis_fix(_texts(arg.value.items), opt, arg.name),
                                       arg.value.span)
                put(opt, self.option(opt, arg.value, env, kind), arg.span)
                if env:
                    _note_resolved(arg.value, opts[opt.name], env, resolved)
                continue
            v = arg.value
            if isinstance(v, t.Tuple):  # k3,3
                raise CnnCalcError(self.bare_tuple_fix(v, fused, env), v.span)
            if isinstance(v, t.Name) and v.name not in env:
                found = _bare_option(v, flags, fused)
                if found is None and v.name != v.name.lower() and not self.users(v.name):
                    found = _bare_option(v._replace(name=v.name.lower()), flags, fused)
                if found is not None:  # a flag (nobias) or a fused option (k3, K3)
                    opt, value, is_fused = found
                    put(opt, self.check(opt, value, v.span, kind) if is_fused else value,
                        arg.span)
                    continue
                if not self.users(v.name):
                    self.not_a_layer(a, i, by_name, flags, fused)
            if not waiting:
                raise self.unexpected(a, i, kind, opts, env)
            opt = waiting.pop(0)
            if isinstance(v, t.Name) and v.name not in env and v.name not in self.symbols:
                close = did_you_mean(v.name, flags)
                if close and opt.type != RATE:
                    raise CnnCalcError(f"unknown option '{v.name}' for '{kind.name}'{close}",
                                       v.span)
            put(opt, self.option(opt, v, env, kind), arg.span)
            if env:
                _note_resolved(v, opts[opt.name], env, resolved)
        for opt in kind.all_options():
            if opt.name not in opts:
                if opt.required:
                    raise CnnCalcError(f"'{kind.name}' needs {opt.doc or opt.name} "
                                       f"({_how_to_write(opt)}); syntax: {kind.syntax()}",
                                       a.span)
                opts[opt.name] = opt.default
        return ir.Layer(kind, opts, spans, a.span, _resolved_text(a.span, resolved))

    # --- what was written instead of an option: the spelling to use ----------------------

    def users(self, name: str) -> bool:
        """A name the user gave a meaning: a -D binding or a symbol met before (a def's
        parameters are checked by the caller)."""
        return name in self.bindings or name in self.symbols

    def not_a_layer(self, a: t.Apply, i: int, by_name, flags, fused) -> None:
        """`conv 6 k5 relu`: a layer, def or block written where an option was expected —
        the '|' before it is missing."""
        v = a.args[i].value
        word = v.name.lower()
        if word in REGISTRY or word in BLOCK_KINDS:
            what = "a block" if word in BLOCK_KINDS else "a layer"
        elif v.name in self.defs:
            what = "a def"
        else:
            return
        message = f"'{v.name}' is {what}: put '|' or a new line before it"
        opt = by_name.get(word)
        if opt is not None:  # `pad` is a layer and also conv's padding
            shown = _written_as(opt, word, self.next_value(a, i, by_name, flags, fused))
            message += f" (for the option of '{a.name}', write {shown})"
        raise CnnCalcError(message, v.span)

    def next_value(self, a: t.Apply, i: int, by_name, flags, fused) -> str | None:
        """The text of the value after argument i, if one is written there alone (`k 5`)."""
        if i + 1 >= len(a.args) or not isinstance(a.args[i + 1], t.Bare):
            return None
        v = a.args[i + 1].value
        if isinstance(v, (t.Num, t.PerAxis)):
            return v.span.text
        if isinstance(v, t.Name) and v.name.lower() not in by_name and \
                _bare_option(v, flags, fused) is None and v.name.lower() not in REGISTRY:
            return v.name
        return None

    def unexpected(self, a: t.Apply, i: int, kind: LayerKind, opts: dict, env) -> CnnCalcError:
        """An argument no option takes, with the spelling that was probably meant."""
        by_name, flags, fused = _syntax_of(kind)
        arg = a.args[i]
        v = arg.value
        syntax = f" (syntax: {kind.syntax()})"
        if isinstance(v, t.Name):
            opt = by_name.get(v.name.lower())
            if opt is not None:  # conv 10 k 5
                shown = _written_as(opt, v.name.lower(),
                                    self.next_value(a, i, by_name, flags, fused))
                return CnnCalcError(f"'{v.name}' needs a value: write {shown}", arg.span)
            hint = _suggest(v.name, flags, fused, by_name)
            return CnnCalcError(f"unexpected option '{v.name}' for '{kind.name}'{hint}{syntax}",
                                arg.span)
        prev = a.args[i - 1].value if i and isinstance(a.args[i - 1], t.Bare) else None
        if isinstance(prev, t.Name) and prev.name in by_name and prev.name not in env \
                and prev.name not in self.bindings and by_name[prev.name].type != FLAG \
                and self.symbols.get(prev.name, (None, prev.span))[1] == prev.span \
                and _NUMBER_WORD.match(arg.span.text):
            # `conv k 5`: the option name, met here first, was taken for the positional
            # value before it
            shown = _written_as(by_name[prev.name], prev.name, arg.span.text)
            return CnnCalcError(f"'{prev.name}' needs a value: write {shown}", prev.span)
        run = []  # conv 10 5, maxpool 2, avgpool 2x2, conv 10 3 1 1: values without names
        for later in a.args[i:]:
            if not (isinstance(later, t.Bare) and _NUMBER_WORD.match(later.span.text)):
                break
            run.append(later)
        names = [n for n in ("k", "s", "p") if n in fused and n not in opts
                 and not _gives(a.args, fused[n], by_name, fused)]
        if run and names and names[0] == "k" and len(run) <= len(names):
            text, start = a.span.text, a.span.start
            for later, name in reversed(list(zip(run, names))):
                fix = name + _one_or_each(later.span.text)
                text = text[:later.span.start - start] + fix + text[later.span.end - start:]
            what = (f"the kernel size is written k{_one_or_each(run[0].span.text)}"
                    if len(run) == 1 else
                    "name each value (" + ", ".join(
                        {"k": "kernel k", "s": "stride s", "p": "padding p"}[n]
                        for n in names[:len(run)]) + ")")
            return CnnCalcError(f"{what}: write {one_line(text)}", arg.span)
        if isinstance(v, t.BinOp) and v.op == "*" and isinstance(v.left, t.Name) \
                and isinstance(v.right, t.Num) and _FUSED.match(v.left.name):
            prefix, digits = _FUSED.match(v.left.name).groups()
            opt = fused.get(prefix.lower())
            if opt is not None:  # k3*3, as course notes write a 3x3 kernel
                texts = [digits, v.right.span.text]
                return CnnCalcError(f"'{arg.span.text}' is not a value of '{kind.name}': "
                                    f"write {_per_axis_spelling(texts, opt, opt.name)}",
                                    arg.span)
        return CnnCalcError(f"unexpected value '{arg.span.text}' for '{kind.name}'{syntax}",
                            arg.span)

    def bare_tuple_fix(self, v: t.Tuple, fused, env) -> str:
        """`k3,3` (PyTorch's (3, 3) after a fused option): the per-axis spelling."""
        first = v.items[0]
        if isinstance(first, t.Name) and first.name not in env and not self.users(first.name):
            m = _FUSED.match(first.name)
            if m and m.group(1).lower() in fused:
                opt = fused[m.group(1).lower()]
                return _per_axis_fix([m.group(2)] + _texts(v.items[1:]), opt, opt.name)
        return _per_axis_fix(_texts(v.items), None, None)

    def option(self, opt: Option, expr: t.Expr, env, kind: LayerKind) -> Any:
        if opt.type == TABLE:
            return connection_table(expr)
        if isinstance(expr, t.Name) and expr.name not in env:
            word = expr.name.lower()
            if opt.type == PADDING and word in _PAD_WORDS:
                return word
            close = did_you_mean(word, _PAD_WORDS) if opt.type == PADDING else ""
            if close:
                raise CnnCalcError(f"unknown padding '{expr.name}'{close}", expr.span)
            if opt.type in (BOOL, FLAG) and word in ("true", "false"):
                return word == "true"
            if word in _PAD_WORDS:  # not a symbol named `same`: a padding word out of place
                raise CnnCalcError(f"'{expr.name}' is a padding for conv and pooling, not a "
                                   f"value of {kind.name}'s '{opt.name}'; write a number",
                                   expr.span)
        if opt.type in (BOOL, FLAG):
            raise CnnCalcError(f"'{opt.name}' is true or false", expr.span)
        # a name first met as a padding may be 0; any other size or count is at least 1
        value = self.value(expr, env, nonnegative=opt.type in (PADDING, INT), role=opt.name)
        return self.check(opt, value, expr.span, kind)

    def check(self, opt: Option, value: Any, span: Span, kind: LayerKind) -> Any:
        if isinstance(value, tuple):
            if opt.type not in (AXES, PADDING, INT):
                raise CnnCalcError(f"'{opt.name}' takes one value, not one per axis", span)
            return tuple(self.check_one(opt, v, span) for v in value)
        return self.check_one(opt, value, span)

    def check_one(self, opt: Option, value: Any, span: Span) -> Any:
        if opt.type == RATE:
            return value
        value = plain(value)
        if isinstance(value, Fraction):
            raise CnnCalcError(f"'{opt.name}' must be a whole number, not {float(value):g}",
                               span)
        lowest = 0 if opt.type in (PADDING, INT) else 1
        self.conditions.require(at_least(value, lowest), lambda: f"'{opt.name}' must be at "
                                f"least {lowest}, not {show(value)}", span)
        return value

    # --- values ---------------------------------------------------------------------------

    def count(self, expr: t.Expr, env, what: str, role: str = "") -> Any:
        value = plain(self.value(expr, env, role=role))
        if isinstance(value, tuple):
            raise CnnCalcError(f"expected one number for {what}", expr.span)
        if isinstance(value, Fraction):
            raise CnnCalcError(f"{what} must be a whole number, not {float(value):g}",
                               expr.span)
        self.conditions.require(at_least(value, 1), lambda: f"{what} must be at least 1, not "
                                                            f"{show(value)}", expr.span)
        return value

    def value(self, e: t.Expr, env, nonnegative: bool = False, role: str = "") -> Any:
        if isinstance(e, t.Num):
            return e.value
        if isinstance(e, t.Name):
            if e.name in env:
                return env[e.name]
            if e.name in self.bindings:
                self.bound.add(e.name)
                return self.bindings[e.name]
            if env and e.name not in self.unknowns:
                _check_not_a_mistyped_parameter(e, env)
            if e.name not in self.symbols:
                if e.name.lower() in _PAD_WORDS and role not in ("input", "batch", "repeat"):
                    # `p=same*2`: a padding word, not a symbol of a layer's option
                    raise CnnCalcError(f"'{e.name}' is a padding on its own (p={e.name.lower()}),"
                                       f" not a number to compute with", e.span)
                self.symbols[e.name] = (symbol(e.name, nonnegative), e.span)
                self.roles[e.name] = role
            return self.symbols[e.name][0]
        if isinstance(e, t.Neg):
            v = self.value(e.operand, env, nonnegative, role)
            return tuple(-x for x in v) if isinstance(v, tuple) else -v  # -3x3: each axis
        if isinstance(e, t.PerAxis):
            return tuple(self.value(x, env, nonnegative, role) for x in e.items)
        if isinstance(e, t.Tuple):  # (3, 3)
            raise CnnCalcError(_per_axis_fix(_texts(e.items), None, None), e.span)
        if isinstance(e, t.BinOp):
            a = self.value(e.left, env, nonnegative, role)
            b = self.value(e.right, env, nonnegative, role)
            if isinstance(a, tuple) or isinstance(b, tuple):
                raise CnnCalcError("arithmetic on per-axis values (3x5) is not supported",
                                   e.span)
            what = f"'{e.span.text}'" if len(e.span.text) <= 40 else "this value"
            return settled(bounded(self.arith(e, a, b), e.span, what))
        raise AssertionError(f"unknown expression {e!r}")

    def arith(self, e: t.BinOp, a, b):
        op = e.op
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if is_concrete(b) and b == 0:  # (H+1)*(H-1)-H*H+1 too: values are settled
            raise CnnCalcError(f"division by zero in '{e.span.text}'", e.span)
        if not is_concrete(b):  # the normal form of floor(a/b) is for positive b
            self.conditions.require(at_least(b, 1), lambda: f"the divisor in '{e.span.text}' "
                                                            f"must be positive", e.span)
        if op == "/":
            if isinstance(a, int) and isinstance(b, int):
                if a % b:
                    raise CnnCalcError(f"{a}/{b} does not divide exactly (write // to round "
                                       f"down)", e.span)
                return a // b
            if not (isinstance(a, Fraction) or isinstance(b, Fraction)):
                self.conditions.require(divides(b, a), lambda: f"'{e.span.text}' must divide "
                                                               f"exactly", e.span)
            return exact_div(a, b)
        if op == "//":
            return floor_div(a, b)
        return mod(a, b)


def _names_in(e: t.Expr):
    if isinstance(e, t.Name):
        yield e.name
    elif isinstance(e, t.BinOp):
        yield from _names_in(e.left)
        yield from _names_in(e.right)
    elif isinstance(e, t.Neg):
        yield from _names_in(e.operand)
    elif isinstance(e, t.PerAxis):
        for item in e.items:
            yield from _names_in(item)


def _names(e: t.Expr):
    """The names an expression uses, in the order written."""
    if isinstance(e, t.Name):
        yield e
    elif isinstance(e, t.Neg):
        yield from _names(e.operand)
    elif isinstance(e, t.BinOp):
        yield from _names(e.left)
        yield from _names(e.right)
    elif isinstance(e, (t.PerAxis, t.Tuple)):
        for item in e.items:
            yield from _names(item)


def _note_resolved(e: t.Expr, value: Any, env, resolved: list) -> None:
    if any(n in env for n in _names_in(e)):
        shown = "x".join(map(str, value)) if isinstance(value, tuple) else str(value)
        resolved.append((e.span, shown))


def _resolved_text(span: Span, resolved: list) -> str:
    """The statement's text with each value that used a def parameter replaced by what it
    came to (`conv c k3 s=s` called with c=64, s=2 reads `conv 64 k3 s=2`)."""
    text = span.text
    for value_span, shown in sorted(resolved, key=lambda r: -r[0].start):
        a, b = value_span.start - span.start, value_span.end - span.start
        text = text[:a] + shown + text[b:]
    return one_line(text)


def _check_not_a_mistyped_parameter(e: t.Name, env) -> None:
    """Inside a def, a name of four or more letters within two edits of a parameter
    (`chanels` in `def block(channels)`) is a typo, not a new symbol (dsl.md §3)."""
    if len(e.name) < 4:
        return
    near = [p for p in env if _edits(e.name, p, 2) <= 2]
    if near:
        near.sort(key=lambda p: _edits(e.name, p, 2))
        raise CnnCalcError(f"unknown name '{e.name}', did you mean the parameter "
                           f"'{near[0]}'?", e.span)


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 when it is more than limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > limit:
            return limit + 1
    return row[-1]


def _bare_option(v: t.Name, flags, fused):
    """A word that is a flag (`nobias`) or a fused option (`k3`, `p1x2`, `k3X3`) of the kind:
    (option, value, fused?), or None."""
    if v.name in flags:
        opt, value = flags[v.name]
        return opt, value, False
    m = _FUSED.match(v.name)
    if m and m.group(1) in fused:
        digits = axis_split(m.group(2))
        if any(len(d) > 300 for d in digits):
            raise CnnCalcError(f"number of {max(map(len, digits))} digits is too long", v.span)
        parts = tuple(int(x) for x in digits)
        return fused[m.group(1)], (parts if len(parts) > 1 else parts[0]), True
    return None


def _gives(args, opt: Option, by_name, fused) -> bool:
    """Some argument sets `opt` (by name or fused)."""
    for arg in args:
        if isinstance(arg, t.Named) and by_name.get(arg.name.lower()) is opt:
            return True
        if isinstance(arg, t.Bare) and isinstance(arg.value, t.Name):
            m = _FUSED.match(arg.value.name)
            if m and fused.get(m.group(1).lower()) is opt:
                return True
    return False


def _one_or_each(text: str) -> str:
    """`2x2` as the one value `2` (every axis alike), `3X5` as `3x5`."""
    parts = axis_split(text)
    return parts[0] if len(set(parts)) == 1 else "x".join(parts)


def _written_as(opt: Option, written: str, value: str | None) -> str:
    """How to give `opt` the value `value`: `k5 or k=5`, `kernel=5`, `out=7`."""
    if value is None:
        return _how_to_write(opt)
    if opt.type in (BOOL, FLAG):
        return f"{written}=true or {written}=false"
    if opt.fused and _NUMBER_WORD.match(value):
        return f"{opt.name}{value} or {written}={value}"
    return f"{written}={value}"


def _texts(items) -> list[str]:
    return [i.span.text for i in items]


def _per_axis_fix(texts: list[str], opt: Option | None, written: str | None) -> str:
    """The message for PyTorch's tuple (3, 3), or k3,3."""
    return (f"one value per axis is written with x, not as a list: write "
            f"{_per_axis_spelling(texts, opt, written)}")


def _per_axis_spelling(texts: list[str], opt: Option | None, written: str | None) -> str:
    """Values given one per axis, as this language writes them: for k, (3, 3) is `k3 or
    k=3x3` and (3, 5) `k3x5 or k=3x5`; a value that no option names is `3x5`."""
    joined = "x".join(texts)
    fix = joined
    if opt is not None:
        written = written.lower()
        if opt.fused and all(_NUMBER_WORD.match(x) for x in texts):
            fix = f"{opt.name}{_one_or_each(joined)} or {written}={joined}"
        elif len(set(texts)) == 1:
            fix = f"{written}={texts[0]} or {written}={joined}"
        else:
            fix = f"{written}={joined}"
    return fix


@lru_cache(maxsize=None)
def _syntax_of(kind: LayerKind):
    """How a kind's options may be written: by name (and alias), as flags, fused (k3)."""
    by_name: dict[str, Option] = {}
    flags: dict[str, tuple[Option, Any]] = {}
    for opt in kind.all_options():
        for n in (opt.name, *opt.aliases):
            by_name[n] = opt
        if opt.type == FLAG:
            flags[opt.name] = (opt, True)
        for word, value in opt.flag_sets:
            flags[word] = (opt, value)
    fused = {o.name: o for o in kind.options if o.fused}
    return by_name, flags, fused


def _suggest(word: str, flags, fused, by_name) -> str:
    """`, did you mean 'k1'?` for `kk1`, `, did you mean 'stride=2'?` for `stride2`, or the
    nearest flag or option name."""
    m = _FUSED.match(word)
    if m:
        prefix, digits = m.groups()
        prefix = prefix.lower()
        if prefix in by_name:  # a long name written fused: stride2
            return f", did you mean '{prefix}={digits}'?"
        near = closest(prefix, fused)
        if near:  # kk1 -> k1
            return f", did you mean '{near}{digits}'?"
    return did_you_mean(word, list(flags) + list(by_name))


def _how_to_write(opt: Option) -> str:
    if opt.fused:
        return f"e.g. {opt.name}3 or {opt.name}=3"
    return f"e.g. {opt.name}=N"


def _calls(stmts, defs) -> list[tuple[str, Span]]:
    found = []
    stack = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, t.Apply) and s.name in defs:
            found.append((s.name, s.name_span))
        elif isinstance(s, t.Group):
            stack.extend(s.body)
        elif isinstance(s, (t.Repeat, t.Labeled)):
            stack.append(s.body)
        elif isinstance(s, t.Block):
            stack.extend(g for g in s.branches)
            if s.shortcut:
                stack.append(s.shortcut)
    return found


def _check_recursion(defs: dict[str, t.Def]) -> None:
    """A def that calls itself, directly or through others, never ends: refuse it up front."""
    graph = {name: _calls(d.body, defs) for name, d in defs.items()}
    done: set[str] = set()
    for root in defs:
        if root in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(root, iter(graph[root]))]
        path.append(root)
        on_path.add(root)
        while stack:
            name, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                on_path.discard(name)
                done.add(name)
                continue
            callee, span = nxt
            if callee in on_path:
                cycle = path[path.index(callee):] + [callee]
                raise CnnCalcError("recursive definition: " + " → ".join(cycle) +
                                   " (a def may not call itself)", span)
            if callee not in done:
                stack.append((callee, iter(graph[callee])))
                path.append(callee)
                on_path.add(callee)


def _budget(a: t.Assert):
    """An `assert` as the budget `gate.py` judges: its value read (25M, 2048x7x7) and its
    quantity and comparison checked, each error at its place in the spec."""
    from .gate import Budget, check_budget, parse_value

    budget = Budget(a.what, a.op, parse_value(a.value, a.value_span), a.span.text, a.span)
    try:
        return check_budget(budget)
    except CnnCalcError as e:
        if "quantity" in e.message:  # an unknown quantity: point at it
            raise CnnCalcError(e.message, a.what_span) from None
        raise


def connection_table(expr: t.Expr) -> tuple:
    """A conv's `table=`: a name (`lenet5_c3`), or one word of 0s and 1s per output map, a
    digit per input map (`table=(110, 011)`), as ((1, 1, 0), (0, 1, 1)). The words are read
    as written: `011` keeps its leading 0."""
    if isinstance(expr, t.Name) and not expr.name.isdigit():
        table = NAMED_TABLES.get(expr.name.lower())
        if table is None:
            raise CnnCalcError(f"unknown connection table '{expr.name}'"
                               f"{did_you_mean(expr.name.lower(), list(NAMED_TABLES))}; "
                               f"known: {', '.join(NAMED_TABLES)}", expr.span)
        return table
    words = expr.items if isinstance(expr, t.Tuple) else (expr,)
    rows = []
    for word in words:
        text = word.span.text.strip("() ")  # a table of one row may be written (011)
        if not (isinstance(word, (t.Num, t.Name)) and set(text) <= {"0", "1"}):
            raise CnnCalcError(f"a connection table is one word of 0s and 1s per output map, "
                               f"a digit per input map (table=(110, 011)), not '{text}'",
                               word.span)
        rows.append(tuple(int(c) for c in text))
    return tuple(rows)
