"""Concomitant and rescue medication (pure core): the ATC code format, drug classes, the topical
corticosteroid potency scales, amounts in grams or fingertip units, and a small shipped list of
drugs used in atopic dermatitis with their public ATC codes.

- **ATC code**: the WHO Anatomical Therapeutic Chemical classification (WHO Collaborating Centre
  for Drug Statistics Methodology, https://atcddd.fhi.no): a full (level-5) code is a letter of
  the 14 anatomical main groups, two digits, two letters and two digits (``D07AC13``); a rule of
  a protocol may name any level (``D07A``, ``L04AF``).
- **Potency of a topical corticosteroid**: the European four-class scale (I mild, II moderately
  potent, III potent, IV very potent; the WHO ATC groups D07AA-D07AD are these four classes, and
  the EADV/ETFAD guideline of Wollenberg et al., JEADV 2018;32:657-82 uses them) and the US
  seven-class scale (I super-potent to VII least potent; Stoughton-Cornell, as in the AAD
  guideline of Eichenfield et al., J Am Acad Dermatol 2014;71:116-32). The US class depends on
  the vehicle, so the shipped list gives it per formulation and leaves it empty where it is
  not one class.
- **Amount**: grams or fingertip units (FTU) per week; one adult FTU is taken as 0.5 g (Long CC,
  Finlay AY. The finger-tip unit - a new practical measure. Clin Exp Dermatol 1991;16:444-7).

>>> check_atc("atc_code", " d07ac13 ")
'D07AC13'
>>> class_of_atc("D07AC13"), potency_eu_of_atc("D07AC13")
('tcs', 'III')
>>> grams_per_week(6, "ftu")
3.0
>>> drug("clobetasol propionate 0.05% cream").potency_us
'I'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from autoserum.errors import Expected, ValidationError

__all__ = [
    "AMOUNT_UNITS",
    "ATC_PATTERN",
    "ATC_PREFIX_PATTERN",
    "ATC_RULE",
    "DRUGS",
    "DRUG_CLASSES",
    "GRAMS_PER_FTU",
    "POTENCY_EU",
    "POTENCY_US",
    "Drug",
    "DrugClass",
    "PotencyEU",
    "PotencyUS",
    "check_atc",
    "check_atc_prefix",
    "check_con_med",
    "class_of_atc",
    "drug",
    "grams_per_week",
    "potency_eu_of_atc",
]

#: A full (level-5) ATC code.
ATC_PATTERN = r"^[ABCDGHJLMNPRSV][0-9]{2}[A-Z]{2}[0-9]{2}$"
#: Any level of the ATC hierarchy (1 to 5), as a protocol's medication rule names it.
ATC_PREFIX_PATTERN = r"^[ABCDGHJLMNPRSV]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"
ATC_RULE = (
    "an ATC code: a main-group letter (A, B, C, D, G, H, J, L, M, N, P, R, S, V), two digits, "
    "two letters and two digits, e.g. D07AC13"
)

DrugClass = Literal[
    "tcs",
    "tci",
    "antihistamine",
    "systemic_corticosteroid",
    "systemic_immunosuppressant",
    "biologic",
    "jak_inhibitor",
    "emollient",
    "antimicrobial",
    "phototherapy",
    "other",
]
PotencyEU = Literal["I", "II", "III", "IV"]
PotencyUS = Literal["I", "II", "III", "IV", "V", "VI", "VII"]
#: Drug classes of the con-med record.
DRUG_CLASSES: tuple[str, ...] = get_args(DrugClass)
#: The European four-class potency scale of topical corticosteroids (I mild … IV very potent).
POTENCY_EU: tuple[str, ...] = get_args(PotencyEU)
#: The US seven-class scale (I super-potent … VII least potent).
POTENCY_US: tuple[str, ...] = get_args(PotencyUS)
#: Units of the weekly amount: grams or fingertip units.
AMOUNT_UNITS: tuple[str, ...] = ("g", "ftu")
#: Grams in one adult fingertip unit (Long & Finlay 1991).
GRAMS_PER_FTU = 0.5

#: ATC prefix → drug class, the longest prefix winning (WHO ATC index groups).
_CLASS_BY_PREFIX: dict[str, str] = {
    "D07A": "tcs",
    "D11AH01": "tci",
    "D11AH02": "tci",
    "D11AH05": "biologic",
    "D11AH07": "biologic",
    "D11AH08": "jak_inhibitor",
    "L04AF": "jak_inhibitor",
    "R06A": "antihistamine",
    "N05BB01": "antihistamine",
    "H02A": "systemic_corticosteroid",
    "L04AD01": "systemic_immunosuppressant",
    "L04AX01": "systemic_immunosuppressant",
    "L04AX03": "systemic_immunosuppressant",
    "L04AA06": "systemic_immunosuppressant",
    "D02A": "emollient",
    "D06A": "antimicrobial",
    "J01": "antimicrobial",
}
#: WHO ATC groups of plain topical corticosteroids: weak (I) to very potent (IV).
_EU_BY_GROUP = {"D07AA": "I", "D07AB": "II", "D07AC": "III", "D07AD": "IV"}


def check_atc(field: str, value: object) -> str:
    """A full ATC code, trimmed and upper-cased; :class:`ValidationError` otherwise."""
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or re.match(ATC_PATTERN, code) is None:
        raise ValidationError(field, value, Expected(ATC_RULE))
    return code


def check_atc_prefix(field: str, value: object) -> str:
    """An ATC code at any level (``D07A``, ``L04AF``, ``D07AC13``), upper-cased."""
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or re.match(ATC_PREFIX_PATTERN, code) is None:
        raise ValidationError(
            field, value, Expected("an ATC code at any level, e.g. D07A, D07AC or D07AC13")
        )
    return code


def class_of_atc(atc: str) -> str | None:
    """The drug class an ATC code belongs to (longest known prefix), or ``None``."""
    for length in range(len(atc), 0, -1):
        found = _CLASS_BY_PREFIX.get(atc[:length])
        if found is not None:
            return found
    return None


def potency_eu_of_atc(atc: str) -> str | None:
    """The European potency class of a plain topical corticosteroid's ATC code (D07AA-D07AD)."""
    return _EU_BY_GROUP.get(atc[:5])


