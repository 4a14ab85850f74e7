"""Sizes of memory as people write them: `512MiB`, `1.5GiB` (binary), `2GB`, `500MB`
(decimal), or plain bytes. One grammar for every option that takes one (`run
--memory-limit`, and `check --max-memory` to come)."""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import CnnCalcError

UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
         "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*\Z")


def parse_size(text: str, option: str) -> int:
    """`1.5GiB` -> 1610612736 bytes."""
    m = _SIZE.match(text)
    unit = m.group(2).upper() if m else ""
    if not m or unit not in UNITS:
        raise CnnCalcError(f"'{text}' is not a size: write e.g. 512MiB, 1.5GiB, 2GB, 500MB "
                           f"or a number of bytes", where=option)
    return int(Fraction(m.group(1)) * UNITS[unit])


def show_size(n: int) -> str:
    """1610612736 -> '1.50 GiB'."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = UNITS[unit.upper()]
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, where there is one."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
