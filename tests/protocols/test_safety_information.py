"""The protocol's reference safety information (expectedness) and adverse events of special
interest."""

from __future__ import annotations

import pytest

from autoserum.errors import ValidationError
from autoserum.protocols import DEFAULT_SAFETY, load_protocol, parse_protocol_data, protocol_codes


@pytest.mark.parametrize("code", protocol_codes())
def test_library_protocols_declare_safety_information_as_autoserum_defaults(code: str) -> None:
    info = load_protocol(code).safety
    sources = {t.source for t in info.reference_safety_information}
    sources |= {s.source for s in info.special_interest}
    assert sources == {"autoserum default"}
    assert [t.term for t in info.reference_safety_information] == [
        t.term for t in DEFAULT_SAFETY.reference_safety_information
    ]
    assert [s.code for s in info.special_interest] == ["injection_site_reaction", "infection",
                                                        "ad_flare"]  # fmt: skip


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("injection site pain", True),
        ("Injection-Site Hematoma", True),  # synonym, case and hyphen ignored
        ("injection site necrosis", False),
        ("anaphylaxis", False),
    ],
)
def test_expectedness_follows_the_reference_safety_information(term: str, expected: bool) -> None:
    assert load_protocol("ast-nahm2023").safety.expected(term) is expected


@pytest.mark.parametrize(
    ("term", "codes"),
    [
        ("injection site bruising", ("injection_site_reaction",)),
        ("cellulitis of the thigh", ("infection",)),
        ("atopic dermatitis exacerbation", ("ad_flare",)),
        ("injection site infection", ("injection_site_reaction", "infection")),
        ("headache", ()),
    ],
)
def test_special_interest_by_term(term: str, codes: tuple[str, ...]) -> None:
    assert load_protocol("abt-pittler2003").safety.interests(term) == codes


def test_a_meddra_code_makes_an_event_expected() -> None:
    data = load_protocol("ast-nahm2023").model_dump(mode="json")
    data["safety"] = {
        "reference_safety_information": [
            {"term": "pain at site", "meddra_pt": "10022086", "source": "published"}
        ]
    }
    info = parse_protocol_data(data).safety
    assert info.expected("something else", meddra_pt="10022086")
    assert not info.expected("something else", meddra_pt="10000001")
    assert info.special_interest == ()


def test_a_bad_meddra_code_names_its_path() -> None:
    data = load_protocol("ast-nahm2023").model_dump(mode="json")
    data["safety"] = {
        "reference_safety_information": [{"term": "x", "meddra_pt": "1002", "source": "published"}]
    }
    with pytest.raises(ValidationError) as err:
        parse_protocol_data(data)
    assert err.value.field == "safety.reference_safety_information[0].meddra_pt"
