"""Every code the models and the code base can store has a Vietnamese label and an English translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import labels

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def english():
    with PO.open("rb") as f:
        return read_po(f)


def _msgid(lazy) -> str:
    return lazy._args[0]


def _check(family: str, codes, english) -> None:
    table = labels.FAMILIES[family]
    missing = [c for c in codes if c not in table]
    assert not missing, f"{family}: no label for {missing}"
    untranslated = [c for c in codes if not (english.get(_msgid(table[c])) and english.get(_msgid(table[c])).string)]
    assert not untranslated, f"{family}: no English for {untranslated}"


def _check_constraint_values() -> dict[tuple[str, str], list[str]]:
    """{(table, column): values} from every `column IN ('a','b')` CheckConstraint of the models."""
    import app.models  # noqa: F401 - registers every model
    from app.extensions import db

    found = {}
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            text = str(getattr(constraint, "sqltext", ""))
            for column, values in re.findall(r"(\w+) IN \(([^)]*)\)", text):
                found[(table.name, column)] = re.findall(r"'([^']*)'", values)
    return found


CONSTRAINT_FAMILIES = {
    ("units", "unit_type"): "unit_type",
    ("users", "role"): "role",
    ("submissions", "status"): "submission_status",
    ("criteria_versions", "status"): "version_status",
    ("export_jobs", "status"): "job_status",
}


def test_every_check_constraint_value_has_a_label(english):
    found = _check_constraint_values()
    assert set(found) == set(CONSTRAINT_FAMILIES), "a new CheckConstraint on codes: add its family here and in app/labels.py"
    for key, values in found.items():
        _check(CONSTRAINT_FAMILIES[key], values, english)


def test_every_enum_has_labels(english):
    from app.assessment import schema
    from app.assessment.indicators import INDICATOR_TYPES
    from app.auth.models import ROLES
    from app.campaigns.models import VERSION_STATUSES
    from app.jobs.models import JOB_STATES
    from app.workflow.states import ACTIONS, STATES

    _check("submission_status", STATES, english)
    _check("workflow_action", list(ACTIONS), english)
    _check("role", ROLES, english)
    _check("job_status", JOB_STATES, english)
    _check("version_status", [*VERSION_STATUSES, "in_use"], english)
    _check("unit_type", schema.UNIT_TYPES, english)
    _check("indicator_type", list(INDICATOR_TYPES), english)
    _check("evidence_kind", schema.EVIDENCE_KINDS, english)
    _check("origin", schema.ORIGINS, english)
    _check("number_origin", schema.NUMBER_ORIGINS, english)
    _check("target_metric", schema.TARGET_METRICS, english)
    _check("scoring_method", schema.SCORING_METHOD_NAMES, english)
    _check("certificate_status", ["valid", "revoked", "superseded"], english)
    _check("score_kind", ["self", "appraised", "final"], english)


def _sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py"))


def test_every_audit_action_and_detail_key_has_a_label(english):
    from app.workflow.states import ACTIONS

    source = _sources()
    literal = set(re.findall(r"record\([^,]+,\s*[^,]+,\s*\"([a-z_]+\.[a-z_]+)\"", source))
    assert {"certificate.issue", "score.appraise", "criteria.publish"} <= literal  # the scan itself works
    _check("audit_action", sorted(literal | {f"submission.{a}" for a in ACTIONS}), english)
    # detail keys: keyword arguments of record(...) and apply_transition(...) calls
    keys = set()
    for call in re.findall(r"(?<!def )\b(?:record|apply_transition)\((.*?)\)\n", source, re.S):
        keys |= set(re.findall(r"\b([a-z_]+)=", call))
    keys -= {"unit_id", "campaign_id"}  # columns of the entry, not details
    keys |= {"old", "new"}
    _check("audit_detail", sorted(keys), english)


def test_every_notification_kind_has_a_label(english):
    source = _sources()
    kinds = set(re.findall(r"notify\([^\n]*?\"([a-z_]+)\"", source)) | {"submitted", "resubmitted"}
    assert {"returned", "deadline"} <= kinds
    _check("notification_kind", sorted(kinds), english)


def test_label_falls_back_to_the_code_and_rejects_unknown_families():
    assert labels.label(None, "role") == ""
    assert labels.label("no_such_code", "role") == "no_such_code"
    with pytest.raises(KeyError):
        labels.label("x", "no_such_family")


def test_score_reason_and_short_hash():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert labels.score_reason("round 2") == "Lần gửi 2"
        assert labels.score_reason("Thiếu minh chứng") == "Thiếu minh chứng"
        assert labels.score_reason(None) == ""
    assert labels.short_hash("a" * 64) == "a" * 10 + "…"
    assert labels.short_hash("abc") == "abc"


def test_citation_words():
    from app.assessment.documents import citation_text, document_name

    assert citation_text("004_9df586bd548f38af.txt", 2751) == (
        "Đề án xây dựng Chủ nghĩa xã hội gắn với con người Xã hội chủ nghĩa tại thành phố Hải Phòng, dòng 2751")
    assert citation_text("004_9df586bd548f38af.txt", 2751, "en").endswith(", line 2751")
    assert document_name("000_c6035e6a02255ced.txt") == "Nghị quyết số 45-NQ/TW ngày 24/01/2019 của Bộ Chính trị"
    assert document_name("999_unknown.txt") == "tài liệu 999_unknown.txt"


def test_every_cited_file_has_a_document_name():
    from app.assessment.documents import documents

    cited = set()
    for path in (ROOT / "criteria").glob("*.yaml"):
        cited |= set(re.findall(r"file:\s*\"?([0-9]{3}_[0-9a-f]+\.txt)", path.read_text(encoding="utf-8")))
    assert cited and cited <= set(documents())


def test_document_names_match_the_seeds():
    """Where ../shared is present, each named seed file exists and its title words appear in its first lines."""
    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds not present")
    from app.assessment.documents import documents

    for name in documents():
        assert (seeds / name).is_file(), name
    head = (seeds / "002_60097cba7d0ed261.txt").read_text(encoding="utf-8")[:4000]
    assert "108/NQ-CP" in head and "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ" in head


def test_localised_falls_back_to_vietnamese():
    class Item:
        text = "Câu hỏi"
        text_en = ""

    class Group:
        title_vi = "Nhóm"
        title_en = "Group"

    assert labels.localised(Item(), "text", "en") == "Câu hỏi"
    assert labels.localised(Group(), "title", "en") == "Group"
    assert labels.localised(Group(), "title", "vi") == "Nhóm"
