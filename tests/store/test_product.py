"""The autologous product's chain of identity in the store (issue 13 item 1): draw, processing
with its deviations flagged, aliquots with label codes, storage, disposal, blinded kits, and the
injection that names its product by code and is refused (and audited) when the product is
another subject's, expired, thawed too often, used or disposed; whole blood within its
draw-to-injection time; acupoint injections with point, side and volume."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from autoserum.errors import (
    Expected,
    NotFoundError,
    PermissionDeniedError,
    ProductRefusedError,
    StateError,
    ValidationError,
)
from autoserum.i18n import expected_text, message_text
from autoserum.store import Actor, Store, open_store
from autoserum.store.replay import current_state, replay_audit
from autoserum.study.aliquots import (
    label_code,
    parse_label_code,
    refusal_kind,
    refusal_message,
)
from autoserum.study.blinding import MASK
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    MONITOR,
    PREPARER,
    SCREENED_ON,
    TODAY,
    SiteInEveryStudy,
    double_blind_study,
    enrolled,
)


class Clock:
    """The store's time, moved by the test (never the wall clock)."""

    def __init__(self) -> None:
        self.at = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    st = open_store(db_url, clock=lambda: clock.at.date(), now=clock)
    yield st
    st.close()


@pytest.fixture
def study(store: Store) -> dict[str, str]:
    """``AST`` with two serum subjects and one placebo subject (by the seeded list)."""
    name = double_blind_study(store)
    arms = {sid: enrolled(store, name, sid) for sid in ("S1", "S2", "S3", "S4")}
    serum = [s for s, arm in arms.items() if arm == "serum"]
    placebo = [s for s, arm in arms.items() if arm == "placebo"]
    return {"A": serum[0], "B": serum[1], "P": placebo[0]}


def _aliquots(store: Store, subject: str, *, count: int = 4) -> list[str]:
    draw = store.product.draw("AST", subject, actor=PREPARER, volume_ml="40")
    processing = store.product.process(
        "AST", draw.code, actor=PREPARER, clotting_minutes=30, centrifuge_g=1500,
        centrifuge_minutes=10,
    )  # fmt: skip
    assert processing.deviates is False
    made = store.product.make_aliquots("AST", processing.id, actor=PREPARER, count=count)
    return [a.code for a in made]


def _refusals(store: Store) -> list[tuple[str, str | None, object]]:
    return [
        (r.username, r.reason, r.new_value)
        for r in store.audit.raw_rows("AST")
        if r.action == "refused"
    ]


def test_prepare_and_inject_the_subjects_own_aliquot(store: Store, study: dict[str, str]) -> None:
    a = study["A"]
    codes = _aliquots(store, a)
    assert len(codes) == 4
    assert [parse_label_code(c) for c in codes] == [("AST", a, f"AL-{n:04d}") for n in range(1, 5)]
    given = store.records.add_injection(
        "AST", a, TODAY, actor=COORDINATOR, volume_ml="5", product_code=codes[0]
    )
    assert (given.product, given.product_code) == ("blinded", "blinded")  # blinded injector
    life = store.product.life("AST", a, actor=ADMIN)
    assert life.injections[0].product_code == codes[0]  # the unblinded reader reads the code
    assert len(life.draws) == len(life.processings) == 1
    assert life.injections[0].aliquot_id == life.aliquots[0].id
    assert life.injections[0].product == "serum"  # the arm's product, seen unblinded
    assert [life.status[x.id] for x in life.aliquots] == ["injected", *["available"] * 3]
    blinded = store.product.life("AST", a, actor=COORDINATOR)
    assert blinded.blinded
    assert (blinded.aliquots, blinded.draws) == ((), ())
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_another_subjects_aliquot_is_refused_named_and_audited(
    store: Store, study: dict[str, str]
) -> None:
    a, b = study["A"], study["B"]
    _aliquots(store, a)
    theirs = _aliquots(store, b)
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "AST", a, TODAY, actor=COORDINATOR, volume_ml="5", product_code=theirs[0]
        )
    assert err.value.reason == f"aliquot AL-0005 belongs to subject {b}, not to {a}"
    assert err.value.field == "product_code"
    # in English the detail; in another language the words of its kind (issue 14)
    assert expected_text(err.value, "en") == f"a product that may be injected ({err.value.reason})"
    worded = Expected(
        "a product that may be injected (%(reason)s)",
        reason=refusal_message(err.value.reason, blinded=False),
    )
    korean = expected_text(err.value, "ko")
    assert korean == message_text(worded, "ko")
    assert "AL-0005" in korean
    assert "belongs" not in korean
    assert store.product.life("AST", a, actor=ADMIN).injections == ()  # nothing written
    assert _refusals(store) == [("cora", err.value.reason, theirs[0])]
    assert store.audit.verify("AST").ok  # the refusal is in the hash chain
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_expired_thawed_used_and_disposed_aliquots_are_refused(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    a = study["A"]
    codes = _aliquots(store, a)
    store.records.add_injection(
        "AST", a, TODAY, actor=COORDINATOR, volume_ml="5", product_code=codes[0]
    )
    store.product.dispose("AST", codes[1], actor=PREPARER, reason="vial cracked")
    for _ in range(2):  # the protocol allows one thaw
        store.product.storage_event("AST", codes[2], "thawed", actor=PREPARER, temperature=4)
    clock.at += timedelta(days=1)
    tomorrow = clock.at.date()
    cases = {
        codes[0]: "aliquot AL-0001 was already injected",
        codes[1]: "aliquot AL-0002 was disposed of",
        codes[2]: "aliquot AL-0003 was thawed 2 times (the protocol allows 1)",
    }
    for code, reason in cases.items():
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "AST", a, tomorrow, actor=COORDINATOR, volume_ml="5", product_code=code
            )
        assert err.value.reason == reason
    clock.at += timedelta(days=31)  # the protocol's shelf life is 30 days (autoserum default)
    with pytest.raises(ProductRefusedError, match="aliquot AL-0004 expired at 2026-07-30T09:00"):
        store.records.add_injection(
            "AST", a, clock.at.date(), actor=COORDINATOR, volume_ml="5", product_code=codes[3]
        )
    assert len(_refusals(store)) == 4


def test_a_study_recording_its_product_needs_a_code_on_every_injection(
    store: Store, study: dict[str, str]
) -> None:
    store.records.add_injection("AST", study["P"], TODAY, actor=COORDINATOR)  # no chain yet
    _aliquots(store, study["A"], count=1)
    with pytest.raises(ValidationError, match="product_code: got None; expected the label code"):
        store.records.add_injection("AST", study["P"], TODAY, actor=COORDINATOR)
    with pytest.raises(ValidationError, match="check value matches"):  # a typo: not a refusal
        store.records.add_injection(
            "AST", study["A"], TODAY, actor=COORDINATOR, product_code="AS1:AST:S1:AL-0001:00"
        )
    assert _refusals(store) == []


def test_blinded_kits_serum_or_saline_per_allocation(store: Store, study: dict[str, str]) -> None:
    a, p = study["A"], study["P"]
    codes = _aliquots(store, a, count=1)
    with pytest.raises(ValidationError, match="aliquot_code"):
        store.product.prepare_kit("AST", a, actor=PREPARER)  # serum needs the subject's aliquot
    serum_kit = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=codes[0])
    saline_kit = store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    assert (serum_kit.product, saline_kit.product) == ("serum", "saline")
    for kit, subject in ((serum_kit, a), (saline_kit, p)):
        given = store.records.add_injection(
            "AST", subject, TODAY, actor=COORDINATOR, volume_ml="5", product_code=kit.code
        )
        assert given.product == "blinded"
        seen = store.product.life("AST", subject, actor=COORDINATOR)
        assert [(k.code, k.volume_ml, k.product) for k in seen.kits] == [
            (kit.code, kit.volume_ml, "blinded")
        ]
    with pytest.raises(ProductRefusedError, match="was already injected"):
        store.records.add_injection(
            "AST", p, TODAY, actor=COORDINATOR, volume_ml="5", product_code=saline_kit.code
        )


def _kit_rows(store: Store, subject: str, actor: object) -> list[tuple[object, ...]]:
    """The audit rows of ``subject``'s kits as ``actor`` reads them, without what differs from
    kit to kit whatever the arm (its code, its subject, its time)."""
    trail = store.audit.trail("AST", actor=actor, subject_id=subject)  # type: ignore[arg-type]
    return [
        (r.action, r.field, r.old_value, r.new_value, r.reason)
        for r in trail
        if r.entity == "preparation" and r.field not in ("code", "subject_pk", "prepared_at")
    ]


