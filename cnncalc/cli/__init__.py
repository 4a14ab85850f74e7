"""The command line: a thin click layer over `cnncalc.api`.

It parses options, calls the API, hands the report to a renderer and picks the exit status
(0 fine, 1 a negative answer, 2 for anything the user wrote wrong). Renderers are imported
only when used, so `--json` never loads rich. `common` declares what the commands share;
each other module holds a few commands, registered on `main` when imported.
"""

from . import analysis, catalog, compare, execution, gate  # noqa: F401  (they register their commands)
from .common import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
