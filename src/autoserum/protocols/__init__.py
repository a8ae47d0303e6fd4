"""Therapy protocols as data (pure core): the schema, the shipped protocol library and the
visit/injection schedule.
"""

__all__: list[str] = []