def test_a_serum_kit_and_a_saline_kit_read_alike_in_a_blinded_audit_trail(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 6: an insert audits only the fields it sets, so a serum kit's audit has a
    source row (``aliquot_id``) a saline kit's has not. A blinded reader reads neither, nor
    the draw, processing and aliquot rows, and a kit refused for its source in source-neutral
    words (``kit KIT-nnnn was disposed of``, as the blinded injector was told): the two kits'
    trails read alike. The unblinded reader reads every row as written (the source, the full
    reason) and the hash chain verifies."""
    a, p = study["A"], study["P"]
    codes = _aliquots(store, a, count=1)
    serum_kit = store.product.prepare_kit(
        "AST", a, actor=PREPARER, aliquot_code=codes[0], volume_ml="5"
    )
    saline_kit = store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    store.product.dispose("AST", codes[0], actor=PREPARER, reason="vial cracked")
    serum_ident = parse_label_code(serum_kit.code)[2]
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "AST", a, TODAY, actor=COORDINATOR, volume_ml="5", product_code=serum_kit.code
        )
    assert err.value.reason == f"kit {serum_ident} was disposed of"  # no aliquot named
    assert _refusals(store) == [  # the kit was disposed of with its aliquot (its own row)
        (COORDINATOR.username, f"kit {serum_ident} was disposed of", serum_kit.code)
    ]
    blinded = {
        r.entity
        for r in store.audit.trail("AST", actor=COORDINATOR, subject_id=a)
        if r.action != "refused"
    }
    assert blinded & {"blood_draw", "processing", "aliquot", "disposal"} == set()
    serum_rows = _kit_rows(store, a, COORDINATOR)
    assert ("insert", "product", None, "blinded", "blinded kit") in serum_rows
    assert serum_rows == _kit_rows(store, p, COORDINATOR)
    [refused] = [
        r
        for r in store.audit.trail("AST", actor=COORDINATOR, subject_id=a)
        if r.action == "refused"
    ]
    assert refused.reason == f"kit {serum_ident} was disposed of"
    assert refused.new_value == MASK  # the code given: masked as every injection's
    _, kinds = store.product.accountability("AST", actor=COORDINATOR)
    assert list(kinds["kind"]) == ["blinded"]  # the report's refusals: one count, no kind
    # the unblinded reader: the source and the product, and the full reason
    seen = {r.field: r.new_value for r in store.audit.trail("AST", actor=ADMIN, subject_id=a)
            if r.entity == "preparation"}  # fmt: skip
    assert (seen["aliquot_id"], seen["product"]) == (serum_kit.aliquot_id, "serum")
    assert "aliquot_id" not in {f for _, f, *_ in _kit_rows(store, p, ADMIN)}
    assert _kit_rows(store, a, ADMIN) != _kit_rows(store, p, ADMIN)  # the check can fail
    _, kinds = store.product.accountability("AST", actor=ADMIN)
    assert list(kinds["kind"]) == ["disposed of"]
    assert saline_kit.product == "saline"
    assert store.audit.verify("AST").ok
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


#: An injector who sees the arms (an unblinded nurse of an open preparation), at site s01.
UNBLINDED_INJECTOR = Actor("una", "coordinator", SiteInEveryStudy("s01"), unblinded=True)


def test_a_kits_refusal_is_told_to_a_blinded_injector_without_its_source(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    """Issue 13 item 1: a serum kit refused for its aliquot (disposed of, expired) is told to
    the blinded injector by the kit's code and a source-neutral reason (no aliquot named:
    only a serum kit has one); an unblinded injector is told the mismatch in full, and the
    audit trail keeps the full reason for unblinded readers."""
    a = study["A"]
    codes = _aliquots(store, a, count=2)
    disposed = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=codes[0],
                                          volume_ml="5")  # fmt: skip
    aged = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=codes[1],
                                     volume_ml="5")  # fmt: skip
    store.product.dispose("AST", codes[0], actor=PREPARER, reason="vial cracked")
    told = {}
    for actor in (COORDINATOR, UNBLINDED_INJECTOR):
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "AST", a, TODAY, actor=actor, volume_ml="5", product_code=disposed.code
            )
        told[actor.username] = err.value.reason
    kit = parse_label_code(disposed.code)[2]
    # disposed of with its aliquot: the kit's own disposal, told alike to both injectors
    assert told == {"cora": f"kit {kit} was disposed of", "una": f"kit {kit} was disposed of"}
    clock.at += timedelta(days=31)  # past the aliquot's 30-day shelf life
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "AST", a, clock.at.date(), actor=COORDINATOR, volume_ml="5", product_code=aged.code
        )
    assert err.value.reason == f"kit {parse_label_code(aged.code)[2]} has expired"
    assert "aliquot" not in str(err.value)
    audited = [reason for _, reason, _ in _refusals(store)]
    assert audited[:2] == [told["una"]] * 2  # the trail keeps the detail
    # the kit's own use-by (filled + the 24 h kit shelf life, study.aliquots.kit_use_by)
    assert (
        audited[2]
        == f"kit {parse_label_code(aged.code)[2]} expired at "
        + (aged.prepared_at + timedelta(hours=24)).isoformat()
    )
    blinded = [r.reason for r in store.audit.trail("AST", actor=COORDINATOR)
               if r.action == "refused"]  # fmt: skip
    assert blinded == [told["cora"], told["cora"], err.value.reason]


def test_an_injections_product_code_is_masked_for_blinded_readers(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 2: an injection given by an aliquot's code (``AL-``: only an active arm
    has one) keeps the code in its ``product_code``, and one given by a kit names the kit.
    A blinded reader reads ``blinded`` for the code and the kit of every injection (subject
    page data, audit trail), so the serum subject's injection reads as the placebo subject's;
    the unblinded reader reads both codes."""
    a, p = study["A"], study["P"]
    [code] = _aliquots(store, a, count=1)
    saline = store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    store.records.add_injection(
        "AST", a, TODAY, actor=UNBLINDED_INJECTOR, volume_ml="5", product_code=code
    )
    store.records.add_injection(
        "AST", p, TODAY, actor=COORDINATOR, volume_ml="5", product_code=saline.code
    )

    def shown(actor: Any, subject: str) -> list[tuple[Any, ...]]:
        life = store.product.life("AST", subject, actor=actor)
        return [(i.product_code, i.preparation_id, i.aliquot_id, i.draw_id)
                for i in life.injections]  # fmt: skip

    def audited(actor: Any, subject: str) -> list[tuple[Any, ...]]:
        return [
            (r.action, r.field, r.new_value)
            for r in store.audit.trail("AST", actor=actor, subject_id=subject)
            if r.entity == "injection" and r.field not in ("subject_pk", "given_by")
        ]

    for actor in (COORDINATOR, MONITOR):
        assert shown(actor, a) == shown(actor, p) == [(MASK,) * 4]
        assert audited(actor, a) == audited(actor, p)
        assert ("insert", "product_code", MASK) in audited(actor, a)
    assert shown(ADMIN, a)[0][0] == code
    assert shown(ADMIN, p)[0][:2] == (saline.code, saline.id)
    assert audited(ADMIN, a) != audited(ADMIN, p)  # the check can fail
    assert ("insert", "product_code", code) in audited(ADMIN, a)


