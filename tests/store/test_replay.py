"""Property: random sequences of study operations, replayed from the audit trail alone, rebuild
exactly the current state (on both engines): subjects, records and their corrections, consents,
the product chain, lesion photographs' metadata and their blinded central ratings, data queries
(opened, answered with or without a correction, closed) and those the automatic checks raise,
source-data verifications and their clearing, signatures and their invalidation. Illegal
operations are refused and change nothing.
"""

from __future__ import annotations

import io
import itertools
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from autoserum.errors import (
    AutoserumError,
    ConflictError,
    NotFoundError,
    StateError,
    ValidationError,
)
from autoserum.store import Actor, Store, open_store
from autoserum.store.replay import current_state, replay_audit
from autoserum.study import SubjectStatus
from tests.store.helpers import (
    ADMIN,
    COORDINATOR,
    ELIGIBLE,
    INVESTIGATOR,
    MONITOR,
    PREPARER,
    SCREENED_ON,
    TODAY,
)

_names = itertools.count()
DAY0 = date(2026, 3, 2)
VISITS = ("screening", "baseline", "week_4", "week_8")
STATUSES = tuple(SubjectStatus)
SEEN: Counter[tuple[str, str]] = Counter()
PASSWORD = "correct horse battery staple"
_HASH: list[str] = []
#: two blinded central raters (each rates a photograph once; members of the study's site)
RATERS = ("rita", "raul")
REGIONS = ("head_neck", "upper_limbs", "trunk", "lower_limbs")


