"""Variable metadata of the CDISC datasets autoserum writes: name, label, type, origin.

One :class:`Variable` per column of each dataset, written once here and used by the dataset
builders (column order), the XPT writer (labels, SAS types) and define.xml (ItemDefs). SAS
transport v5 rules (SDTMIG §4.1): names ≤ 8 characters, upper case letters, digits and
underscores, starting with a letter; labels ≤ 40 characters; character values ≤ 200 bytes.

>>> DATASETS["DM"].label
'Demographics'
>>> [v.name for v in DATASETS["DM"].variables][:4]
['STUDYID', 'DOMAIN', 'USUBJID', 'SUBJID']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["DATASETS", "Dataset", "Variable", "check_names"]

Origin = Literal["Collected", "Derived", "Assigned", "Protocol"]


@dataclass(frozen=True)
class Variable:
    """One variable: SAS name, label, type (``Char`` or ``Num``) and origin (define.xml)."""

    name: str
    label: str
    type: Literal["Char", "Num"] = "Char"
    origin: Origin = "Collected"


@dataclass(frozen=True)
class Dataset:
    """One dataset: its name, label, structure (define.xml) and variables in order."""

    name: str
    label: str
    structure: str
    variables: tuple[Variable, ...]
    kind: Literal["SDTM", "ADaM"] = "SDTM"

    @property
    def names(self) -> tuple[str, ...]:
        """Its variable names, in order."""
        return tuple(v.name for v in self.variables)


def _v(spec: str) -> tuple[Variable, ...]:
    """Variables from lines ``NAME|label|type|origin`` (type and origin optional)."""
    out = []
    for line in filter(None, (raw.strip() for raw in spec.splitlines())):
        parts = [p.strip() for p in line.split("|")]
        kind = parts[2] if len(parts) > 2 and parts[2] else "Char"
        origin = parts[3] if len(parts) > 3 and parts[3] else "Collected"
        out.append(Variable(parts[0], parts[1], kind, origin))  # type: ignore[arg-type]
    return tuple(out)


_ID = """
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
USUBJID|Unique Subject Identifier||Derived
"""
_VISIT = """
VISITNUM|Visit Number|Num|Derived
VISIT|Visit Name||Collected
VISITDY|Planned Study Day of Visit|Num|Protocol
"""


def _domain(name: str, label: str, structure: str, spec: str) -> Dataset:
    return Dataset(name, label, structure, _v(_ID + spec))


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        _domain("DM", "Demographics", "One record per subject", """
SUBJID|Subject Identifier for the Study
RFSTDTC|Subject Reference Start Date/Time||Derived
RFICDTC|Date/Time of Informed Consent||Derived
SITEID|Study Site Identifier
BRTHDTC|Date/Time of Birth
AGE|Age|Num
AGEU|Age Units||Assigned
SEX|Sex
RACE|Race
ETHNIC|Ethnicity
ARMCD|Planned Arm Code||Assigned
ARM|Description of Planned Arm||Assigned
ACTARMCD|Actual Arm Code||Derived
ACTARM|Description of Actual Arm||Derived
"""),
        _domain("DS", "Disposition", "One record per disposition event or milestone", """
DSSEQ|Sequence Number|Num|Derived
DSTERM|Reported Term for the Disposition Event
DSDECOD|Standardized Disposition Term||Derived
DSCAT|Category for Disposition Event||Assigned
DSSTDTC|Start Date/Time of Disposition Event
DSSTDY|Study Day of Start of Disposition Event|Num|Derived
"""),
        _domain("SV", "Subject Visits", "One record per subject per actual visit", _VISIT + """
SVSTDTC|Start Date/Time of Visit
SVSTDY|Study Day of Start of Visit|Num|Derived
"""),
        _domain("EX", "Exposure", "One record per administration per subject", """
EXSEQ|Sequence Number|Num|Derived
EXTRT|Name of Treatment||Derived
EXDOSE|Dose|Num
EXDOSU|Dose Units||Assigned
EXROUTE|Route of Administration||Protocol
EXLOC|Location of Dose Administration
EXLOT|Lot Number
VISITNUM|Visit Number|Num|Derived
VISIT|Visit Name
EXSTDTC|Start Date/Time of Treatment
EXSTDY|Study Day of Start of Treatment|Num|Derived
"""),
        _domain("EC", "Exposure as Collected", "One record per administration per subject", """
ECSEQ|Sequence Number|Num|Derived
ECTRT|Name of Treatment||Assigned
ECMOOD|Mood||Assigned
ECDOSE|Dose|Num
ECDOSU|Dose Units||Assigned
ECROUTE|Route of Administration||Protocol
ECLOC|Location of Dose Administration
ECLOT|Lot Number
VISITNUM|Visit Number|Num|Derived
VISIT|Visit Name
ECSTDTC|Start Date/Time of Treatment
ECSTDY|Study Day of Start of Treatment|Num|Derived
"""),
        _domain("AE", "Adverse Events", "One record per adverse event per subject", """
AESEQ|Sequence Number|Num|Derived
AETERM|Reported Term for the Adverse Event
AEDECOD|Dictionary-Derived Term||Derived
AESEV|Severity/Intensity
AESER|Serious Event
AEREL|Causality
AEOUT|Outcome of Adverse Event
AESTDTC|Start Date/Time of Adverse Event
AESTDY|Study Day of Start of Adverse Event|Num|Derived
"""),
        _domain("CM", "Concomitant Medications", "One record per medication per subject", """
