"""``autoserum product …`` (issue 13 item 1): the chain recorded from the command line on the
store services the pages and the API use, writes attributed to the proven account, the
injection by code refused (exit 2, the mismatch named) and audited as on the web, a blinded
account's ``show`` masked, labels and worksheet PDFs from the report's one owner."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from autoserum.cli import main

from .conftest import Seeded
from .test_access_matrix import consent_everyone
from .test_product_api import serum_subjects

GIVEN_ON = "2026-03-02"  # after screening (SCREENED_ON), before any clock of the test
#: The chain is recorded with its times on GIVEN_ON (``--at``): an injection is judged as its
#: product was when given, so the product must exist by then.
DRAWN_AT, PROCESSED_AT, DISPOSED_AT = (f"{GIVEN_ON}T{t}:00+00:00" for t in ("08", "09", "10"))


def run(
    capsys: pytest.CaptureFixture[str], db_url: str, *args: str, as_user: tuple[str, str] | None
) -> tuple[int, str, str]:
    """Run ``autoserum product ARGS`` as ``as_user`` (name, token); exit code, stdout, stderr."""
    proof = ["--user", as_user[0], "--token", as_user[1]] if as_user else []
    with pytest.raises(SystemExit) as exc:
        main(["product", *args, *proof, "--db", db_url])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def _pdf_text(path: Path) -> str:
    return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_the_product_chain_from_the_command_line(
    seeded: Seeded, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consent_everyone(seeded)
    a, b = serum_subjects(seeded, 2)
    prep = ("prep1", seeded.tokens["preparer"])
    coord = ("coord1", seeded.tokens["coordinator"])

    def ok(*args: str, who: tuple[str, str] | None = prep) -> Any:
        code, out, err = run(capsys, db_url, *args, "--json", as_user=who)
        assert code == 0, err
        return json.loads(out)

    # without --user the CLI is system:cli, which may not record the product
    code, _, err = run(capsys, db_url, "draw", a, "--study", "AST-1", "--volume", "40",
                       as_user=None)  # fmt: skip
    assert code != 0
    assert "system:cli" in err
    codes, draw_codes = {}, {}
    for subject in (a, b):
        draw = ok("draw", subject, "--study", "AST-1", "--volume", "40", "--at", DRAWN_AT)
        draw_codes[subject] = draw["code"]
        done = ok("process", "--study", "AST-1", "--draw", draw["code"], "--clotting-minutes",
                  "30", "--centrifuge-g", "1500", "--centrifuge-minutes", "10",
                  "--at", PROCESSED_AT)  # fmt: skip
        assert done["deviates"] is False
        made = ok("aliquots", "--study", "AST-1", "--processing", str(done["id"]), "--count", "3")
        codes[subject] = [m["code"] for m in made]
    mine, theirs = codes[a], codes[b]
    assert ok("storage", "--study", "AST-1", "--code", mine[1], "--kind", "frozen")["kind"] == (
        "frozen"
    )
    gone = ok("dispose", "--study", "AST-1", "--code", mine[2], "--reason", "leak",
              "--at", DISPOSED_AT)  # fmt: skip
    assert gone["reason"] == "leak"
    # a kit's draw code (--draw-code) is only for a whole-blood arm, never beside an aliquot
    # code (--code): exit 2 naming the field
    for extra, expected in ((), "not given whole blood"), (("--code", mine[1]), "not both"):
        code, _, err = run(capsys, db_url, "kit", a, "--study", "AST-1", "--draw-code",
                           draw_codes[a], *extra, as_user=prep)  # fmt: skip
        assert code == 2, err
        assert "blood_draw_code" in err
        assert expected in err
    # the writes are the preparer's in the audit trail
    rows = seeded.store.audit.raw_rows("AST-1")
    chain = [r for r in rows if r.entity in ("blood_draw", "processing", "aliquot", "disposal")]
    assert chain
    assert {r.username for r in chain} == {"prep1"}

    # the blinded coordinator injects A's aliquot; B's aliquot and a disposed one are refused
    given = ok("inject", a, "--study", "AST-1", "--code", mine[0], "--given-on", GIVEN_ON,
               "--volume", "2", who=coord)  # fmt: skip
    assert (given["product"], given["product_code"]) == ("blinded", "blinded")
    code, _, err = run(capsys, db_url, "inject", a, "--study", "AST-1", "--code", theirs[0],
                       "--given-on", GIVEN_ON, as_user=coord)  # fmt: skip
    assert code == 2
    assert f"aliquot AL-0004 belongs to subject {b}, not to {a}" in err
    code, _, err = run(capsys, db_url, "inject", a, "--study", "AST-1", "--code", mine[2],
                       "--given-on", GIVEN_ON, as_user=coord)  # fmt: skip
    assert code == 2
    assert "AL-0003 was disposed" in err
    refused = [
        (r.username, r.new_value)
        for r in seeded.store.audit.raw_rows("AST-1")
        if r.action == "refused"
    ]
    assert refused == [("coord1", theirs[0]), ("coord1", mine[2])]

    # show: the preparer sees the chain, the blinded coordinator the masked life
    full = ok("show", a, "--study", "AST-1")
    assert [x["code"] for x in full["aliquots"]] == mine
    # processed on GIVEN_ON with 30 days' shelf life: the unused aliquot has expired by now
    assert sorted(full["status"].values()) == ["disposed", "expired", "injected"]
    blind = ok("show", a, "--study", "AST-1", who=coord)
    assert blind["blinded"] is True
    assert blind["aliquots"] == blind["draws"] == []
    assert [i["product"] for i in blind["injections"]] == ["blinded"]
    code, text, _ = run(capsys, db_url, "show", a, "--study", "AST-1", as_user=coord)
    assert code == 0
    assert "serum" not in text
    assert "blinded" in text

    # labels and worksheet: the report's PDFs
    labels = tmp_path / "labels.pdf"
    code, out, err = run(capsys, db_url, "labels", a, "--study", "AST-1", "--out", str(labels),
                         as_user=prep)  # fmt: skip
    assert code == 0, err
    assert out.startswith("4 labels")  # one draw, three aliquots
    assert all(c in _pdf_text(labels) for c in mine)
    sheet = tmp_path / "worksheet.pdf"
    code, _, err = run(capsys, db_url, "worksheet", "--study", "AST-1", "--out", str(sheet),
                       as_user=prep)  # fmt: skip
    assert code == 0, err
    text = _pdf_text(sheet)
    assert "Preparation worksheet" in text
    assert a in text
    # the worksheet is unblinded: a blinded account may not print it
    code, _, err = run(capsys, db_url, "worksheet", "--study", "AST-1", "--out", str(sheet),
                       as_user=coord)  # fmt: skip
    assert code != 0
    assert "coord1" in err
