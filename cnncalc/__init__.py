"""cnncalc: shapes, parameters, MACs and receptive fields of CNNs, from a one-line spec.

    >>> import cnncalc
    >>> cnncalc.analyze("input 1x7x7 | conv 1 k3 s2 p1").totals.output_shape
    (1, 4, 4)
"""

__version__ = "0.1.0"

from .api import analyze, check, explain, run, sweep, verify  # noqa: E402
from .errors import CnnCalcError  # noqa: E402

__all__ = ["analyze", "check", "explain", "run", "sweep", "verify", "CnnCalcError", "__version__"]