def grams_per_week(amount: float | None, unit: str | None) -> float | None:
    """A weekly amount in grams (fingertip units at :data:`GRAMS_PER_FTU`); ``None`` if unknown."""
    if amount is None or unit is None:
        return None
    return float(amount) * (GRAMS_PER_FTU if unit == "ftu" else 1.0)


@dataclass(frozen=True)
class Drug:
    """A drug of the shipped list: name, ATC code, class and (topical steroids) potencies."""

    name: str
    atc: str
    drug_class: str
    potency_eu: str | None = None
    potency_us: str | None = None


def _tcs(name: str, atc: str, us: str | None = None) -> Drug:
    return Drug(name, atc, "tcs", _EU_BY_GROUP[atc[:5]], us)


#: AD-relevant drugs with their public WHO ATC codes. Topical steroids per formulation (the US
#: class depends on the vehicle; left empty where no single class is established).
DRUGS: tuple[Drug, ...] = (
    _tcs("hydrocortisone 1% cream", "D07AA02", "VII"),
    _tcs("hydrocortisone 2.5% cream", "D07AA02", "VII"),
    _tcs("clobetasone butyrate 0.05% cream", "D07AB01"),
    _tcs("triamcinolone acetonide 0.1% cream", "D07AB09"),
    _tcs("betamethasone valerate 0.1% cream", "D07AC01", "V"),
    _tcs("betamethasone valerate 0.1% ointment", "D07AC01", "III"),
    _tcs("mometasone furoate 0.1% cream", "D07AC13", "IV"),
    _tcs("mometasone furoate 0.1% ointment", "D07AC13", "II"),
    _tcs("methylprednisolone aceponate 0.1% cream", "D07AC14"),
    _tcs("fluticasone propionate 0.05% cream", "D07AC17", "V"),
    _tcs("clobetasol propionate 0.05% cream", "D07AD01", "I"),
    _tcs("clobetasol propionate 0.05% ointment", "D07AD01", "I"),
    Drug("tacrolimus 0.03% ointment", "D11AH01", "tci"),
    Drug("tacrolimus 0.1% ointment", "D11AH01", "tci"),
    Drug("pimecrolimus 1% cream", "D11AH02", "tci"),
    Drug("cetirizine", "R06AE07", "antihistamine"),
    Drug("levocetirizine", "R06AE09", "antihistamine"),
    Drug("loratadine", "R06AX13", "antihistamine"),
    Drug("desloratadine", "R06AX27", "antihistamine"),
    Drug("fexofenadine", "R06AX26", "antihistamine"),
    Drug("hydroxyzine", "N05BB01", "antihistamine"),
    Drug("prednisolone", "H02AB06", "systemic_corticosteroid"),
    Drug("methylprednisolone", "H02AB04", "systemic_corticosteroid"),
    Drug("ciclosporin", "L04AD01", "systemic_immunosuppressant"),
    Drug("methotrexate", "L04AX03", "systemic_immunosuppressant"),
    Drug("azathioprine", "L04AX01", "systemic_immunosuppressant"),
    Drug("mycophenolate mofetil", "L04AA06", "systemic_immunosuppressant"),
    Drug("dupilumab", "D11AH05", "biologic"),
    Drug("tralokinumab", "D11AH07", "biologic"),
    Drug("abrocitinib", "D11AH08", "jak_inhibitor"),
    Drug("baricitinib", "L04AF02", "jak_inhibitor"),
    Drug("upadacitinib", "L04AF03", "jak_inhibitor"),
)