def _jpeg(shade: int) -> bytes:
    """A small JPEG (its colour varies, so that some uploads share a file and some do not)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (12, 8), (shade, 90, 80)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """The store on each engine, with a photo file store (a PostgreSQL store has none by
    default)."""
    st = open_store(db_url, clock=lambda: TODAY, photo_dir=tmp_path / "photos")
    try:
        yield st
    finally:
        st.close()


def _signer(store: Store) -> None:
    """The investigator ``ivan`` with a password (signatures re-enter it), once per store."""
    if store.accounts.get_user("ivan") is None:
        if not _HASH:
            from autoserum.accounts import hash_password

            _HASH.append(hash_password(PASSWORD))
        store.accounts.create_user(
            "ivan", _HASH[0], "investigator", None, actor=ADMIN, full_name="Ivan Petrov"
        )


def machine_for(store: Store, *, review: bool = False) -> type[RuleBasedStateMachine]:
    """A state machine driving ``store``; each example runs in a study of its own."""

    class StudyOperations(RuleBasedStateMachine):
        subjects = Bundle("subjects")
        adverse_events = Bundle("adverse_events")

        def __init__(self) -> None:
            super().__init__()
            number = next(_names)
            self.study = f"P{number}"
            store.studies.create(self.study, "ast-nahm2023", actor=ADMIN, seed=11, allocation_n=8)
            store.studies.add_site(self.study, "s01", "Seoul", actor=ADMIN)
            self.ids = itertools.count(1)
            self.gated = number % 2 == 0  # every other study manages consent
            if review:
                _signer(store)
            if self.gated:
                store.consent.add_document(
                    self.study, "1.0", "en", "2026-01-05", actor=ADMIN, sha256="ab" * 32
                )

        @rule(target=subjects, eligible=st.booleans())
        def screen(self, eligible: bool) -> str:
            sid = f"S{next(self.ids):03d}"
            facts = ELIGIBLE if eligible else {**ELIGIBLE, "scorad": 10}
            store.subjects.screen(
                self.study, "s01", sid, facts, screened_on=SCREENED_ON, actor=COORDINATOR
            )
            if review and self.gated and eligible:  # consent-managed: eligible ones consent
                store.consent.record(
                    self.study, sid, "1.0", "2026-02-16T09:00:00+00:00", actor=COORDINATOR,
                    obtained_by="Dr Kim",
                )  # fmt: skip
            return sid

        @rule(subject=subjects, shift=st.integers(-60, 30))
        def consent(self, subject: str, shift: int) -> None:
            at = datetime(2026, 2, 16, 9, 30, tzinfo=UTC) + timedelta(days=shift)
            with suppress(StateError, ValidationError):  # no document, before it, withdrawn
                store.consent.record(
                    self.study, subject, "1.0", at, actor=COORDINATOR, obtained_by="Dr Kim",
                    components={"photographs": shift % 2 == 0},
                )  # fmt: skip

        @rule(subject=subjects, shift=st.integers(0, 90))
        def withdraw_consent(self, subject: str, shift: int) -> None:
            self.consent(subject, 0)  # a consent first (if none yet), so that one is withdrawn
            with suppress(StateError, ValidationError):  # no consent, withdrawn already
                store.consent.withdraw(
                    self.study, subject, DAY0 + timedelta(shift), actor=COORDINATOR, reason="r"
                )

        @rule(subject=subjects)
        def randomise(self, subject: str) -> None:
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.subjects.randomise(self.study, subject, actor=COORDINATOR)

        @rule(subject=subjects, status=st.sampled_from(STATUSES), reason=st.sampled_from(["", "x"]))
        def move(self, subject: str, status: SubjectStatus, reason: str) -> None:
            before = store.subjects.detail(self.study, subject, actor=ADMIN).subject.status
            try:
                after = store.subjects.transition(
                    self.study,
                    subject,
                    status,
                    actor=COORDINATOR,
                    reason=reason or None,
                ).status
            except AutoserumError:
                after = store.subjects.detail(self.study, subject, actor=ADMIN).subject.status
                assert after is before  # a refused transition changes nothing
            else:
                assert after is status

        @rule(subject=subjects, visit=st.sampled_from(VISITS), shift=st.integers(-90, 90))
        def visit(self, subject: str, visit: str, shift: int) -> None:
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.records.add_visit(
                    self.study, subject, visit, DAY0 + timedelta(shift), actor=COORDINATOR
                )

        @rule(subject=subjects, visit=st.sampled_from(VISITS), score=st.integers(0, 10))
        def itch(self, subject: str, visit: str, score: int) -> None:
            # the visit first (if not recorded yet), so that assessments are reached at all
            self.visit(subject, visit, 0)
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.records.add_assessment(
                    self.study,
                    subject,
                    visit,
                    "pp_nrs",
                    {"score": score},
                    actor=COORDINATOR,
                )

        @rule(subject=subjects, visit=st.sampled_from(VISITS), count=st.integers(0, 2000))
        def eosinophils(self, subject: str, visit: str, count: int) -> None:
            self.visit(subject, visit, 0)  # the visit first, as for assessments
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.records.add_lab(
                    self.study,
                    subject,
                    visit,
                    "eosinophils",
                    count,
                    "/uL",
                    actor=COORDINATOR,
                    ref_low=0,
                    ref_high=500,
                )  # fmt: skip

        @rule(subject=subjects, shift=st.integers(-3, 60))
        def inject(self, subject: str, shift: int) -> None:
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.records.add_injection(
                    self.study,
                    subject,
                    DAY0 + timedelta(shift),
                    actor=COORDINATOR,
                    volume_ml="5",
                )

        @rule(
            subject=subjects,
            deviate=st.booleans(),
            then=st.sampled_from(["thaw", "dispose", "kit", "inject", "dispose_kit"]),
        )
        def prepare(self, subject: str, deviate: bool, then: str) -> None:
            """The product chain: a draw, its processing (a deviation or not), two aliquots, then
            a thaw, a disposal (and an injection of the disposed aliquot: refused, audited), a
            kit, a kit disposed of with its aliquot (``disposals.preparation_id``) and then
            given (refused, audited) or an injection (the subject consented and randomised
            first, so that the chain is reached at all)."""
            self.consent(subject, 0)
            self.randomise(subject)
            with suppress(StateError, ValidationError, NotFoundError):  # not allocated, withdrawn
                draw = store.product.draw(self.study, subject, actor=PREPARER, volume_ml="20")
                processing = store.product.process(
                    self.study, draw.code, actor=PREPARER, clotting_minutes=30,
                    centrifuge_g=1200 if deviate else 1500, centrifuge_minutes=10,
                )  # fmt: skip
                codes = [
                    a.code
                    for a in store.product.make_aliquots(
                        self.study, processing.id, actor=PREPARER, count=2
                    )
                ]
                # the spare aliquot goes to storage (so every reached chain has a storage event)
                store.product.storage_event(self.study, codes[1], "stored", actor=PREPARER)
                if then == "thaw":
                    store.product.storage_event(self.study, codes[0], "thawed", actor=PREPARER)
                elif then == "kit":
                    store.product.prepare_kit(
                        self.study, subject, actor=PREPARER, aliquot_code=codes[0]
                    )
                elif then == "dispose_kit":
                    kit = store.product.prepare_kit(
                        self.study, subject, actor=PREPARER, aliquot_code=codes[0]
                    )
                    store.product.dispose(self.study, codes[0], actor=PREPARER, reason="leak")
                    store.records.add_injection(
                        self.study, subject, DAY0, actor=COORDINATOR, volume_ml="5",
                        product_code=kit.code,
                    )  # fmt: skip
                else:
                    if then == "dispose":
                        store.product.dispose(self.study, codes[0], actor=PREPARER, reason="leak")
                    store.records.add_injection(
                        self.study, subject, DAY0, actor=COORDINATOR, volume_ml="5",
                        product_code=codes[0],
                    )  # fmt: skip

        def _aliquots(self, subject: str) -> list[str]:
            with suppress(StateError, NotFoundError):
                life = store.product.life(self.study, subject, actor=ADMIN)
                return [a.code for a in life.aliquots]
            return []

        @rule(subject=subjects, owner=subjects, which=st.integers(0, 3), shift=st.integers(0, 9))
        def inject_coded(self, subject: str, owner: str, which: int, shift: int) -> None:
            """An injection by label code: the subject's own aliquot, or another's (refused and
            audited, nothing written)."""
            codes = self._aliquots(owner)
            if not codes:
                return
            with suppress(StateError, ValidationError):
                store.records.add_injection(
                    self.study, subject, DAY0 + timedelta(shift), actor=COORDINATOR,
                    volume_ml="5", product_code=codes[which % len(codes)],
                )  # fmt: skip

        @rule(subject=subjects)
        def kit(self, subject: str) -> None:
            """A blinded kit from the subject's own aliquot (consented and randomised first, as
            in ``prepare``, so that the kit is reached whatever else the sequence did)."""
            self.consent(subject, 0)
            self.randomise(subject)
            codes = self._aliquots(subject)
            with suppress(StateError, ValidationError, NotFoundError):
                store.product.prepare_kit(
                    self.study, subject, actor=PREPARER, aliquot_code=codes[0] if codes else None
                )

        @rule(target=adverse_events, subject=subjects, serious=st.booleans(), regrade=st.booleans())
        def adverse_event(self, subject: str, serious: bool, regrade: bool) -> tuple[int, int]:
            self.consent(subject, 0)  # consented first, so that the event is reached at all
            try:
                ae = store.records.add_adverse_event(
                    self.study,
                    subject,
                    actor=COORDINATOR,
                    term="pruritus",
                    severity="mild",
                    serious=serious,
                    sae_hospitalisation=serious,
                    aware_at="2026-03-03T09:00+00:00" if serious else None,
                    related="possible",
                    outcome="recovering",
                )  # fmt: skip
            except (StateError, ValidationError):  # withdrawn, no consent
                return (0, 0)
            if not regrade:
                return (ae.id, ae.version)
            now = store.records.update(
                self.study,
                "adverse_event",
                ae.id,
                {"outcome": "recovered"},
                actor=ADMIN,
                reason="resolved",
                expected_version=ae.version,
            )
            return (now.id, now.version)

        @rule(ae=consumes(adverse_events), stale=st.booleans())
        def regrade(self, ae: tuple[int, int], stale: bool) -> None:
            record_id, version = ae
            if record_id == 0:
                return
            try:
                store.records.update(
                    self.study,
                    "adverse_event",
                    record_id,
                    {"severity": "moderate"},
                    actor=INVESTIGATOR,
                    reason="re-graded",
                    expected_version=version - 1 if stale else version,
                )  # fmt: skip
            except ConflictError:
                assert stale

        @rule(ae=consumes(adverse_events))
        def delete(self, ae: tuple[int, int]) -> None:
            record_id, version = ae
            if record_id:
                store.records.delete(
                    self.study,
                    "adverse_event",
                    record_id,
                    actor=ADMIN,
                    reason="duplicate",
                    expected_version=version,
                )

        @rule(subject=subjects, prohibited=st.booleans(), recode=st.booleans())
        def con_med(self, subject: str, prohibited: bool, recode: bool) -> None:
            # a prohibited drug also records a deviation; a rescue steroid its coding
            drug = ("ciclosporin", "L04AD01") if prohibited else ("mometasone", "D07AC13")
            try:
                med = store.records.add_con_med(
                    self.study, subject, actor=COORDINATOR, name=drug[0], atc_code=drug[1],
                    rescue=not prohibited, amount=10, amount_unit="g",
                )  # fmt: skip
            except (StateError, ValidationError):  # withdrawn, no consent
                return
            if recode:
                store.records.update(
                    self.study, "con_med", med.id, {"atc_code": "D07AA02"}, actor=ADMIN,
                    reason="transcription", expected_version=med.version,
                )  # fmt: skip

        @rule(subject=subjects)
        def unblind(self, subject: str) -> None:
            with suppress(StateError, ValidationError):  # refused (wrong status, recorded already,
                # ineligible, before screening, a repeat lab): no write
                store.subjects.unblind(self.study, subject, actor=INVESTIGATOR, reason="emergency")

        if review:  # data review (queries, verifications, signatures) and vital signs

            @rule(subject=subjects, visit=st.sampled_from(VISITS), pulse=st.integers(0, 300),
                  fix=st.booleans())  # fmt: skip
            def vitals(self, subject: str, visit: str, pulse: int, fix: bool) -> None:
                self.visit(subject, visit, 0)
                try:  # refused: impossible pulse (outside 20-250), repeat at the visit, no consent
                    vs = store.records.add_vital_signs(
                        self.study, subject, visit, actor=COORDINATOR, pulse=pulse, weight="60.5"
                    )
                except (StateError, ValidationError):
                    return
                if fix:
                    store.records.update(
                        self.study, "vital_sign", vs.id, {"weight": "61"}, actor=ADMIN,
                        reason="scale", expected_version=vs.version,
                    )  # fmt: skip

            @rule(subject=subjects, answer=st.sampled_from(["none", "plain", "correction"]),
                  close=st.booleans())  # fmt: skip
            def query(self, subject: str, answer: str, close: bool) -> None:
                visits = store.subjects.detail(self.study, subject, actor=ADMIN).visits
                if not visits:
                    return
                visit = visits[0]
                q = store.queries.open(
                    self.study, "visit", visit.id, "Date as in the source?", actor=MONITOR,
                    field="visit_date",
                )  # fmt: skip
                with suppress(StateError, ValidationError):  # a correction refused: nothing written
                    if answer != "none":
                        changes = {"visit_date": "2026-02-17"} if answer == "correction" else None
                        store.queries.answer(
                            self.study, q.id, "checked", actor=COORDINATOR, changes=changes,
                            record_version=visit.version,
                        )  # fmt: skip
                if close:
                    store.queries.close(self.study, q.id, "fine", actor=MONITOR)

            @rule(subject=subjects)
            def verify(self, subject: str) -> None:
                """Verify the subject's first visit (a query answered with a correction of its
                date clears the verification)."""
                visits = store.subjects.detail(self.study, subject, actor=ADMIN).visits
                if visits:
                    with suppress(StateError):  # verified already
                        store.sdv.verify(self.study, "visit", visits[0].id, actor=MONITOR)

            @rule(subject=subjects)
            def sign(self, subject: str) -> None:
                store.signatures.sign(
                    self.study, "casebook", actor=Actor("ivan", "investigator"), password=PASSWORD,
                    meaning="approval", printed_name="Ivan Petrov", subject_id=subject,
                )  # fmt: skip

        @invariant()
        def audit_replay_equals_current_state(self) -> None:
            replayed = replay_audit(store.audit.raw_rows(self.study))
            assert replayed == current_state(store, self.study)
            verified = store.audit.verify(self.study)
            assert verified.ok, verified.problems

        def teardown(self) -> None:
            rows = store.audit.raw_rows(self.study)
            SEEN.update((r.entity, r.action) for r in rows)
            # a kit's disposal (migration 0029): its insert's row of the kit link
            SEEN.update((r.entity, str(r.field)) for r in rows if r.field == "preparation_id")

    return StudyOperations


def photo_machine_for(store: Store) -> type[RuleBasedStateMachine]:
    """:func:`machine_for` with lesion photographs (metadata; the bytes are in the file store)
    and their blinded central ratings in the sequences."""
    base: Any = machine_for(store)

    class WithPhotos(base):  # type: ignore[misc]
        coded = Bundle("coded")

        @rule(target=coded, subject=base.subjects, region=st.sampled_from(REGIONS),
              shade=st.integers(0, 2))  # fmt: skip
        def photograph(self, subject: str, region: str, shade: int) -> str:
            """A lesion photograph of the subject's baseline visit (consented, randomised and
            visited first, so that the upload is reached; a consent that declined photographs
            refuses it), mostly rated at once."""
            machine = cast(Any, self)
            if not machine.gated:  # photographs need a consent (to a document of the study)
                store.consent.add_document(
                    machine.study, "1.0", "en", "2026-01-05", actor=ADMIN, sha256="ab" * 32
                )
                machine.gated = True
            machine.consent(subject, 0)
            machine.randomise(subject)
            machine.visit(subject, "baseline", 0)
            try:
                photo = store.photos.upload(
                    machine.study, subject, "baseline", region, _jpeg(100 + shade),
                    actor=COORDINATOR,
                )  # fmt: skip
            except (StateError, ValidationError):  # no consent or visit, declined, withdrawn
                return ""
            if shade:  # rated at once by the first rater (the rule below: more ratings)
                self.rate(photo.code, 0, "1.5", shade, shade)
            return str(photo.code)

        @rule(photo=coded, rater=st.integers(0, 1), sign=st.sampled_from(["0", "1.5", "3"]),
              area=st.integers(0, 6), grade=st.integers(0, 4))  # fmt: skip
        def rate(self, photo: str, rater: int, sign: str, area: int, grade: int) -> None:
            """A blinded rating of a coded photograph (a second one by the same rater is
            refused and changes nothing)."""
            if not photo:
                return
            study = cast(Any, self).study
            values = {
                "erythema": sign, "induration": "1", "excoriation": sign,
                "lichenification": "0", "area": str(area), "viga_grade": str(grade),
            }  # fmt: skip
            who = Actor(RATERS[rater], "central_rater", frozenset({(study, "s01")}))
            with suppress(StateError):
                store.photos.rate(study, photo, values, actor=who)

    return WithPhotos


def test_audit_replay_rebuilds_the_current_state(store: Store) -> None:
    SEEN.clear()
    run_state_machine_as_test(
        machine_for(store),
        settings=settings(max_examples=10, stateful_step_count=25, derandomize=True, database=None),
    )
    # the sequences did exercise the store: inserts, updates and deletes of clinical data
    for kind in [
        ("subject", "update"),
        ("visit", "insert"),
        ("assessment", "insert"),
        ("lab", "insert"),
        ("adverse_event", "update"),
        ("adverse_event", "delete"),
        ("consent_document", "insert"),
        ("consent", "insert"),
        ("consent", "update"),
        ("con_med", "insert"),
        ("con_med", "update"),
        ("deviation", "insert"),
        ("blood_draw", "insert"),
        ("processing", "insert"),
        ("aliquot", "insert"),
        ("storage_event", "insert"),
        ("disposal", "insert"),
        ("disposal", "preparation_id"),
        ("preparation", "insert"),
        ("injection", "refused"),
    ]:
        assert SEEN[kind] > 0, (kind, SEEN)


def test_audit_replay_rebuilds_queries_verifications_and_signatures(store: Store) -> None:
    """The same property with data review in the sequences: queries (and those the automatic
    checks raise), verifications and their clearing, signatures and their invalidation."""
    SEEN.clear()
    run_state_machine_as_test(
        machine_for(store, review=True),
        settings=settings(max_examples=6, stateful_step_count=25, derandomize=True, database=None),
    )
    for kind in [
        ("query", "insert"),
        ("query", "update"),
        ("query_message", "insert"),
        ("verification", "insert"),
        ("signature", "insert"),
        ("signature", "update"),
        ("vital_sign", "insert"),
        ("vital_sign", "update"),
    ]:
        assert SEEN[kind] > 0, (kind, SEEN)


def test_audit_replay_rebuilds_photos_and_their_ratings(store: Store) -> None:
    """The same property with lesion photographs in the sequences: their metadata records
    (the bytes live in the file store, never in the trail) and the central raters' blinded
    ratings (a repeat rating refused, changing nothing)."""
    SEEN.clear()
    run_state_machine_as_test(
        photo_machine_for(store),
        settings=settings(max_examples=6, stateful_step_count=25, derandomize=True, database=None),
    )
    for kind in [("photo", "insert"), ("photo_rating", "insert"), ("consent", "insert")]:
        assert SEEN[kind] > 0, (kind, SEEN)


def test_audit_replay_rebuilds_subject_history(store: Store) -> None:
    """Demographics, previous systemic treatments and atopic comorbidities recorded, refused,
    corrected and deleted: the audit trail alone rebuilds them (both engines)."""
    study = f"H{next(_names)}"
    store.studies.create(study, "ast-nahm2023", actor=ADMIN, seed=11, allocation_n=8)
    store.studies.add_site(study, "s01", "Seoul", actor=ADMIN)
    store.subjects.screen(study, "s01", "H-1", ELIGIBLE, screened_on=SCREENED_ON, actor=COORDINATOR)
    store.records.record_history(
        study, "H-1", actor=COORDINATOR, birth_date="1995-08-01", race="ASIAN", fitzpatrick="III",
        ad_onset_age="2",
    )  # fmt: skip
    with suppress(ValidationError):  # refused: onset above the age, nothing written
        store.records.record_history(study, "H-1", actor=COORDINATOR, ad_onset_age="40")
    treated = store.records.add_prior_treatment(
        study, "H-1", actor=COORDINATOR, drug="ciclosporin", atc_code="L04AD01",
        start_year=2019, end_year=2021, response="partial",
    )  # fmt: skip
    store.records.update(
        study, "prior_treatment", treated.id, {"response": "good"}, actor=ADMIN,
        reason="letter", expected_version=treated.version,
    )  # fmt: skip
    asthma = store.records.add_comorbidity(study, "H-1", actor=COORDINATOR, condition="asthma")
    store.records.add_comorbidity(study, "H-1", actor=COORDINATOR, condition="food_allergy")
    store.records.delete(
        study, "comorbidity", asthma.id, actor=ADMIN, reason="entered in error",
        expected_version=asthma.version,
    )  # fmt: skip
    kinds = {(r.entity, r.action) for r in store.audit.raw_rows(study)}
    assert {
        ("subject", "update"),
        ("prior_treatment", "update"),
        ("comorbidity", "delete"),
    } <= kinds
    assert replay_audit(store.audit.raw_rows(study)) == current_state(store, study)
    assert store.audit.verify(study).ok