def test_a_blinded_actor_cannot_act_on_a_query_about_the_chain(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 3: a query about a blood draw, whose id a blinded actor knows, can be
    neither answered, closed, reopened nor cancelled by them: the same not-found answer as
    reading it; nor can they raise one on the draw (answered as a missing record). The
    unblinded reader can (so the check can fail)."""
    a = study["A"]
    draw = store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    query = store.queries.open("AST", "blood_draw", draw.id, "Tube?", actor=ADMIN)
    with pytest.raises(NotFoundError) as read:
        store.queries.get("AST", query.id, actor=MONITOR)
    attempts: list[Callable[[], object]] = [
        lambda: store.queries.answer("AST", query.id, "EDTA", actor=COORDINATOR),
        lambda: store.queries.close("AST", query.id, "ok", actor=MONITOR),
        lambda: store.queries.reopen("AST", query.id, "again", actor=MONITOR),
        lambda: store.queries.cancel("AST", query.id, "error", actor=MONITOR),
    ]
    for attempt in attempts:
        with pytest.raises(NotFoundError) as err:
            attempt()
        assert str(err.value) == str(read.value)
    with pytest.raises(NotFoundError) as missing:
        store.queries.open("AST", "blood_draw", 987654, "Tube?", actor=MONITOR)
    with pytest.raises(NotFoundError) as hidden:
        store.queries.open("AST", "blood_draw", draw.id, "Tube?", actor=MONITOR)
    assert str(hidden.value) == str(missing.value).replace("987654", str(draw.id))
    assert store.queries.get("AST", query.id, actor=ADMIN).status == "open"  # nothing moved
    assert store.queries.close("AST", query.id, "ok", actor=ADMIN).status == "closed"


def test_the_audit_rows_of_a_deleted_product_deviation_stay_hidden_from_blinded_readers(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 4: the deviation a processing outside the protocol adds (only a serum
    subject has one), deleted since, is told apart by the kind its audit rows record, not by
    a look-up of the record (gone): its insert and delete rows stay out of a blinded reader's
    trail, which reads for the serum subject as for the placebo subject; the unblinded
    reader reads them."""
    a, p = study["A"], study["P"]
    draw = store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    store.product.process("AST", draw.code, actor=PREPARER, clotting_minutes=20,
                          centrifuge_g=1500)  # fmt: skip
    [deviation] = store.records.deviations("AST", actor=ADMIN, kind="product_process")
    store.records.delete("AST", "deviation", deviation.id, actor=ADMIN, reason="entered in error",
                         expected_version=deviation.version)  # fmt: skip
    assert store.records.deviations("AST", actor=ADMIN) == []

    def deviation_rows(actor: Any, subject: str) -> list[str]:
        trail = store.audit.trail("AST", actor=actor, subject_id=subject)
        return [r.action for r in trail if r.entity == "deviation"]

    assert deviation_rows(COORDINATOR, a) == deviation_rows(COORDINATOR, p) == []
    assert "delete" in deviation_rows(ADMIN, a)


def test_a_volume_over_the_maximum_is_refused_without_naming_the_product_to_the_blinded(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 6: a volume over the arm's maximum is refused; a blinded injector is
    told the maximum, not the product it is of (``serum`` or ``saline`` would tell the arm);
    an injector who sees the arms is told the product too (so the check can fail)."""
    told = {}
    for actor in (COORDINATOR, UNBLINDED_INJECTOR):
        for subject in (study["A"], study["P"]):
            with pytest.raises(ValidationError) as err:
                store.records.add_injection("AST", subject, TODAY, actor=actor,
                                            volume_ml="500")  # fmt: skip
            assert err.value.field == "volume_ml"
            told[actor.username, subject] = err.value.expected
    assert told["cora", study["A"]] == told["cora", study["P"]]
    assert not {w for w in ("serum", "saline") if w in told["cora", study["A"]]}
    assert "mL" in told["cora", study["A"]]
    assert "serum" in told["una", study["A"]]
    assert "saline" in told["una", study["P"]]


def test_a_corrected_volume_over_the_maximum_is_refused_without_naming_the_product_either(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13 item 6, the correction path (``records.update``, which the web's correction
    form and the API's PATCH call): the same owner words the refusal, so a blinded corrector is
    told the maximum only, and one who sees the arms (admin) is told the product too."""
    told = {}
    for subject in (study["A"], study["P"]):
        given = store.records.add_injection("AST", subject, TODAY, actor=COORDINATOR,
                                            volume_ml="1")  # fmt: skip
        for actor in (COORDINATOR, ADMIN):
            with pytest.raises(ValidationError) as err:
                store.records.update(
                    "AST", "injection", given.id, {"volume_ml": "500"}, actor=actor,
                    reason="re-measured", expected_version=given.version,
                )  # fmt: skip
            assert err.value.field == "volume_ml"
            told[actor.username, subject] = err.value.expected
    blinded = COORDINATOR.username
    assert told[blinded, study["A"]] == told[blinded, study["P"]]
    assert "mL" in told[blinded, study["A"]]
    assert not {w for w in ("serum", "saline") if w in told[blinded, study["A"]]}
    assert "serum" in told[ADMIN.username, study["A"]]
    assert "saline" in told[ADMIN.username, study["P"]]


def test_processing_outside_the_protocol_is_flagged_as_a_deviation(
    store: Store, study: dict[str, str]
) -> None:
    draw = store.product.draw("AST", study["A"], actor=PREPARER, volume_ml="40")
    processing = store.product.process(
        "AST", draw.code, actor=PREPARER, clotting_minutes=20, centrifuge_g=1500
    )
    assert processing.deviates is True
    assert processing.deviations == (
        "clotting_minutes: 20 min (protocol: ≥ 30 min); "
        "centrifuge_minutes: not recorded (protocol: 10 min)"
    )
    deviations = store.records.deviations("AST", actor=ADMIN, kind="product_process")
    assert [d.subject_id for d in deviations] == [study["A"]]


def test_a_blinded_reader_is_not_told_of_a_processing_deviation(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13: the deviation a processing outside the protocol adds (only a serum subject has
    one) is not in a blinded reader's deviation list nor on the subject's page: the serum
    subject reads as the placebo subject; the unblinded reader still sees it."""
    a, p = study["A"], study["P"]
    draw = store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    store.product.process("AST", draw.code, actor=PREPARER, clotting_minutes=20,
                          centrifuge_g=1500)  # fmt: skip
    assert store.records.deviations("AST", actor=COORDINATOR) == []
    blinded = [store.subjects.detail("AST", s, actor=COORDINATOR).deviations for s in (a, p)]
    assert blinded == [(), ()]
    assert [d.kind for d in store.records.deviations("AST", actor=ADMIN)] == ["product_process"]
    assert [d.kind for d in store.subjects.detail("AST", a, actor=ADMIN).deviations] == [
        "product_process"
    ]


def test_a_blinded_reader_is_not_told_of_queries_or_deviations_about_the_chain(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13: a query on a blood draw (and its thread) and a processing's deviation, of the
    serum subject only, are in neither a blinded reader's query list nor audit trail: the serum
    subject's review records read as the placebo subject's; the unblinded reader has them."""
    a, p = study["A"], study["P"]
    draw = store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    store.product.process("AST", draw.code, actor=PREPARER, clotting_minutes=20,
                          centrifuge_g=1500)  # fmt: skip
    query = store.queries.open("AST", "blood_draw", draw.id, "Volume?", actor=ADMIN)

    def told(actor: Any, subject: str) -> list[tuple[str, str | None]]:
        """The audit rows of the draw's query, its thread and the deviation."""
        return [
            (r.entity, r.field)
            for r in store.audit.trail("AST", actor=actor, subject_id=subject)
            if (r.entity == "query" and r.record_id == query.id)
            or r.new_value == "Volume?"
            or r.entity == "deviation"
        ]

    assert "blood_draw" not in {q.entity for q in store.queries.list("AST", actor=COORDINATOR)}
    assert told(COORDINATOR, a) == told(COORDINATOR, p) == []
    assert "blood_draw" in {q.entity for q in store.queries.list("AST", actor=ADMIN)}
    with pytest.raises(NotFoundError):
        store.queries.get("AST", query.id, actor=COORDINATOR)
    assert store.queries.get("AST", query.id, actor=ADMIN).entity == "blood_draw"
    assert {e for e, _ in told(ADMIN, a)} == {"query", "query_message", "deviation"}


def test_a_blinded_reader_is_not_shown_a_signature_s_content_hash(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13: the casebook of a serum subject (with a blood draw) and of a placebo subject,
    each signed: a blinded reader gets no content hash for either (``"blinded"``) and both
    signatures valid; the unblinded reader gets each hash, the stored one (unchanged)."""
    from sqlalchemy import select

    from autoserum.accounts import hash_password
    from autoserum.store import Actor
    from autoserum.store.models import SignatureRow

    a, p = study["A"], study["P"]
    store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    password = "correct horse battery staple"
    store.accounts.create_user("ivan", hash_password(password), "investigator",
                               frozenset({("AST", "s01")}), actor=ADMIN)  # fmt: skip
    store.accounts.update_user("ivan", {"full_name": "Ivan Petrov"}, actor=ADMIN,
                               reason="printed name for signatures")  # fmt: skip
    ivan = Actor("ivan", "investigator", frozenset({("AST", "s01")}))
    for subject in (a, p):
        store.signatures.sign("AST", "casebook", actor=ivan, password=password,
                              meaning="approval", subject_id=subject)  # fmt: skip

    def shown(actor: Any, subject: str) -> list[tuple[str, bool]]:
        found = store.signatures.signatures("AST", actor=actor, subject_id=subject)
        return [(sig.content_sha256, sig.valid) for sig in found]

    assert shown(COORDINATOR, a) == shown(COORDINATOR, p) == [("blinded", True)]
    with store.uow.read() as s:  # the stored hashes, as signed
        stored = list(s.scalars(select(SignatureRow.content_sha256)))
    unblinded = {shown(ADMIN, x)[0] for x in (a, p)}
    assert unblinded == {(h, True) for h in stored}
    assert len(unblinded) == 2  # the check can fail: two different hashes


def test_a_signature_still_covers_an_injections_product_code() -> None:
    """The product code was masked for blinded readers after signatures covering it were
    stored: the signed content keeps it (a stored hash stays valid; blinded readers are
    shown no hash), while the fields masked from the start stay out of it."""
    from autoserum.store._reviewed import content_fields

    fields = content_fields("injection")
    assert "product_code" in fields
    assert "product" not in fields


def test_a_blinded_reader_is_not_shown_a_lock_on_a_blood_draw(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13: a record lock on the serum subject's blood draw is not in a blinded reader's
    lock list (the serum subject's locks read as the placebo subject's: none); the unblinded
    reader sees it."""
    a, p = study["A"], study["P"]
    draw = store.product.draw("AST", a, actor=PREPARER, volume_ml="40")
    store.locks.lock("AST", "record", actor=ADMIN, reason="reviewed", subject_id=a,
                     entity="blood_draw", record_id=draw.id)  # fmt: skip

    def locked(actor: Any, subject: str) -> list[str | None]:
        return [
            k.entity for k in store.locks.visible("AST", actor=actor) if k.subject_id == subject
        ]

    assert locked(COORDINATOR, a) == locked(COORDINATOR, p) == []
    assert locked(ADMIN, a) == ["blood_draw"]


def test_a_blinded_monitor_cannot_lock_a_blood_draw(store: Store, study: dict[str, str]) -> None:
    """Issue 13 item 6: a blinded monitor who knows a blood draw's id cannot lock it (the
    lock would name the draw's subject, and only a serum subject has one): answered as a
    record that does not exist; the admin can (so the check can fail)."""
    draw = store.product.draw("AST", study["A"], actor=PREPARER, volume_ml="40")

    def lock(record_id: int, actor: Any) -> Any:
        return store.locks.lock("AST", "record", actor=actor, reason="reviewed",
                                entity="blood_draw", record_id=record_id)  # fmt: skip

    with pytest.raises(NotFoundError) as missing:
        lock(987654, MONITOR)
    with pytest.raises(NotFoundError) as hidden:
        lock(draw.id, MONITOR)
    assert str(hidden.value) == str(missing.value).replace("987654", str(draw.id))
    assert lock(draw.id, ADMIN).entity == "blood_draw"


def test_least_privilege_of_the_preparer(store: Store, study: dict[str, str]) -> None:
    with pytest.raises(PermissionDeniedError):
        store.records.add_visit("AST", study["A"], "screening", "2026-02-16", actor=PREPARER)
    with pytest.raises(PermissionDeniedError):
        store.product.draw("AST", study["A"], actor=COORDINATOR, volume_ml="10")
    with pytest.raises(NotFoundError):  # a subject not yet screened is not found
        store.product.draw("AST", "S9", actor=PREPARER, volume_ml="10")
    assert dict(store.product.allocated("AST", actor=PREPARER))[study["P"]] == "placebo"


def test_whole_blood_is_injected_within_its_time_at_acupoints(store: Store, clock: Clock) -> None:
    store.studies.create("AAHT", "aaht-zhao2022", actor=ADMIN, seed=3, allocation_n=4)
    store.studies.add_site("AAHT", "s01", "Seoul", actor=ADMIN)
    store.subjects.screen(
        "AAHT", "s01", "W1", {**ELIGIBLE, "recalcitrant": True}, screened_on=SCREENED_ON,
        actor=COORDINATOR,
    )  # fmt: skip
    store.subjects.randomise("AAHT", "W1", actor=COORDINATOR)
    draw = store.product.draw("AAHT", "W1", actor=PREPARER, volume_ml="4")
    clock.at += timedelta(minutes=3)
    points = [("ST36", "left"), ("ST36", "right"), ("SP10", "left"), ("SP10", "right")]
    for point, side in points:
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", site=point, side=side,
            product_code=draw.code,
        )  # fmt: skip
    life = store.product.life("AAHT", "W1", actor=COORDINATOR)  # open label
    assert [(i.site, i.side, i.volume_ml, i.product) for i in life.injections] == [
        (point, side, 1, "whole_blood") for point, side in points
    ]
    with pytest.raises(ProductRefusedError, match="has 0 mL left, not 1 mL"):
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code
        )
    late = store.product.draw("AAHT", "W1", actor=PREPARER, volume_ml="4")
    clock.at += timedelta(minutes=6)
    with pytest.raises(
        ProductRefusedError,
        match="drawn 6 minutes before the injection \\(the protocol allows 5\\)",
    ):
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=late.code
        )


def test_a_back_dated_injection_is_judged_as_the_product_was_when_given(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    """An aliquot valid when given but expired now is accepted (yesterday's paper record
    transcribed late); one expired when given is refused and audited; thaws and disposal
    recorded after the time given do not count; a time given in the future, or off the date
    given, is refused as bad input (not audited as a product refusal)."""
    a = study["A"]
    codes = _aliquots(store, a)  # processed at TODAY 09:00, expire 30 days later
    expiry = clock.at + timedelta(days=30)
    clock.at = expiry + timedelta(days=5)  # all four have expired by now
    day = expiry.date() - timedelta(days=1)
    given = store.records.add_injection(
        "AST", a, day, actor=COORDINATOR, volume_ml="5", product_code=codes[0]
    )  # date only, an earlier day: judged at the end of that day, before the expiry
    assert given.aliquot_id is not None
    store.product.storage_event("AST", codes[1], "thawed", actor=PREPARER, temperature=4)
    store.product.storage_event("AST", codes[1], "thawed", actor=PREPARER, temperature=4)
    at = datetime.combine(expiry.date(), expiry.time(), tzinfo=UTC) - timedelta(hours=2)
    timed = store.records.add_injection(
        "AST", a, at.date(), actor=COORDINATOR, volume_ml="5", product_code=codes[1],
        given_at=at.isoformat(),
    )  # fmt: skip  # thawed twice since, but not when given
    assert timed.given_at == at
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "AST", a, expiry.date(), actor=COORDINATOR, volume_ml="5", product_code=codes[2],
            given_at=(expiry + timedelta(minutes=1)).isoformat(),
        )  # fmt: skip
    assert err.value.reason == f"aliquot AL-0003 expired at {expiry.isoformat()}"
    with pytest.raises(ProductRefusedError, match="AL-0004 expired at"):
        store.records.add_injection(  # date only, the day it expired: the end of that day
            "AST", a, expiry.date(), actor=COORDINATOR, volume_ml="5", product_code=codes[3]
        )
    assert [reason for _, reason, _ in _refusals(store)] == [
        err.value.reason, f"aliquot AL-0004 expired at {expiry.isoformat()}",
    ]  # fmt: skip
    for when, day, expected in (
        (clock.at + timedelta(minutes=1), clock.at.date(), "a time not after now"),
        (at, at.date() + timedelta(days=2), "the date given"),
    ):
        with pytest.raises(ValidationError, match=rf"given_at: .*{expected}"):
            store.records.add_injection(
                "AST", a, day, actor=COORDINATOR, volume_ml="5", product_code=codes[3],
                given_at=when,
            )  # fmt: skip
    with pytest.raises(ValidationError, match=r"given_at: .*a time not after now"):
        store.records.add_injection(  # without a product code too
            "AST", study["P"], clock.at.date(), actor=COORDINATOR, given_at=clock.at
            + timedelta(hours=1),
        )  # fmt: skip
    assert len(_refusals(store)) == 2
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_back_dated_whole_blood_needs_its_time_given(store: Store, clock: Clock) -> None:
    """Whole blood given on an earlier day is checked against the draw-to-injection limit at
    the time given, which it therefore needs."""
    store.studies.create("AAHT", "aaht-zhao2022", actor=ADMIN, seed=3, allocation_n=4)
    store.studies.add_site("AAHT", "s01", "Seoul", actor=ADMIN)
    store.subjects.screen(
        "AAHT", "s01", "W1", {**ELIGIBLE, "recalcitrant": True}, screened_on=SCREENED_ON,
        actor=COORDINATOR,
    )  # fmt: skip
    store.subjects.randomise("AAHT", "W1", actor=COORDINATOR)
    drawn = clock.at
    draw = store.product.draw("AAHT", "W1", actor=PREPARER, volume_ml="4")
    clock.at += timedelta(days=1)
    with pytest.raises(ValidationError, match="given_at: got None; expected the time given"):
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code
        )
    given = store.records.add_injection(
        "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code,
        given_at=drawn + timedelta(minutes=4),
    )  # fmt: skip
    assert given.draw_id == draw.id
    with pytest.raises(ProductRefusedError, match="drawn 7 minutes before the injection"):
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code,
            given_at=drawn + timedelta(minutes=7),
        )  # fmt: skip
    with pytest.raises(ProductRefusedError, match="was drawn after the injection"):
        store.records.add_injection(
            "AAHT", "W1", TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code,
            given_at=drawn - timedelta(minutes=1),
        )  # fmt: skip


