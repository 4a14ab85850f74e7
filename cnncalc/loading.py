"""Where spec text comes from: a file, standard input, a bundled example (`resnet50`, when no
such file exists), or the text itself.

Files are checked before they are read: a directory, a missing file, something too large,
binary data or text that is not UTF-8 each get their own clear error.
"""

from __future__ import annotations

import os

from .errors import CnnCalcError, Source, Span

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
        if not os.path.exists(spec):  # the name of an example that ships with cnncalc
            from .bundled import path_of

            found = path_of(spec)
            if found is not None:
                return read_file(found)._replace(name=os.path.basename(found))
        return read_file(spec)
    return Source("<spec>", spec)


def read_file(path: str) -> Source:
    if os.path.isdir(path):
        raise CnnCalcError("is a directory, not a spec file", where=path)
    try:
        size = os.path.getsize(path)
        if size > MAX_SPEC_BYTES:
            raise CnnCalcError(f"{size:,} bytes is larger than the limit of "
                               f"{MAX_SPEC_BYTES:,} for a spec", where=path)
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise CnnCalcError("no such file (to analyze spec text, put it in quotes with its "
                           "spaces, e.g. \"input 3x32x32 | conv 16 k3\")", where=path) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise CnnCalcError(f"cannot read it ({getattr(e, 'strerror', None) or e})",
                           where=repr(path)[1:-1]) from None
    return decode(path, data)


def decode(name: str, data: bytes) -> Source:
    if len(data) > MAX_SPEC_BYTES:
        raise CnnCalcError(f"larger than the limit of {MAX_SPEC_BYTES:,} bytes", where=name)
    if b"\0" in data:
        raise CnnCalcError("binary data (a NUL byte), not a spec", where=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        shown = Source(name, data.decode("utf-8", errors="replace"))
        raise CnnCalcError(f"not UTF-8 text (byte 0x{data[e.start]:02x})",
                           Span(shown, e.start, e.start + 1)) from None
    return Source(name, text)
