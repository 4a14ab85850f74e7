"""The layer kinds: importing this package registers every one of them."""

from . import conv, dense, elementwise, pool, resize  # noqa: F401  (registration)
from .base import KINDS, REGISTRY, LayerKind

__all__ = ["KINDS", "REGISTRY", "LayerKind"]
