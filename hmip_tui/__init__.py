"""hmip-tui: the case-file assessment tool for probation inspectors."""

__version__ = "0.3.0"
