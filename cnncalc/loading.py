"""Where spec text comes from: a file, standard input, a bundled example (`resnet50`, when no
such file exists), or the text itself.

Files are checked before they are read: a directory, a missing file, something that is not
a regular file (a FIFO would block, a device never ends), something too large, binary data or
text that is not UTF-8 each get their own clear error. Standard input is read up to the same
limit, and no further.
"""

from __future__ import annotations

import codecs
import os
import stat

from .errors import CnnCalcError, Source, Span

# A real spec is a few kilobytes (ResNet-50's is 3 KB); a megabyte of text is already far
# more layers than the default --max-layers, and is parsed in about a second.
MAX_SPEC_BYTES = 1024 * 1024


def looks_like_path(spec: str) -> bool:
    """Spec text always has a space, a '|' or a line break; a lone word is a file name."""
    return not any(c in spec for c in " \t\n|{") and bool(spec)


def load(spec, *, stdin=None) -> Source:
    if isinstance(spec, os.PathLike):  # pathlib.Path and friends
        return read_file(os.fspath(spec))
    if spec == "-":
        data = (stdin.read(MAX_SPEC_BYTES + 1) if stdin is not None else "")
        if isinstance(data, bytes):
            return decode("<stdin>", data)
        _check_size("<stdin>", len(data))
        return Source("<stdin>", data)
    if looks_like_path(spec) or os.path.isfile(spec):
        if not os.path.exists(spec):  # the name of an example that ships with cnncalc
            from .bundled import path_of

            found = path_of(spec)
            if found is not None:
                return read_file(found)._replace(name=os.path.basename(found))
        return read_file(spec)
    _check_size("<spec>", len(spec))
    return Source("<spec>", spec)


def expand_spec(spec) -> list:
    """The specs `check` judges for one it is given: a directory stands for its `*.cnn`
    files (recursively, in name order), a pattern with `*`, `?` or `[` for the files it
    matches (quoted, so the shell left it); anything else stays as it is, for `load`. A
    directory with no spec, or a pattern that matches nothing, is an error."""
    import glob

    if not (isinstance(spec, str) and looks_like_path(spec)):
        return [spec]
    if os.path.isdir(spec):
        found = sorted(glob.glob(os.path.join(glob.escape(spec), "**", "*.cnn"),
                                 recursive=True))
        if not found:
            raise CnnCalcError("no .cnn file in this directory", where=spec)
        return found
    if not os.path.exists(spec) and any(c in spec for c in "*?["):
        found = sorted(glob.glob(spec, recursive=True))
        if not found:
            raise CnnCalcError("no file matches this pattern", where=spec)
        return found
    return [spec]


def read_file(path: str) -> Source:
    if os.path.isdir(path):
        raise CnnCalcError("is a directory, not a spec file", where=path)
    try:
        # opened without blocking, so that a FIFO is refused instead of waited on
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise CnnCalcError("is not a regular file (a FIFO, device or socket): give "
                                   "a spec file, or '-' to read standard input", where=path)
            if info.st_size > MAX_SPEC_BYTES:
                raise CnnCalcError(f"{info.st_size:,} bytes is larger than the limit of "
                                   f"{MAX_SPEC_BYTES:,} for a spec", where=path)
            data = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise CnnCalcError("no such file (to analyze spec text, put it in quotes with its "
                           "spaces, e.g. \"input 3x32x32 | conv 16 k3\")", where=path) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise CnnCalcError(f"cannot read it ({getattr(e, 'strerror', None) or e})",
                           where=repr(path)[1:-1]) from None
    return decode(path, data)


def _check_size(name: str, size: int) -> None:
    if size > MAX_SPEC_BYTES:
        raise CnnCalcError(f"larger than the limit of {MAX_SPEC_BYTES:,} bytes for a spec",
                           where=name)


def decode(name: str, data: bytes) -> Source:
    _check_size(name, len(data))
    if b"\0" in data:
        raise CnnCalcError("binary data (a NUL byte), not a spec", where=name)
    if data.startswith(codecs.BOM_UTF8):  # a byte-order mark is not part of the text
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # the text as far as it can be shown, and the bad byte's place in it in characters
        # (the error counts bytes, and every character before it may take several)
        shown = Source(name, data.decode("utf-8", errors="replace"))
        at = len(data[:e.start].decode("utf-8"))
        raise CnnCalcError(f"not UTF-8 text (byte 0x{data[e.start]:02x})",
                           Span(shown, at, at + 1)) from None
    return Source(name, text)
