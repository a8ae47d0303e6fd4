"""A blinded kit's shelf life is protocol data (``Protocol.kit_shelf_life``, hours): the
autoserum default of 24 h, marked as such, unless the protocol states one; an arm's product that
keeps for less shortens it for every arm's kits alike (``study.aliquots.kit_shelf_life``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import DEFAULT_KIT_SHELF_LIFE_HOURS, load_protocol, parse_protocol_data
from autoserum.study.aliquots import KIT_SHELF_LIFE, kit_shelf_life


def _with_shelf_life(code: str, fact: dict[str, object]) -> dict[str, object]:
    data = load_protocol(code).model_dump(mode="json")
    data["kit_shelf_life"] = fact
    return data


def test_the_default_is_marked_as_autoserum_s() -> None:
    fact = load_protocol("ast-nahm2023").kit_shelf_life
    assert (fact.value, fact.unit, fact.source) == (24, "h", "autoserum default")
    assert timedelta(hours=DEFAULT_KIT_SHELF_LIFE_HOURS) == KIT_SHELF_LIFE
    # Nahm 2023's serum keeps for longer than a day: the default decides
    assert kit_shelf_life(load_protocol("ast-nahm2023")) == timedelta(hours=24)


def test_a_protocol_states_its_own_and_a_shorter_product_still_caps_it() -> None:
    stated = {"value": 6, "unit": "h", "source": "published", "reference": "site SOP"}
    six = parse_protocol_data(_with_shelf_life("ast-nahm2023", stated))
    assert kit_shelf_life(six) == timedelta(hours=6)
    # Pittler 2003's whole blood: 5 minutes from draw to injection caps every arm's kits
    pittler = parse_protocol_data(_with_shelf_life("abt-pittler2003", stated))
    assert kit_shelf_life(pittler) == timedelta(minutes=5)


@pytest.mark.parametrize(
    "fact",
    [
        {"value": 0, "unit": "h", "source": "published"},
        {"value": -3, "unit": "h", "source": "published"},
        {"value": 24, "unit": "d", "source": "published"},
        {"value": "a day", "unit": "h", "source": "published"},
    ],
)
def test_an_impossible_shelf_life_is_refused_naming_the_field(fact: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as err:
        parse_protocol_data(_with_shelf_life("ast-nahm2023", fact))
    assert "kit_shelf_life" in str(err.value)
    assert "hours > 0" in str(err.value)
