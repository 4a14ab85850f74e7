"""Sizes and counts as people write them. One grammar for every option that takes one:

- a number: digits with `_` between groups (`25_557_032`), a decimal point (`4.1`), a power
  of ten (`1e9`, `2.5e6`);
- then a unit. A **size** of memory (`run --memory-limit`, `check --max-memory`) takes
  `B`, `KB`/`MB`/`GB`/`TB` (10³…10¹²) or `KiB`/`MiB`/`GiB`/`TiB` (2¹⁰…2⁴⁰): `512MiB`,
  `1.5GiB`, `2GB`; a **count** (`check --max-params`, `--max-macs`, `--max-flops`, and
  the budgets of a spec's `assert`) takes `K`, `M`, `G`, `T` (10³…10¹²): `25M`, `4.1G`.

Everything is exact (a Fraction until the end): `4.1G` is 4,100,000,000 and `0.5K` is 500;
a count or a size that comes out not whole (`1.5`, `1.5B`) is an error, not rounded.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import CnnCalcError

UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
         "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40}
COUNT_UNITS = {"": 1, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}

# digits (groups joined by single underscores), an optional fraction, an optional exponent
WHOLE = r"[0-9]+(?:_[0-9]+)*"  # 224, 25_557_032
NUMBER = rf"{WHOLE}(?:\.[0-9]+)?(?:[eE][0-9]{{1,3}})?"
_WRITTEN = re.compile(rf"\s*({NUMBER})\s*([A-Za-z]*)\s*\Z")
_SIZE_HINT = "write e.g. 512MiB, 1.5GiB, 2GB, 500MB or a number of bytes"
_COUNT_HINT = "write e.g. 25M, 4.1G, 1e9 or 25_557_032"


def number_value(text: str) -> Fraction:
    """`25_557_032` -> 25557032, `4.1` -> 41/10, `1e9` -> 10**9 (text matching NUMBER)."""
    mantissa, _, exponent = text.replace("_", "").lower().partition("e")
    return Fraction(mantissa) * 10 ** int(exponent or 0)


def _read(text: str, units: dict, what: str, hint: str, option: str) -> int:
    m = _WRITTEN.match(text)
    unit = m.group(2).upper() if m else ""
    if not m or unit not in units:
        raise CnnCalcError(f"'{text}' is not {what}: {hint}", where=option)
    value = number_value(m.group(1)) * units[unit]
    if value.denominator != 1:
        raise CnnCalcError(f"'{text}' is not a whole number ({value.numerator}/"
                           f"{value.denominator}): {hint}", where=option)
    return int(value)


def parse_size(text: str, option: str) -> int:
    """`1.5GiB` -> 1610612736 bytes."""
    return _read(text, UNITS, "a size", _SIZE_HINT, option)


def parse_count(text: str, option: str) -> int:
    """`4.1G` -> 4100000000; `25_557_032` -> 25557032."""
    return _read(text, COUNT_UNITS, "a count", _COUNT_HINT, option)


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