CMSEQ|Sequence Number|Num|Derived
CMTRT|Reported Name of Drug, Med, or Therapy
CMCAT|Category for Medication||Assigned
CMDOSTXT|Dose Description
CMROUTE|Route of Administration
CMINDC|Indication
CMSTDTC|Start Date/Time of Medication
CMENDTC|End Date/Time of Medication
CMSTDY|Study Day of Start of Medication|Num|Derived
"""),
        _domain("MH", "Medical History", "One record per medical history event per subject", """
MHSEQ|Sequence Number|Num|Derived
MHTERM|Reported Term for the Medical History
MHCAT|Category for Medical History||Assigned
MHPRESP|Medical History Event Pre-Specified||Assigned
MHOCCUR|Medical History Occurrence
MHENRTPT|End Relative to Reference Time Point||Derived
MHENTPT|End Reference Time Point||Assigned
"""),
        _domain("QS", "Questionnaires", "One record per question per visit per subject", """
QSSEQ|Sequence Number|Num|Derived
QSTESTCD|Question Short Name||Assigned
QSTEST|Question Name||Assigned
QSCAT|Category of Question||Assigned
QSORRES|Finding in Original Units
QSSTRESC|Character Result/Finding in Std Format||Derived
QSSTRESN|Numeric Finding in Standard Units|Num|Derived
QSDRVFL|Derived Flag||Derived
""" + _VISIT + """
QSDTC|Date/Time of Finding
QSDY|Study Day of Finding|Num|Derived
"""),
        _domain("LB", "Laboratory Test Results", "One record per test per visit per subject", """
LBSEQ|Sequence Number|Num|Derived
LBTESTCD|Lab Test or Examination Short Name||Assigned
LBTEST|Lab Test or Examination Name||Assigned
LBORRES|Result or Finding in Original Units
LBORRESU|Original Units
LBORNRLO|Reference Range Lower Limit in Orig Unit
LBORNRHI|Reference Range Upper Limit in Orig Unit
LBSTRESC|Character Result/Finding in Std Format||Derived
LBSTRESN|Numeric Result/Finding in Standard Units|Num|Derived
LBSTRESU|Standard Units||Derived
LBNRIND|Reference Range Indicator||Derived
""" + _VISIT + """
LBDTC|Date/Time of Specimen Collection
LBDY|Study Day of Specimen Collection|Num|Derived
"""),
        _domain("VS", "Vital Signs", "One record per vital sign per visit per subject", """
VSSEQ|Sequence Number|Num|Derived
VSTESTCD|Vital Signs Test Short Name||Assigned
VSTEST|Vital Signs Test Name||Assigned
VSORRES|Result or Finding in Original Units
VSORRESU|Original Units
VSSTRESC|Character Result/Finding in Std Format||Derived
VSSTRESN|Numeric Result/Finding in Standard Units|Num|Derived
VSSTRESU|Standard Units||Derived
""" + _VISIT + """
VSDTC|Date/Time of Measurements
VSDY|Study Day of Vital Signs|Num|Derived
"""),
        _domain("DV", "Protocol Deviations", "One record per protocol deviation per subject", """
DVSEQ|Sequence Number|Num|Derived
DVTERM|Protocol Deviation Term
DVCAT|Category for Protocol Deviation
VISITNUM|Visit Number|Num|Derived
VISIT|Visit Name
"""),
        Dataset("TA", "Trial Arms", "One record per planned Element per Arm", _v("""
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
ARMCD|Planned Arm Code||Protocol
ARM|Description of Planned Arm||Protocol
TAETORD|Planned Order of Element within Arm|Num|Protocol
ETCD|Element Code||Protocol
ELEMENT|Description of Element||Protocol
EPOCH|Epoch||Protocol
""")),
        Dataset("TE", "Trial Elements", "One record per planned Element", _v("""
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
ETCD|Element Code||Protocol
ELEMENT|Description of Element||Protocol
TESTRL|Rule for Start of Element||Protocol
TEDUR|Planned Duration of Element||Protocol
""")),
        Dataset("TV", "Trial Visits", "One record per planned Visit per Arm", _v("""
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
VISITNUM|Visit Number|Num|Protocol
VISIT|Visit Name||Protocol
VISITDY|Planned Study Day of Visit|Num|Protocol
TVSTRL|Visit Start Rule||Protocol
""")),
        Dataset("TI", "Trial Inclusion/Exclusion Criteria", "One record per I/E criterion", _v("""
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
IETESTCD|Incl/Excl Criterion Short Name||Protocol
IETEST|Inclusion/Exclusion Criterion||Protocol
IECAT|Inclusion/Exclusion Category||Protocol
""")),
        Dataset("TS", "Trial Summary", "One record per trial summary parameter value", _v("""
STUDYID|Study Identifier||Assigned
DOMAIN|Domain Abbreviation||Assigned
TSSEQ|Sequence Number|Num|Derived
TSPARMCD|Trial Summary Parameter Short Name||Assigned
TSPARM|Trial Summary Parameter||Assigned
TSVAL|Parameter Value||Protocol
""")),
    )
}  # fmt: skip
"""SDTM datasets (SDTMIG 3.3 variables autoserum can fill from its records)."""

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


def check_names(datasets: dict[str, Dataset]) -> list[str]:
    """Problems with the SAS v5 rules (empty when every name and label is valid).

    >>> check_names(DATASETS)
    []
    """
    problems = []
    for d in datasets.values():
        if not _NAME.match(d.name) or len(d.label) > 40:
            problems.append(f"dataset {d.name}: name or label too long")
        for v in d.variables:
            if not _NAME.match(v.name):
                problems.append(f"{d.name}.{v.name}: not a SAS v5 name")
            if len(v.label) > 40:
                problems.append(f"{d.name}.{v.name}: label of {len(v.label)} characters")
    return problems