def test_accountability_counts_by_subject_and_refusals_by_kind(
    store: Store, study: dict[str, str]
) -> None:
    """Hand-checked: A drawn once (4 aliquots, 1 injection), B drawn once (4 aliquots, its
    aliquot refused for A once); planned = the protocol's injections per allocated subject."""
    from autoserum.analysis import product_accountability

    a, b = study["A"], study["B"]
    mine, theirs = _aliquots(store, a), _aliquots(store, b)
    store.records.add_injection("AST", a, TODAY, actor=COORDINATOR, volume_ml="5",
                                product_code=mine[0])  # fmt: skip
    with pytest.raises(ProductRefusedError):
        store.records.add_injection("AST", a, TODAY, actor=COORDINATOR, volume_ml="5",
                                    product_code=theirs[0])  # fmt: skip
    subjects, refusals = store.product.accountability("AST", actor=ADMIN)
    planned = len(store.studies.protocol("AST").injections)
    by_id = {r["subject_id"]: r for r in subjects.to_dicts()}
    assert (by_id[a]["draws"], by_id[a]["aliquots"], by_id[a]["injections_given"]) == (1, 4, 1)
    assert (by_id[b]["draws"], by_id[b]["aliquots"], by_id[b]["injections_given"]) == (1, 4, 0)
    assert {r["injections_planned"] for r in by_id.values()} == {planned}
    assert refusals.rows() == [(a, "serum", "another subject's product")]
    blinded, masked = store.product.accountability("AST", actor=COORDINATOR)
    assert set(blinded["arm"]) == {"blinded"}  # a blinded reader never gets the arm
    # nor the draws and aliquots (only an active arm has them), nor a refusal's kind
    assert blinded["draws"].null_count() == blinded["aliquots"].null_count() == blinded.height
    assert masked.rows() == [(a, "blinded", "blinded")]
    table = product_accountability(subjects, refusals)
    serum = {r["item"]: r for r in table.filter(table["arm"] == "serum").to_dicts()}
    assert serum["blood draws"]["n"] == 2
    assert serum["aliquots"]["n"] == 8
    assert serum["injections given"]["n"] == 1
    assert serum["injections given"]["percent"] == pytest.approx(100 / (2 * planned))
    assert serum["refused: another subject's product"]["n"] == 1


