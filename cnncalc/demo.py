"""`cnncalc demo`: one convolution or pooling on a small matrix, as the course works it by
hand — the output matrix and, on request, every window, its products and its sum.

Matrices are read exactly (integers stay integers, decimals become fractions) and computed
with NumPy on object arrays, so 15 is 15 and not 15.0. The output size comes from the same
formula as everywhere else (`formulas.conv_out`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import formulas as f
from .errors import CnnCalcError, Source, Span

OPERATIONS = ("conv", "maxpool", "avgpool")
MAX_CELLS = 10_000  # a demo is for a matrix a person reads; this bounds time and memory
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


class Window(NamedTuple):
    row: int
    col: int
    values: list           # the window's entries, row by row
    weights: list | None   # the kernel (conv), else None
    result: object


class Demo(NamedTuple):
    operation: str
    padded: list           # the input after padding
    kernel: list | None
    output: list
    windows: list[Window]
    k: int
    stride: int
    pad: int
    dilation: int


def parse_matrix(text: str, name: str) -> np.ndarray:
    """`"1 2 3; 4 5 6"` (or one row per line, commas allowed) as an exact object array."""
    source = Source(name, text)
    rows, row_spans = [], []
    pos = 0
    for line in re.split(r"(;|\n)", text):
        if line in (";", "\n"):
            pos += 1
            continue
        cells = []
        for m in re.finditer(r"[^\s,]+", line):
            word = m.group()
            span = Span(source, pos + m.start(), pos + m.end())
            if not _NUMBER.match(word):
                raise CnnCalcError(f"'{word}' is not a number", span)
            value = Fraction(word)
            cells.append(int(value) if value.denominator == 1 else value)
        if cells:
            rows.append(cells)
            row_spans.append(Span(source, pos, pos + len(line)))
        pos += len(line)
    if not rows:
        raise CnnCalcError("the matrix is empty: write rows of numbers separated by ';', "
                           "e.g. \"1 2; 3 4\"", Span(source, 0, len(text)))
    for cells, span in zip(rows, row_spans):
        if len(cells) != len(rows[0]):
            raise CnnCalcError(f"this row has {len(cells)} numbers, the first has "
                               f"{len(rows[0])}", span)
    if len(rows) * len(rows[0]) > MAX_CELLS:
        raise CnnCalcError(f"a demo takes at most {MAX_CELLS:,} numbers",
                           Span(source, 0, len(text)))
    return np.array(rows, dtype=object)


def run_demo(operation: str, matrix: str, *, kernel: str | None = None, k: int | None = None,
             stride: int | None = None, pad: int = 0, pad_value: str = "0",
             dilation: int = 1) -> Demo:
    if operation not in OPERATIONS:
        raise CnnCalcError(f"unknown operation '{operation}' (one of: {', '.join(OPERATIONS)})",
                           where="cnncalc demo")
    x = parse_matrix(matrix, "--input")
    weights = None
    if operation == "conv":
        if kernel is None:
            raise CnnCalcError("conv needs --kernel, e.g. --kernel \"1 0; 0 1\"",
                               where="cnncalc demo")
        weights = parse_matrix(kernel, "--kernel")
        if weights.shape[0] != weights.shape[1]:
            raise CnnCalcError(f"the kernel is {weights.shape[0]}x{weights.shape[1]}; a demo "
                               f"takes a square kernel", where="--kernel")
        size = weights.shape[0]
    else:
        if k is None:
            raise CnnCalcError(f"{operation} needs --k, the window size", where="cnncalc demo")
        size = k
    stride = stride if stride is not None else (1 if operation == "conv" else size)
    fill = parse_matrix(pad_value, "--pad-value")
    if fill.shape != (1, 1):
        raise CnnCalcError("--pad-value is one number", where="--pad-value")
    if (x.shape[0] + 2 * pad) * (x.shape[1] + 2 * pad) > MAX_CELLS:
        raise CnnCalcError(f"padded, the input would have more than {MAX_CELLS:,} numbers",
                           where="--pad")
    # a frame of the pad value around x (np.pad would turn Python ints into int64)
    padded = np.full((x.shape[0] + 2 * pad, x.shape[1] + 2 * pad), fill[0, 0], dtype=object)
    padded[pad:pad + x.shape[0], pad:pad + x.shape[1]] = x
    span = f.dilated(size, dilation)
    rows, cols = (f.conv_out(n, size, stride, 2 * pad, dilation) for n in x.shape)
    if rows < 1 or cols < 1:
        raise CnnCalcError(f"the window ({span}x{span}) is larger than the padded input "
                           f"({padded.shape[0]}x{padded.shape[1]})", where="cnncalc demo")
    # every window at once: (rows, cols, k, k) views, strided and dilated
    views = sliding_window_view(padded, (span, span))[::stride, ::stride, ::dilation, ::dilation]
    views = views[:rows, :cols]
    if operation == "conv":  # cross-correlation, as PyTorch and the course compute it
        out = (views * weights).sum(axis=(2, 3))
    elif operation == "maxpool":
        out = views.max(axis=(2, 3))
    else:  # PyTorch's default: padding counts in the average (count_include_pad)
        out = np.vectorize(lambda total: _exact(Fraction(total) / (size * size)),
                           otypes=[object])(views.sum(axis=(2, 3)))
    windows = [Window(i, j, views[i, j].tolist(),
                      None if weights is None else weights.tolist(), out[i, j])
               for i in range(rows) for j in range(cols)]
    return Demo(operation, padded.tolist(), None if weights is None else weights.tolist(),
                out.tolist(), windows, size, stride, pad, dilation)


def _exact(v: Fraction):
    return int(v) if v.denominator == 1 else v


def number(v) -> str:
    """15, -2, 2.5 (a fraction that ends), 1/3 otherwise."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        return f"{float(v):g}" if d == 1 else str(v)
    return str(v)


def json_number(v):
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else float(v)
    return v


def window_text(w: Window, operation: str) -> str:
    """`1·2 + 2·0 + 3·1 + … = 15`, `max(1, 1, 5, 6) = 6`, `(1 + 1 + 0 + 6)/4 = 2`."""
    flat = [v for row in w.values for v in row]
    if operation == "conv":
        kernel = [v for row in w.weights for v in row]
        terms = " + ".join(f"{number(a)}·{number(b)}" for a, b in zip(flat, kernel))
        return f"{terms} = {number(w.result)}"
    if operation == "maxpool":
        return f"max({', '.join(number(v) for v in flat)}) = {number(w.result)}"
    return f"({' + '.join(number(v) for v in flat)})/{len(flat)} = {number(w.result)}"
