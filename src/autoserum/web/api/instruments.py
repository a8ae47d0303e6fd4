"""API: ``/api/v1/instruments`` (the registry) and live scoring of a payload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from autoserum.instruments import get_instrument, instrument_codes
from autoserum.web.deps import ApiUser
from autoserum.web.schemas import InstrumentPublic, ItemPublic, ScoreRequest, score_items

__all__ = ["router"]

router = APIRouter(prefix="/instruments", tags=["instruments"])


def _public(code: str) -> InstrumentPublic:
    inst = get_instrument(code)
    return InstrumentPublic(
        code=inst.code,
        name=inst.name,
        minimum=float(inst.minimum) if inst.minimum is not None else None,
        maximum=float(inst.maximum) if inst.maximum is not None else None,
        default_band_set=inst.default_band_set,
        band_sets=sorted(inst.band_sets),
        reference=inst.reference,
        items=[
            ItemPublic(
                column=item.column,
                path=item.path,
                label=item.label,
                kind=item.kind,
                allowed=None if item.allowed is None else [_jsonable(v) for v in item.allowed],
                minimum=_jsonable(item.minimum),
                maximum=_jsonable(item.maximum),
                step=_jsonable(item.step),
                unit=item.unit,
            )
            for item in inst.items
        ],
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return float(value)


@router.get("", response_model=list[InstrumentPublic])
def list_instruments(user: ApiUser) -> list[InstrumentPublic]:
    """Every instrument of the registry with its items (the one vocabulary of item codes)."""
    return [_public(code) for code in instrument_codes()]


@router.get("/{code}", response_model=InstrumentPublic)
def read_instrument(code: str, user: ApiUser) -> InstrumentPublic:
    """One instrument of the registry (404 if the code is unknown)."""
    return _public(code)


@router.post("/{code}/score")
def score_payload(code: str, body: ScoreRequest, user: ApiUser) -> dict[str, Any]:
    """Score flat item columns without storing anything (the live score of the forms)."""
    return score_items(code, body.items, body.band_set).to_json()
