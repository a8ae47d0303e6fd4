"""Outcome instruments (pure core): one module per instrument, one registry, responder
definitions and batch scoring.
"""

__all__: list[str] = []
