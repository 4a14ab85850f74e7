"""Presentation of a `Report`: rich table (`table`), markdown and CSV (`text`), the layer
catalogue (`layers`). `outline` decides which rows are shown at a given depth; the
renderers only decide how they look."""