_BY_NAME = {d.name: d for d in DRUGS}


def drug(name: str) -> Drug:
    """The shipped drug of this name (case-insensitive); :class:`ValidationError` otherwise."""
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        raise ValidationError("drug", name, Expected("a drug of the shipped list (DRUGS)"))
    return found


def check_con_med(
    *,
    atc_code: str | None,
    drug_class: str | None,
    potency_eu: str | None,
    potency_us: str | None,
    amount: float | None,
    amount_unit: str | None,
) -> dict[str, str | None]:
    """Check that the coded parts of one con-med agree; return class and EU potency filled in.

    The class and the European potency follow from a known ATC code and must not contradict
    it; a potency is only for a topical corticosteroid; an amount needs its unit.

    >>> check_con_med(atc_code="D07AD01", drug_class=None, potency_eu=None, potency_us="I",
    ...               amount=30, amount_unit="g")
    {'drug_class': 'tcs', 'potency_eu': 'IV'}
    >>> check_con_med(atc_code="D07AD01", drug_class=None, potency_eu="II", potency_us=None,
    ...               amount=None, amount_unit=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: potency_eu: got 'II'; expected IV (the potency of ...)
    """
    if atc_code is not None:
        derived = class_of_atc(atc_code)
        if derived is not None:
            if drug_class is not None and drug_class != derived:
                raise ValidationError(
                    "drug_class",
                    drug_class,
                    Expected(
                        "%(derived)s (the class of ATC code %(atc_code)s)",
                        derived=derived,
                        atc_code=atc_code,
                    ),
                )
            drug_class = derived
        eu = potency_eu_of_atc(atc_code)
        if eu is not None:
            if potency_eu is not None and potency_eu != eu:
                raise ValidationError(
                    "potency_eu",
                    potency_eu,
                    Expected(
                        "%(eu)s (the potency of ATC group %(atc_code)s)",
                        eu=eu,
                        atc_code=atc_code[:5],
                    ),
                )
            potency_eu = eu
    for field, value in (("potency_eu", potency_eu), ("potency_us", potency_us)):
        if value is not None and drug_class not in (None, "tcs"):
            raise ValidationError(
                field,
                value,
                Expected("no potency: a potency class is for a topical corticosteroid (tcs)"),
            )
    if amount is not None and amount_unit is None:
        raise ValidationError(
            "amount_unit", None, Expected("g or ftu (the unit of the weekly amount)")
        )
    return {"drug_class": drug_class, "potency_eu": potency_eu}