def test_the_report_shows_the_hand_checked_accountability(
    store: Store, study: dict[str, str]
) -> None:
    """The report's accountability table (``report/_conduct.py``) from the store's frames of
    the hand-checked scenario above: serum 2 draws, 8 aliquots, 1 of 2 × planned injections
    given, 1 refusal (another subject's product); the placebo subject nothing given. A blinded
    reader's frames give one pooled column and no arm."""
    import polars as pl

    from autoserum.analysis import StudyData
    from autoserum.report._conduct import product_section

    a, b = study["A"], study["B"]
    mine, theirs = _aliquots(store, a), _aliquots(store, b)
    store.records.add_injection("AST", a, TODAY, actor=COORDINATOR, volume_ml="5",
                                product_code=mine[0])  # fmt: skip
    with pytest.raises(ProductRefusedError):
        store.records.add_injection("AST", a, TODAY, actor=COORDINATOR, volume_ml="5",
                                    product_code=theirs[0])  # fmt: skip
    planned = len(store.studies.protocol("AST").injections)
    visits = pl.DataFrame({"subject_id": [a], "arm": ["serum"], "week": [0.0]})
    subjects, refusals = store.product.accountability("AST", actor=ADMIN)
    data = StudyData(visits, pl.DataFrame(), "AST", product_subjects=subjects,
                     product_refusals=refusals)  # fmt: skip
    section = product_section(data)
    assert section is not None
    [table] = section.tables
    serum = table.columns.index("serum (n = 2)")
    rows = {r[0]: r for r in table.rows}
    assert rows["Blood draws"][serum] == "2"
    assert rows["Aliquots"][serum] == "8"
    share = f"{100 / (2 * planned):.1f}"
    assert rows["Injections given"][serum] == f"1 of {2 * planned} ({share} %)"
    assert rows["Refused: another subject's product"][serum] == "1"
    placebo = table.columns.index("placebo (n = 2)")  # S3 and S4 by the seeded list
    assert rows["Injections given"][placebo] == f"0 of {2 * planned} (0.0 %)"
    blinded = store.product.accountability("AST", actor=COORDINATOR)
    data = StudyData(visits, pl.DataFrame(), "AST", product_subjects=blinded[0],
                     product_refusals=blinded[1])  # fmt: skip
    pooled = product_section(data)
    assert pooled is not None
    assert pooled.tables[0].columns == ("Item", "pooled (blinded) (n = 4)")
    shown = {r[0]: r[1] for r in pooled.tables[0].rows}
    assert "Blood draws" not in shown  # they tell the arm
    assert "Aliquots" not in shown
    assert shown["Refused (any reason)"] == "1"
    assert not any(label.startswith("Refused:") for label in shown)


def _of(frame: Any, subject: str) -> list[object]:
    """The rows of ``subject`` in a frame, without the subject's id."""
    return [
        {k: v for k, v in r.items() if k != "subject_id"}
        for r in frame.to_dicts()
        if r["subject_id"] == subject
    ]


def test_a_blinded_reader_sees_a_serum_and_a_placebo_subject_alike(
    store: Store, study: dict[str, str]
) -> None:
    """Issue 13: the accountability of a serum subject (drawn, processed, aliquoted, one
    refused injection) and a placebo subject (one refused injection) reads the same for a
    blinded reader but for the subject's id; the unblinded reader sees the difference."""
    a, p = study["A"], study["P"]
    _aliquots(store, a)
    theirs = _aliquots(store, study["B"])
    for subject in (a, p):  # another subject's product, refused for each
        with pytest.raises(ProductRefusedError):
            store.records.add_injection("AST", subject, TODAY, actor=COORDINATOR,
                                        volume_ml="5", product_code=theirs[0])  # fmt: skip

    def rows(actor: Any, subject: str) -> tuple[list[object], list[object]]:
        subjects, refusals = store.product.accountability("AST", actor=actor)
        return _of(subjects, subject), _of(refusals, subject)

    assert rows(COORDINATOR, a) == rows(COORDINATOR, p)
    assert rows(COORDINATOR, a)[1] != []  # the refusal is counted
    assert rows(ADMIN, a) != rows(ADMIN, p)  # the check can fail: the details are there


def test_an_injection_before_the_chain_is_queried_once_the_chain_is_recorded(
    store: Store, study: dict[str, str]
) -> None:
    """The automatic check ``injection_without_preparation``: an injection recorded without a
    product code, then the study starts recording its product chain: the injection is queried
    (once), by the check's author."""
    a = study["A"]
    given = store.records.add_injection("AST", a, TODAY, actor=COORDINATOR, volume_ml="5")
    rules = [q.rule for q in store.queries.list("AST", actor=ADMIN)]
    assert "injection_without_preparation" not in rules  # no chain recorded yet
    _aliquots(store, a)  # the draw: the study now records its chain
    store.checks.run("AST", actor=ADMIN)
    found = [
        q
        for q in store.queries.list("AST", actor=ADMIN)
        if q.rule == "injection_without_preparation"
    ]
    assert [(q.entity, q.record_id, q.field, q.opened_by) for q in found] == [
        ("injection", given.id, "product_code", "system:check:injection_without_preparation")
    ]


@pytest.fixture
def whole_blood(store: Store) -> dict[str, str]:
    """``ABT``: Pittler 2003 (autologous whole blood vs saline, double-blind), two subjects
    of the whole-blood arm (``A``, ``B``) and one of saline (``P``), by the seeded list."""
    store.studies.create("ABT", "abt-pittler2003", actor=ADMIN, seed=5, allocation_n=8)
    store.studies.add_site("ABT", "s01", "Seoul", actor=ADMIN)
    arms = {sid: enrolled(store, "ABT", sid) for sid in ("W1", "W2", "W3", "W4", "W5", "W6")}
    blood = [s for s, arm in arms.items() if arm == "abt"]
    saline = [s for s, arm in arms.items() if arm == "placebo"]
    return {"A": blood[0], "B": blood[1], "P": saline[0]}


