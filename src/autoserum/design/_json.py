"""JSON-ready values of design results: a non-finite float becomes ``None``, never ``NaN``.

``json.dumps`` writes ``NaN``/``Infinity`` by default, which is not JSON; every ``to_dict`` of
:mod:`autoserum.design` goes through :func:`json_ready` so the CLI can dump with
``allow_nan=False``.

>>> json_ready({"power": float("nan"), "rows": [1.0, float("inf")]})
{'power': None, 'rows': [1.0, None]}
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_ready"]


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth of dicts, lists, tuples) as ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value
