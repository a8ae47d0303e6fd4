"""The study report (adapter): HTML and PDF rendering of an analysis."""

__all__: list[str] = []
