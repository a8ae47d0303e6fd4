"""The CONSORT flow diagram laid out from a :class:`~autoserum.study.ConsortFlow`: enrolment
(assessed, excluded with reasons), allocation (per arm, received or not with reasons),
follow-up (lost and discontinued with reasons) and analysis (analysed, excluded with reasons).

Reference: Schulz, Altman, Moher for the CONSORT Group. CONSORT 2010 Statement. BMJ
2010;340:c332, flow diagram template; Hopewell et al. CONSORT 2025 Statement. BMJ
2025;389:e081123.

>>> from autoserum.analysis import study_consort, study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> flow = study_consort(study_from_frames(sim.visits, sim.adverse_events, "simulated AST"))
>>> svg = diagram_svg(consort_diagram(flow))
>>> svg.startswith("<svg"), "Allocated to serum (n = 16)" in svg
(True, True)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from autoserum.report._diagram import Arrow, Box, Diagram, diagram_drawing, diagram_svg
from autoserum.report._i18n import arm_label
from autoserum.report._i18n import gettext as _
from autoserum.study.consort import (
    DECLINED,
    NOT_REACHED,
    NOT_RECORDED,
    OTHER,
    RULE,
    ArmFlow,
    ConsortFlow,
)

__all__ = ["consort_diagram", "consort_lines", "diagram_drawing", "diagram_svg"]

_COL, _GAP, _M, _BANNER_H, _VSPACE = 250.0, 20.0, 10.0, 18.0, 16.0
_WRAP = 46


def _n(label: str, n: int) -> str:
    return f"{label} (n = {n})"


def _reason(text: str) -> str:
    """A reason in the current language: the diagram's own wordings translated, a reason as
    recorded (a withdrawal's, a screen failure's) kept as it is."""
    if text in (DECLINED, NOT_RECORDED, NOT_REACHED):
        return _(text)
    if text.startswith(OTHER):
        return _("Other reason: %(reason)s", reason=_reason(text[len(OTHER) :]))
    return text


def _columns(text: str) -> int:
    """The columns ``text`` takes: a Korean or Chinese character (East Asian wide or full
    width) takes two, as wide as two Latin letters in the diagram's fonts."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int, indent: str = "  ") -> list[str]:
    """``text`` in lines of at most ``width`` columns, at spaces (a no-break space holds), a
    word too long for a line cut where the line is full; the lines after the first indented."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else (indent if lines else "") + word
        if _columns(candidate) <= width:
            line = candidate
            continue
        if _columns(indent + word) <= width:
            lines.append(line)
            line = indent + word
            continue
        line = candidate
        while _columns(line) > width:  # a word longer than a line: cut where the line is full
            cut = len(line)
            while _columns(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = indent + line[cut:]
    lines.append(line)
    return lines


def _reasons(reasons: Sequence[tuple[str, int]], indent: str = "   ") -> list[str]:
    lines: list[str] = []
    for text, n in reasons:
        wrapped = _wrap(
            f"- {_reason(text)} (n\u00a0=\u00a0{n})",  # the count is never split over two lines
            _WRAP - len(indent),
        )
        lines += [indent + w.replace("\u00a0", " ") for w in wrapped]
    return lines


def consort_lines(flow: ConsortFlow) -> dict[str, list[str]]:
    """The text of each box, keyed ``enrolment``, ``excluded`` and ``<stage>:<arm>`` for the
    stages ``allocation``, ``follow_up`` and ``analysis`` (what the diagram and its tests
    read)."""
    out: dict[str, list[str]] = {}
    if flow.screening_recorded and flow.assessed:
        out["enrolment"] = [_n(_("Assessed for eligibility"), flow.assessed)]
        excluded = [_n(_("Excluded"), flow.excluded)]
        rules = [(t[len(RULE) :], n) for t, n in flow.excluded_reasons if t.startswith(RULE)]
        others = [(t, n) for t, n in flow.excluded_reasons if not t.startswith(RULE)]
        if flow.not_eligible:
            excluded.append("   - " + _n(_("Not meeting eligibility criteria"), flow.not_eligible))
            excluded += _reasons(rules, "      ")
        excluded += _reasons(others)
        if flow.in_screening:
            excluded.append(_n(_("Still in screening"), flow.in_screening))
        out["excluded"] = excluded
    out["randomised"] = [_n(_("Randomised"), flow.enrolled)]
    for arm, a in sorted(flow.arms.items()):
        out[f"allocation:{arm}"] = _allocation(arm, a)
        out[f"follow_up:{arm}"] = _follow_up(a)
        out[f"analysis:{arm}"] = [
            _n(_("Analysed"), a.analysed),
            "   " + _n(_("Excluded from analysis"), a.not_analysed),
            *_reasons(a.not_analysed_reasons, "      "),
        ]
    return out


def _allocation(arm: str, a: ArmFlow) -> list[str]:
    return [
        _n(_("Allocated to %(arm)s", arm=arm_label(arm)), a.allocated),
        "   " + _n(_("Received allocated intervention"), a.received),
        "   " + _n(_("Did not receive allocated intervention"), a.not_received),
        *_reasons(a.not_received_reasons, "      "),
    ]


def _follow_up(a: ArmFlow) -> list[str]:
    told = [(t, n) for t, n in a.lost_reasons if not t.lower().startswith("lost to follow")]
    lines = [_n(_("Lost to follow-up"), a.lost), *_reasons(told)]
    lines += [_n(_("Discontinued"), a.discontinued), *_reasons(a.discontinued_reasons)]
    if a.active:
        lines.append(_n(_("Continuing in the study"), a.active))
    return lines


def _banner(y: float, width: float, label: str) -> Box:
    return Box(_M, y, width - 2 * _M, _BANNER_H, (label,), banner=True)


def consort_diagram(flow: ConsortFlow, *, title: str = "CONSORT flow diagram") -> Diagram:
    """Lay out the four stages, one column per arm (see the module docstring)."""
    lines = consort_lines(flow)
    arms = sorted(flow.arms)
    n = max(len(arms), 1)
    content = n * _COL + (n - 1) * _GAP
    width = max(content, 2 * _COL + 3 * _GAP) + 2 * _M
    boxes: list[Box] = []
    arrows: list[Arrow] = []
    y = _M
    boxes.append(_banner(y, width, _("Enrolment")))
    y += _BANNER_H + _VSPACE
    main_x = width / 2 - _COL / 2 if "enrolment" not in lines else _M + _GAP
    if "enrolment" in lines:
        top = Box(main_x, y, _COL, Box.height_for(1), tuple(lines["enrolment"]))
        ex_lines = lines["excluded"]
        ex = Box(
            main_x + _COL + 2 * _GAP, y + top.h + _VSPACE / 2, _COL,
            Box.height_for(len(ex_lines)), tuple(ex_lines),
        )  # fmt: skip
        mid = main_x + _COL / 2
        ry = ex.y + ex.h + _VSPACE
        arrows.append(Arrow(((mid, top.y + top.h), (mid, ry))))
        arrows.append(Arrow(((mid, ex.y + ex.h / 2), (ex.x, ex.y + ex.h / 2))))
        boxes += [top, ex]
        y = ry
    rand = Box(main_x, y, _COL, Box.height_for(1), tuple(lines["randomised"]), bold=True)
    boxes.append(rand)
    y += rand.h + _VSPACE / 2
    xs = [width / 2 - content / 2 + i * (_COL + _GAP) for i in range(n)]
    stages = (
        ("allocation", _("Allocation")),
        ("follow_up", _("Follow-up")),
        ("analysis", _("Analysis")),
    )
    prev_bottom: list[float] = []
    for key, label in stages:
        boxes.append(_banner(y, width, label))
        y += _BANNER_H + _VSPACE
        h = max(Box.height_for(len(lines[f"{key}:{arm}"])) for arm in arms) if arms else 0
        for i, arm in enumerate(arms):
            boxes.append(Box(xs[i], y, _COL, h, tuple(lines[f"{key}:{arm}"]), bold=True))
            cx = xs[i] + _COL / 2
            if key == "allocation":
                bus = rand.y + rand.h + _VSPACE / 4
                start = (rand.x + _COL / 2, rand.y + rand.h)
                arrows.append(Arrow((start, (start[0], bus), (cx, bus), (cx, y))))
            else:
                arrows.append(Arrow(((cx, prev_bottom[i]), (cx, y))))
        prev_bottom = [y + h] * len(arms)
        y += h + _VSPACE / 2
    return Diagram(width, y + _M, tuple(boxes), tuple(arrows), title)
