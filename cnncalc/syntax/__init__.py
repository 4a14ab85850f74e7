"""Text to syntax tree: `lexer` makes tokens with positions, `parser` builds `tree` nodes.

Nothing here does arithmetic or knows what a layer computes; every node keeps its `Span`.
"""

from .parser import parse

__all__ = ["parse"]