def _abt_refusals(store: Store) -> list[tuple[str | None, object]]:
    return [(r.reason, r.new_value) for r in store.audit.raw_rows("ABT") if r.action == "refused"]


def test_a_double_blind_whole_blood_kit_is_filled_from_the_subjects_draw(
    store: Store, whole_blood: dict[str, str], clock: Clock
) -> None:
    """The preparer fills the whole-blood arm's kit from the subject's draw (the saline arm's
    from saline): the injector gives both by a KIT- code, within the protocol's 5 minutes
    from the draw (Pittler 2003 as declared in ``abt-pittler2003.toml``); a blinded viewer
    never sees the kit's source."""
    a, p = whole_blood["A"], whole_blood["P"]
    draw = store.product.draw("ABT", a, actor=PREPARER, volume_ml="1")
    with pytest.raises(ValidationError, match="blood_draw_code: got None; expected the code of"):
        store.product.prepare_kit("ABT", a, actor=PREPARER, volume_ml="1")
    with pytest.raises(ValidationError, match=r"blood_draw_code: .*not both"):
        store.product.prepare_kit(
            "ABT", a, actor=PREPARER, aliquot_code=draw.code, blood_draw_code=draw.code
        )
    with pytest.raises(ValidationError, match=r"blood_draw_code: .*not given whole blood"):
        store.product.prepare_kit("ABT", p, actor=PREPARER, blood_draw_code=draw.code)
    with pytest.raises(ValidationError, match="has 1 mL left, not 2 mL"):
        store.product.prepare_kit(
            "ABT", a, actor=PREPARER, volume_ml="2", blood_draw_code=draw.code
        )
    clock.at += timedelta(minutes=1)
    kit = store.product.prepare_kit(
        "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=draw.code
    )
    saline = store.product.prepare_kit("ABT", p, actor=PREPARER, volume_ml="1")
    assert (kit.product, kit.blood_draw_id, kit.aliquot_id) == ("whole_blood", draw.id, None)
    assert (saline.product, saline.blood_draw_id) == ("saline", None)
    assert parse_label_code(kit.code)[2].startswith("KIT-")
    with pytest.raises(ValidationError, match="has 0 mL left"):  # the draw is used up
        store.product.prepare_kit(
            "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=draw.code
        )
    with pytest.raises(ProductRefusedError, match="has 0 mL left"):  # also by its own code
        store.records.add_injection(
            "ABT", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=draw.code
        )
    clock.at += timedelta(minutes=3)
    for subject, made in ((a, kit), (p, saline)):
        given = store.records.add_injection(
            "ABT", subject, TODAY, actor=COORDINATOR, volume_ml="1", product_code=made.code
        )
        # the injection's source in the chain is masked for the blinded injector, as a kit's
        assert (given.product, given.preparation_id, given.draw_id) == ("blinded", MASK, MASK)
    seen = store.product.life("ABT", a, actor=COORDINATOR)
    assert [(k.code, k.product, k.blood_draw_id, k.aliquot_id) for k in seen.kits] == [
        (kit.code, "blinded", "blinded", "blinded")
    ]
    assert store.product.life("ABT", a, actor=ADMIN).kits[0].blood_draw_id == draw.id
    trail = store.audit.trail("ABT", actor=COORDINATOR)
    kit_rows = [r for r in trail if r.entity == "preparation"]
    assert kit_rows
    for row in kit_rows:
        values = row.new_value if isinstance(row.new_value, dict) else {row.field: row.new_value}
        assert values.get("blood_draw_id") in (None, "blinded"), row
        assert values.get("aliquot_id") in (None, "blinded"), row
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


def test_a_whole_blood_kit_past_the_draw_to_injection_limit_is_refused_and_audited(
    store: Store, whole_blood: dict[str, str], clock: Clock
) -> None:
    """The kit carries its draw's limit as its use-by (``kit_use_by``: the filling time plus
    the study's kit shelf life, 5 minutes in Pittler 2003, capped at the draw's time plus 5
    minutes): given 7 minutes after the draw it is refused as expired, the reason audited in
    the words of every kit's expiry; given at a time within the limit it is accepted."""
    a = whole_blood["A"]
    drawn = clock.at
    draw = store.product.draw("ABT", a, actor=PREPARER, volume_ml="2")
    clock.at += timedelta(minutes=1)
    kit = store.product.prepare_kit(
        "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=draw.code
    )
    clock.at += timedelta(minutes=6)
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "ABT", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=kit.code
        )
    ident = parse_label_code(kit.code)[2]
    assert err.value.reason == f"kit {ident} has expired"  # the blinded injector: no source
    audited = f"kit {ident} expired at {(drawn + timedelta(minutes=5)).isoformat()}"
    assert _abt_refusals(store) == [(audited, kit.code)]
    assert refusal_kind(audited) == "expired"  # the report's
    assert store.product.life("ABT", a, actor=ADMIN).injections == ()
    clock.at += timedelta(days=1)  # back-dated: needs its time, judged at it
    with pytest.raises(ValidationError, match="given_at: got None; expected the time given"):
        store.records.add_injection(
            "ABT", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=kit.code
        )
    given = store.records.add_injection(
        "ABT", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=kit.code,
        given_at=drawn + timedelta(minutes=4),
    )  # fmt: skip
    assert given.preparation_id == MASK  # the blinded injector
    assert store.product.life("ABT", a, actor=ADMIN).injections[0].preparation_id == kit.id
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


def test_a_kit_from_another_subjects_draw_is_refused(
    store: Store, whole_blood: dict[str, str]
) -> None:
    a, b = whole_blood["A"], whole_blood["B"]
    theirs = store.product.draw("ABT", b, actor=PREPARER, volume_ml="1")
    with pytest.raises(ValidationError) as err:
        store.product.prepare_kit(
            "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=theirs.code
        )
    assert err.value.field == "blood_draw_code"
    ident = parse_label_code(theirs.code)[2]
    assert f"blood draw {ident} belongs to subject {b}, not to {a}" in str(err.value)
    assert store.product.life("ABT", a, actor=ADMIN).kits == ()


def test_a_volume_off_the_dose_schedule_is_recorded_as_a_deviation(
    store: Store, whole_blood: dict[str, str]
) -> None:
    """Pittler 2003 declares 1-2-3-2-1 mL (``abt-pittler2003.toml``: ``dose.per_injection``):
    the k-th sitting of a whole-blood subject is checked against the k-th volume (± 10%); a
    volume off the schedule is recorded (the injection is not refused) and flagged as an
    ``injection_dose`` protocol deviation naming the injection, the volume and the protocol's.
    The study is double-blind: the saline arm (volume not reported) is held to the same
    volumes, so that a flag never tells the arms apart."""
    a, p = whole_blood["A"], whole_blood["P"]
    weekly = ("2026-03-02", "2026-03-09", "2026-03-16")
    for day, volume in zip(weekly, ("1", "2.1", "2"), strict=True):  # the third should be 3 mL
        store.records.add_injection("ABT", a, day, actor=COORDINATOR, volume_ml=volume)
    for day, volume in zip(weekly, ("1", "2", "4"), strict=True):
        store.records.add_injection("ABT", p, day, actor=COORDINATOR, volume_ml=volume)
    found = store.records.deviations("ABT", actor=ADMIN, kind="injection_dose")
    assert sorted((d.subject_id, d.description) for d in found) == sorted([
        (a, "injection on 2026-03-16: injection 3: volume_ml 2 mL (protocol: 3 mL ± 10%)"),
        (p, "injection on 2026-03-16: injection 3: volume_ml 4 mL (protocol: 3 mL ± 10%)"),
    ])  # fmt: skip
    assert any(
        r.entity == "deviation" and r.action == "insert" for r in store.audit.raw_rows("ABT")
    )


