"""Where spec text comes from: a file, standard input, or the text itself.

Files are checked before they are read: a directory, a missing file, something too large,
binary data or text that is not UTF-8 each get their own clear error.
"""

from __future__ import annotations

import os

from .errors import CnnCalcError, Source

MAX_SPEC_BYTES = 10 * 1024 * 1024


def looks_like_path(spec: str) -> bool:
    """Spec text always has a space, a '|' or a line break; a lone word is a file name."""
    return not any(c in spec for c in " \t\n|{") and bool(spec)


def load(spec, *, stdin=None) -> Source:
    if isinstance(spec, os.PathLike):  # pathlib.Path and friends
        return read_file(os.fspath(spec))
    if spec == "-":
        data = (stdin.read() if stdin is not None else "")
        if isinstance(data, bytes):
            return decode("<stdin>", data)
        return Source("<stdin>", data)
    if looks_like_path(spec) or os.path.isfile(spec):
        return read_file(spec)
    return Source("<spec>", spec)


def read_file(path: str) -> Source:
    if os.path.isdir(path):
        raise CnnCalcError(f"{path}: is a directory, not a spec file")
    try:
        size = os.path.getsize(path)
        if size > MAX_SPEC_BYTES:
            raise CnnCalcError(f"{path}: {size:,} bytes is larger than the limit of "
                               f"{MAX_SPEC_BYTES:,} for a spec")
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise CnnCalcError(f"{path}: no such file (to analyze spec text, put it in quotes "
                           f"with its spaces, e.g. \"input 3x32x32 | conv 16 k3\")") from None
    except OSError as e:
        raise CnnCalcError(f"{path}: cannot read it ({e.strerror or e})") from None
    return decode(path, data)


def decode(name: str, data: bytes) -> Source:
    if len(data) > MAX_SPEC_BYTES:
        raise CnnCalcError(f"{name}: larger than the limit of {MAX_SPEC_BYTES:,} bytes")
    if b"\0" in data:
        raise CnnCalcError(f"{name}: binary data, not a spec")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise CnnCalcError(f"{name}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at "
                           f"offset {e.start})") from None
    return Source(name, text)
