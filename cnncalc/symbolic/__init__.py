"""The symbolic engine: normal forms, decisions and text for sympy values."""