def test_a_corrected_volume_raises_or_closes_its_dose_deviation(
    store: Store, whole_blood: dict[str, str]
) -> None:
    """Every write of an injection re-checks the volumes against Pittler's 1-2-3-2-1 mL
    (``store/_dose.py``, the one owner of the rule): a correction (``records.update``, which the
    web's correction form and the API's PATCH call) into the ± 10 % closes the deviation (an
    audited deletion with the correction's reason), a correction out of it raises one, a
    corrected date renumbers the sittings, and deleting the injection closes its deviation."""
    a = whole_blood["A"]
    first = store.records.add_injection("ABT", a, "2026-03-02", actor=COORDINATOR, volume_ml="1")
    second = store.records.add_injection("ABT", a, "2026-03-09", actor=COORDINATOR, volume_ml="4")

    def found() -> list[str]:
        rows = store.records.deviations("ABT", actor=ADMIN, kind="injection_dose")
        return sorted(d.description for d in rows)

    assert found() == [
        "injection on 2026-03-09: injection 2: volume_ml 4 mL (protocol: 2 mL ± 10%)"
    ]
    fixed = store.records.update(
        "ABT", "injection", second.id, {"volume_ml": "2.2"}, actor=ADMIN,
        reason="transcription error: 2.2 mL given", expected_version=second.version,
    )  # fmt: skip
    assert found() == []  # 2.2 mL is within 10 % of 2 mL: closed
    closed = [
        r for r in store.audit.raw_rows("ABT") if r.entity == "deviation" and r.action == "delete"
    ]
    assert [r.reason for r in closed] == ["transcription error: 2.2 mL given"]
    fixed = store.records.update(
        "ABT", "injection", second.id, {"volume_ml": "2.3"}, actor=ADMIN,
        reason="re-measured", expected_version=fixed.version,
    )  # fmt: skip
    assert found() == [
        "injection on 2026-03-09: injection 2: volume_ml 2.3 mL (protocol: 2 mL ± 10%)"
    ]
    # the first injection moved after the second: the 2.3 mL is now the first sitting's (1 mL)
    # and the 1 mL the second's (2 mL)
    store.records.update(
        "ABT", "injection", first.id, {"given_on": "2026-03-10"}, actor=ADMIN,
        reason="date corrected", expected_version=first.version,
    )  # fmt: skip
    assert found() == [
        "injection on 2026-03-09: injection 1: volume_ml 2.3 mL (protocol: 1 mL ± 10%)",
        "injection on 2026-03-10: injection 2: volume_ml 1 mL (protocol: 2 mL ± 10%)",
    ]
    store.records.delete(
        "ABT", "injection", fixed.id, actor=ADMIN, reason="entered in error",
        expected_version=fixed.version,
    )  # fmt: skip
    assert found() == []  # the remaining 1 mL is the first sitting again: no deviation
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


# --- every kit's use-by: the same rule, the same refusal, whatever the arm ------------------


def test_a_saline_kit_past_its_use_by_is_refused_as_a_serum_kit_is(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    """Issue 13 (blinded preparation): every kit has its own use-by, the filling time plus the
    study's kit shelf life (24 h, the autoserum default: ``ast-nahm2023`` declares none for a
    kit), the saline kit's as the serum kit's. Past it, both are refused; the blinded injector
    is told exactly the same words (``kit <code> has expired``), the audit trail records the
    same reason for both (the kit's code and use-by), and a blinded reader of the trail reads
    the two refusals alike. At the use-by itself both are still given."""
    a, p = study["A"], study["P"]
    [code] = _aliquots(store, a, count=1)
    serum = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code,
                                      volume_ml="5")  # fmt: skip
    saline = store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    use_by = clock.at + timedelta(hours=24)
    for subject, kit in ((a, serum), (p, saline)):
        assert store.product.life("AST", subject, actor=COORDINATOR).use_by == {kit.id: use_by}
    clock.at = use_by + timedelta(seconds=1)
    told, audited = {}, {}
    for subject, kit in ((a, serum), (p, saline)):
        ident = parse_label_code(kit.code)[2]
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "AST", subject, TODAY, actor=COORDINATOR, volume_ml="5", product_code=kit.code,
                given_at=clock.at,
            )  # fmt: skip
        told[kit.product] = err.value.reason.replace(ident, "<kit>")
        audited[kit.product] = _refusals(store)[-1][1].replace(ident, "<kit>")  # type: ignore[union-attr]
    assert told == {"serum": "kit <kit> has expired", "saline": "kit <kit> has expired"}
    assert audited["serum"] == audited["saline"] == f"kit <kit> expired at {use_by.isoformat()}"
    blinded = [
        (r.reason, r.new_value)
        for subject in (a, p)
        for r in store.audit.trail("AST", actor=COORDINATOR, subject_id=subject)
        if r.action == "refused"
    ]
    assert blinded == [
        (f"kit {parse_label_code(serum.code)[2]} has expired", MASK),
        (f"kit {parse_label_code(saline.code)[2]} has expired", MASK),
    ]
    _, kinds = store.product.accountability("AST", actor=ADMIN)
    assert sorted(zip(kinds["arm"], kinds["kind"], strict=True)) == [
        ("placebo", "expired"), ("serum", "expired")
    ]  # fmt: skip
    # given at its use-by (a paper record transcribed later), each kit is accepted
    for subject, kit in ((a, serum), (p, saline)):
        store.records.add_injection(
            "AST", subject, TODAY, actor=COORDINATOR, volume_ml="5", product_code=kit.code,
            given_at=use_by,
        )  # fmt: skip
    assert store.audit.verify("AST").ok
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_a_kit_is_filled_only_from_an_aliquot_that_outlasts_its_use_by(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    """A serum kit's use-by is never cut short by its aliquot (a use-by shorter than a saline
    kit's would tell the arm on the kit's label): the preparer may not fill a kit from an
    aliquot expiring before the kit's use-by (filling + 24 h), a 422 on ``aliquot_code``."""
    a = study["A"]
    [code] = _aliquots(store, a, count=1)  # expires 30 days after processing (the protocol's)
    clock.at += timedelta(days=29, hours=1)  # 23 h left
    with pytest.raises(ValidationError) as err:
        store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="5")
    assert err.value.field == "aliquot_code"
    assert "keeps beyond the kit's use-by" in str(err.value)
    clock.at -= timedelta(hours=2)  # 25 h left
    kit = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="5")
    assert store.product.life("AST", a, actor=ADMIN).use_by == {
        kit.id: clock.at + timedelta(hours=24)
    }


def test_a_whole_blood_studys_saline_kit_expires_as_the_blood_kit_does(
    store: Store, whole_blood: dict[str, str], clock: Clock
) -> None:
    """Pittler 2003 (``abt-pittler2003.toml``: 5 minutes from draw to injection): the saline
    kit keeps for the same 5 minutes from its filling, so it too is refused past them, in the
    words a whole-blood kit past its draw's limit is refused in."""
    a, p = whole_blood["A"], whole_blood["P"]
    draw = store.product.draw("ABT", a, actor=PREPARER, volume_ml="1")
    blood = store.product.prepare_kit(
        "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=draw.code
    )
    saline = store.product.prepare_kit("ABT", p, actor=PREPARER, volume_ml="1")
    clock.at += timedelta(minutes=6)
    told = []
    for subject, kit in ((a, blood), (p, saline)):
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "ABT", subject, TODAY, actor=COORDINATOR, volume_ml="1", product_code=kit.code
            )
        told.append(err.value.reason.replace(parse_label_code(kit.code)[2], "<kit>"))
    assert told == ["kit <kit> has expired"] * 2
    use_by = (clock.at - timedelta(minutes=1)).isoformat()
    assert [str(r).replace(parse_label_code(k.code)[2], "<kit>")
            for (r, _), k in zip(_abt_refusals(store), (blood, saline), strict=True)] == [
        f"kit <kit> expired at {use_by}"
    ] * 2  # fmt: skip


def test_a_kits_label_prints_its_use_by_alike_for_serum_and_saline(
    store: Store, study: dict[str, str]
) -> None:
    """The kit's label (``report.product_labels``, the page's, API's and CLI's
    ``labels.pdf``) prints its use-by (``kit_use_by``: filled + 24 h) beside its volume, for
    a blinded viewer too: a serum kit's and a saline kit's filled at once read alike but for
    the subject."""
    from autoserum.report import product_labels

    a, p = study["A"], study["P"]
    [code] = _aliquots(store, a, count=1)
    store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="5")
    store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    lines = {}
    for subject in (a, p):
        [label] = product_labels(store.product.life("AST", subject, actor=COORDINATOR))
        lines[subject] = label.lines[1:]
    assert lines[a] == lines[p]
    # the clock's 09:00 on TODAY (2026-06-30) + 24 h, as English writes it
    assert lines[a][-1] == "use by Jul 1, 2026 09:00 UTC"


def _disposal_rows(store: Store, study: str) -> list[tuple[object, ...]]:
    """Each audited disposal insert (the trail's raw rows, one per field set): its links and
    its reason, in the order written."""
    found: dict[int, dict[str, object]] = {}
    for r in store.audit.raw_rows(study):
        if r.entity == "disposal" and r.action == "insert":
            found.setdefault(r.record_id, {"reason": r.reason})[str(r.field)] = r.new_value
    links = ("aliquot_id", "preparation_id", "blood_draw_id")
    return [(*(_int(row.get(k)) for k in links), row["reason"]) for row in found.values()]


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def test_a_saline_kit_disposed_of_is_refused_as_a_serum_kit_is(
    store: Store, study: dict[str, str], clock: Clock
) -> None:
    """Issue 13 item 1 (blinded preparation): a kit of any arm is disposed of by its code
    (``disposals.preparation_id``, migration 0029), and at injection a disposed serum kit and
    a disposed saline kit are refused in the same words (``kit KIT-n was disposed of``) to the
    blinded and the unblinded injector, audited alike; a blinded reader sees neither disposal
    (the record type is masked), so the two kits' trails read alike. A disposal counts from
    its time: an injection given before it is accepted (judged at ``administered_at``)."""
    a, p = study["A"], study["P"]
    [code] = _aliquots(store, a, count=1)
    serum = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="5")
    saline = store.product.prepare_kit("AST", p, actor=PREPARER, volume_ml="5")
    disposed_at = clock.at + timedelta(hours=1)
    clock.at += timedelta(hours=2)
    for kit in (serum, saline):
        gone = store.product.dispose("AST", kit.code, actor=PREPARER, reason="label smudged",
                                     at=disposed_at)  # fmt: skip
        assert (gone.preparation_id, gone.aliquot_id, gone.blood_draw_id) == (kit.id, None, None)
        with pytest.raises(StateError, match="is disposed of already"):
            store.product.dispose("AST", kit.code, actor=PREPARER, reason="again")
    told: dict[tuple[str, str], str] = {}
    for subject, kit in ((a, serum), (p, saline)):
        ident = parse_label_code(kit.code)[2]
        for actor in (COORDINATOR, UNBLINDED_INJECTOR):
            with pytest.raises(ProductRefusedError) as err:
                store.records.add_injection(
                    "AST", subject, TODAY, actor=actor, volume_ml="5", product_code=kit.code,
                    given_at=disposed_at + timedelta(minutes=30),
                )  # fmt: skip
            told[(kit.product, actor.username)] = err.value.reason.replace(ident, "<kit>")
    assert set(told.values()) == {"kit <kit> was disposed of"}, told
    assert len(told) == 4
    assert {str(r).replace(parse_label_code(k.code)[2], "<kit>")
            for (_, r, _), k in zip(_refusals(store), (serum, serum, saline, saline), strict=True)
            } == {"kit <kit> was disposed of"}  # fmt: skip
    # a blinded reader: no disposal row, and the two kits' rows alike
    for subject in (a, p):
        seen = {r.entity for r in store.audit.trail("AST", actor=COORDINATOR, subject_id=subject)}
        assert "disposal" not in seen
    assert _kit_rows(store, a, COORDINATOR) == _kit_rows(store, p, COORDINATOR)
    assert store.product.life("AST", p, actor=COORDINATOR).disposals == ()
    assert [d.preparation_id for d in store.product.life("AST", p, actor=ADMIN).disposals] == [
        saline.id
    ]
    # given before the disposal: accepted (the kit was not disposed of then)
    given = store.records.add_injection(
        "AST", p, TODAY, actor=COORDINATOR, volume_ml="5", product_code=saline.code,
        given_at=disposed_at - timedelta(minutes=30),
    )  # fmt: skip
    assert given.product == "blinded"
    assert store.audit.verify("AST").ok
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_disposing_of_an_aliquot_disposes_of_its_unused_kits(
    store: Store, study: dict[str, str]
) -> None:
    """An aliquot's disposal disposes of the kits filled from it that were not injected nor
    disposed of already, each a disposal row of its own with the same reason, audited; an
    injected kit keeps its injection. A label that is not an aliquot's, kit's or draw's is
    refused naming the field."""
    a = study["A"]
    [code] = _aliquots(store, a, count=1)
    kits = [
        store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="1")
        for _ in range(3)
    ]
    store.records.add_injection(
        "AST", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=kits[0].code
    )
    store.product.dispose("AST", kits[1].code, actor=PREPARER, reason="dropped")
    gone = store.product.dispose("AST", code, actor=PREPARER, reason="vial cracked")
    aliquot_id = gone.aliquot_id
    assert _disposal_rows(store, "AST") == [
        (None, kits[1].id, None, "dropped"),
        (aliquot_id, None, None, "vial cracked"),
        (None, kits[2].id, None, "vial cracked"),  # the unused kit, with its aliquot
    ]
    with pytest.raises(ProductRefusedError) as err:
        store.records.add_injection(
            "AST", a, TODAY, actor=UNBLINDED_INJECTOR, volume_ml="1", product_code=kits[2].code
        )
    assert err.value.reason == f"kit {parse_label_code(kits[2].code)[2]} was disposed of"
    with pytest.raises(ValidationError) as bad:
        store.product.dispose("AST", label_code("AST", a, "XX-0001"), actor=PREPARER, reason="x")
    assert bad.value.field == "code"
    with pytest.raises(PermissionDeniedError):
        store.product.dispose("AST", kits[2].code, actor=COORDINATOR, reason="x")
    assert replay_audit(store.audit.raw_rows("AST")) == current_state(store, "AST")


def test_a_blood_draws_disposal_disposes_of_its_kits_and_refuses_its_code(
    store: Store, whole_blood: dict[str, str], clock: Clock
) -> None:
    """A whole-blood draw is disposed of by its code (``disposals.blood_draw_id``) with its
    unused kit; the draw's code is then refused (``blood draw BD-n was disposed of``; a
    blinded injector is told ``the product was disposed of``) and the kit as every disposed
    kit is."""
    a = whole_blood["A"]
    draw = store.product.draw("ABT", a, actor=PREPARER, volume_ml="2")
    kit = store.product.prepare_kit(
        "ABT", a, actor=PREPARER, volume_ml="1", blood_draw_code=draw.code
    )
    gone = store.product.dispose("ABT", draw.code, actor=PREPARER, reason="clotted")
    assert (gone.blood_draw_id, gone.aliquot_id, gone.preparation_id) == (draw.id, None, None)
    assert _disposal_rows(store, "ABT") == [
        (None, None, draw.id, "clotted"),
        (None, kit.id, None, "clotted"),
    ]
    clock.at += timedelta(minutes=1)
    told = []
    for code in (draw.code, kit.code):
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "ABT", a, TODAY, actor=COORDINATOR, volume_ml="1", product_code=code
            )
        told.append(err.value.reason)
    ident = parse_label_code(kit.code)[2]
    assert told == [f"blood draw {parse_label_code(draw.code)[2]} was disposed of",
                    f"kit {ident} was disposed of"]  # fmt: skip
    assert [r for r, _ in _abt_refusals(store)] == told
    assert [refusal_kind(r) for r in told] == ["disposed of"] * 2
    assert replay_audit(store.audit.raw_rows("ABT")) == current_state(store, "ABT")


def test_a_kit_whose_aliquot_was_disposed_of_before_0029_is_refused_alike(
    store: Store, study: dict[str, str]
) -> None:
    """A kit whose aliquot was disposed of before kits could be (no disposal row of its own:
    written here directly, as migration 0029 leaves such data) is refused for its source; a
    blinded injector is told the same words as for any disposed kit."""
    from sqlalchemy import delete

    from autoserum.store.models import DisposalRow

    a = study["A"]
    [code] = _aliquots(store, a, count=1)
    kit = store.product.prepare_kit("AST", a, actor=PREPARER, aliquot_code=code, volume_ml="5")
    store.product.dispose("AST", code, actor=PREPARER, reason="vial cracked")
    with store.engine.begin() as conn:
        conn.execute(delete(DisposalRow).where(DisposalRow.preparation_id == kit.id))
    ident = parse_label_code(kit.code)[2]
    told = {}
    for actor in (COORDINATOR, UNBLINDED_INJECTOR):
        with pytest.raises(ProductRefusedError) as err:
            store.records.add_injection(
                "AST", a, TODAY, actor=actor, volume_ml="5", product_code=kit.code
            )
        told[actor.username] = err.value.reason
    assert told == {"cora": f"kit {ident} was disposed of",
                    "una": f"kit {ident}: its aliquot was disposed of"}  # fmt: skip
