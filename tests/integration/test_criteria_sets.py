"""Criteria-set versions: drafts never edit a used version, publish/retire, compare, code mappings that
carry report figures across a revision, the per-set owner permission, and the audit trail."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.campaigns.models import Campaign, CriteriaVersion
from app.campaigns.services import create_campaign, latest_versions
from app.criteria_sets import services
from app.criteria_sets.compare import compare, suggest_mapping
from app.criteria_sets.models import CriteriaOwnerScope
from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def _owner(make_user, username="phutrach", codes=("CQTT",), role="viewer"):
    user = make_user(username, role)
    for code in codes:
        user.owned_sets.append(CriteriaOwnerScope(set_code=code))
    db.session.commit()
    return user


def _revised(data: dict, rename: dict[str, str] | None = None, text: dict[str, str] | None = None) -> dict:
    """A copy of a set's content with indicator codes renamed and/or texts changed."""
    data = copy.deepcopy(data)
    for group in data["groups"]:
        for ind in group["indicators"]:
            if text and ind["code"] in text:
                ind["text"] = text[ind["code"]]
            if rename and ind["code"] in rename:
                ind["code"] = rename[ind["code"]]
    return data


def _campaign(version: CriteriaVersion, year: int, name: str) -> Campaign:
    campaign = create_campaign(db.session, None, name=name, criteria_version_id=version.id, year=year, opens_on=dt.date(2020, 1, 1),
                               closes_on=dt.date(2099, 12, 31), scope_unit_types=list(version.criteria.applies_to), system=True)
    db.session.commit()
    return campaign


# ------------------------------------------------------------------ drafts, publish, retire


def test_loaded_files_are_published(app, criteria):
    assert {v.status for v in criteria.values()} == {"published"}
    assert all(v.published_at is not None for v in criteria.values())


def test_a_draft_never_edits_the_version_a_campaign_uses(app, criteria, make_user, make_campaign):
    admin = make_user("quantri", "admin")
    campaign = make_campaign("CQTT")
    used = criteria["CQTT"]
    before = (used.id, used.checksum, dict(used.content))
    draft = services.create_draft_version(db.session, admin, _revised(used.content, text={"G1.1": "Câu hỏi đã sửa"}), source="web: test")
    db.session.commit()
    db.session.expire_all()
    used = db.session.get(CriteriaVersion, before[0])
    assert (used.id, used.checksum, used.content) == before
    assert db.session.get(Campaign, campaign.id).criteria_version_id == used.id
    assert (draft.code, draft.version, draft.revision, draft.status) == ("CQTT", 2, 1, "draft")
    assert draft.content["version"] == 2 and draft.criteria.indicator("G1.1").text == "Câu hỏi đã sửa"
    assert draft.created_by_id == admin.id and draft.source_file == "web: test"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "criteria.draft_create"))
    assert entry.actor_id == admin.id and entry.object_id == draft.id and entry.detail["version"] == 2 and entry.detail["given_version"] == 1
    # a published version (in use or not) is never replaced; a draft is
    with pytest.raises(InvalidTransition):
        services.replace_draft(db.session, admin, used.id, used.content, source="web: test")
    replaced = services.replace_draft(db.session, admin, draft.id, _revised(used.content, text={"G1.1": "Lần hai"}), source="web: again")
    assert replaced.id == draft.id and replaced.version == 2 and replaced.criteria.indicator("G1.1").text == "Lần hai"
    assert _actions()[-1] == "criteria.draft_replace"


def test_draft_schema_errors_are_listed_and_nothing_is_stored(app, criteria, make_user):
    admin = make_user("quantri", "admin")
    data = copy.deepcopy(criteria["CQTT"].content)
    data["groups"][0]["indicators"][0]["knock_out"] = True
    with pytest.raises(ValidationFailed) as exc:
        services.create_draft_version(db.session, admin, data, source="web: bad")
    messages = exc.value.errors["data"]
    assert any(m.startswith("groups[G1].indicators[G1.1].knock_out: unknown key 'knock_out'") and "condition" in m for m in messages), messages
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CriteriaVersion).where(CriteriaVersion.code == "CQTT")) == 1


def test_publish_then_campaigns_may_use_it_retire_then_not(app, criteria, make_user):
    admin = make_user("quantri", "admin")
    draft = services.create_draft_version(db.session, admin, criteria["TTPL"].content, source="web: test")
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        _campaign(draft, 2027, "Nháp không dùng được")
    assert "criteria_version_id" in exc.value.errors
    db.session.rollback()
    assert draft.id not in {v.id for v in latest_versions(db.session, published_only=True)}
    services.publish(db.session, admin, draft.id)
    db.session.commit()
    assert draft.status == "published" and draft.published_by_id == admin.id and draft.published_at is not None
    assert services.version_state(db.session, draft) == "published"
    with pytest.raises(InvalidTransition):
        services.publish(db.session, admin, draft.id)
    _campaign(draft, 2027, "TTPL v2 2027")
    assert services.version_state(db.session, draft) == "in_use"
    services.retire(db.session, admin, draft.id, reason="thay bằng v3")
    db.session.commit()
    assert services.version_state(db.session, draft) == "retired" and draft.retired_by_id == admin.id
    with pytest.raises(ValidationFailed):
        _campaign(draft, 2028, "Đã ngừng dùng")
    db.session.rollback()
    assert _actions()[-3:] == ["criteria.draft_create", "criteria.publish", "criteria.retire"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "criteria.retire"))
    assert entry.detail == {"code": "TTPL", "version": 2, "was": "in_use", "reason": "thay bằng v3"}


def test_list_sets_shows_states_and_counts(app, criteria, make_user, make_campaign):
    admin = make_user("quantri", "admin")
    make_campaign("CQTT")
    services.create_draft_version(db.session, admin, criteria["CQTT"].content, source="web")
    sets = {s.code: s for s in services.list_sets(db.session, admin)}
    assert len(sets) == len(criteria)
    cqtt = sets["CQTT"]
    assert [(r.version.version, r.state, r.campaigns) for r in cqtt.versions] == [(2, "draft", 0), (1, "in_use", 1)]
    row = cqtt.versions[1]
    cset = criteria["CQTT"].criteria
    assert (row.groups, row.indicators, row.seed + row.proposed) == (len(cset.groups), len(cset.indicators), len(cset.indicators))
    assert str(row.state_label) == "đang dùng" and str(cqtt.versions[0].state_label) == "nháp"
    assert sets["TTPL"].versions[0].state == "published"


# ------------------------------------------------------------------ permission per set


def test_owner_acts_on_own_set_only(app, criteria, make_user):
    owner = _owner(make_user)
    assert services.is_manager(owner) and services.can_manage(owner, "CQTT") and not services.can_manage(owner, "TTPL")
    draft = services.create_draft_version(db.session, owner, criteria["CQTT"].content, source="web")
    services.publish(db.session, owner, draft.id)
    with pytest.raises(PermissionDenied):
        services.create_draft_version(db.session, owner, criteria["TTPL"].content, source="web")
    with pytest.raises(PermissionDenied):
        services.get_version(db.session, owner, criteria["TTPL"].id)
    with pytest.raises(PermissionDenied):
        services.retire(db.session, owner, criteria["TTPL"].id)
    new_set = {**copy.deepcopy(criteria["CQTT"].content), "code": "MOI"}
    with pytest.raises(PermissionDenied):  # only an admin starts a new set
        services.create_draft_version(db.session, owner, new_set, source="web")
    assert [s.code for s in services.list_sets(db.session, owner)] == ["CQTT"]


def test_users_without_a_scope_are_refused(app, criteria, make_user, make_unit):
    reviewer = make_user("thamdinh", "reviewer", scope=["CQTT"])  # reviews CQTT, does not own it
    viewer = make_user("xem", "viewer")
    official = make_user("canbo", "official", make_unit())
    official.owned_sets.append(CriteriaOwnerScope(set_code="CQTT"))  # an official's scope counts for nothing
    for user in (reviewer, viewer, official):
        assert not services.is_manager(user)
        with pytest.raises(PermissionDenied):
            services.list_sets(db.session, user)
        with pytest.raises(PermissionDenied):
            services.create_draft_version(db.session, user, criteria["CQTT"].content, source="web")


def test_admin_sets_owner_scopes_audited(app, criteria, make_user, make_unit):
    admin = make_user("quantri", "admin")
    viewer = make_user("xem", "viewer")
    services.set_owned_codes(db.session, admin, viewer, ["TTPL", "CQTT"])
    assert sorted(s.set_code for s in viewer.owned_sets) == ["CQTT", "TTPL"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.criteria_owner"))
    assert entry.object_id == viewer.id and entry.detail == {"before": [], "after": ["CQTT", "TTPL"]}
    with pytest.raises(PermissionDenied):
        services.set_owned_codes(db.session, viewer, viewer, [])
    official = make_user("canbo", "official", make_unit())
    with pytest.raises(ValidationFailed):
        services.set_owned_codes(db.session, admin, official, ["CQTT"])


# ------------------------------------------------------------------ compare and mappings


def test_compare_field_by_field_and_rules(app, criteria):
    old = criteria["CQTT"].content
    new = _revised(old, rename={"G1.2": "G1.9"}, text={"G1.1": "Câu hỏi mới"})
    new["scoring"]["overall_pass_percent"] = 90
    del new["groups"][1]["indicators"][-1]
    added = copy.deepcopy(new["groups"][0]["indicators"][0])
    added["code"] = "G1.10"
    new["groups"][0]["indicators"].append(added)
    removed_code = old["groups"][1]["indicators"][-1]["code"]
    result = compare(old, {**new, "version": 2})
    assert [c.path for c in result.rules] == ["scoring.overall_pass_percent"]
    assert (result.rules[0].old, result.rules[0].new) == (old["scoring"]["overall_pass_percent"], 90)
    assert {i["code"] for i in result.removed} == {"G1.2", removed_code}
    assert {i["code"] for i in result.added} == {"G1.9", "G1.10"}
    changed = {c.old_code: c for c in result.changed}
    assert [(f.path, f.old, f.new) for f in changed["G1.1"].fields] == [("text", old["groups"][0]["indicators"][0]["text"], "Câu hỏi mới")]
    # with the mapping, the renamed indicator is one changed indicator, not a removal and an addition
    mapped = compare(old, new, {"G1.2": "G1.9"})
    assert "G1.2" not in {i["code"] for i in mapped.removed} and "G1.9" not in {i["code"] for i in mapped.added}
    rename = next(c for c in mapped.changed if c.old_code == "G1.2")
    assert rename.renamed and rename.new_code == "G1.9" and [f.path for f in rename.fields] == ["code"]
    assert compare(old, old).is_empty


def test_suggested_mapping_same_code_else_same_text(app, criteria):
    old = criteria["CQTT"].content
    new = _revised(old, rename={"G1.2": "G1.9"})
    suggestion = suggest_mapping(old, new)
    assert suggestion["G1.1"] == "G1.1" and suggestion["G1.2"] == "G1.9"
    assert suggest_mapping(old, _revised(old, rename={"G1.2": "G1.9"}, text={"G1.2": "Hoàn toàn khác"}))["G1.2"] is None


def test_save_mapping_validates_and_audits(app, criteria, make_user):
    admin = make_user("quantri", "admin")
    v2 = services.create_draft_version(db.session, admin, _revised(criteria["CQTT"].content, rename={"G1.2": "G1.9"}), source="web")
    page = services.mapping_page(db.session, admin, v2.id)
    assert page.old.id == criteria["CQTT"].id and not page.saved
    assert {r["indicator"].code: r["current"] for r in page.rows}["G1.2"] == "G1.9"
    with pytest.raises(ValidationFailed) as exc:
        services.save_mapping(db.session, admin, v2.id, {"G1.2": "G9.9"})
    assert "map_G1.2" in exc.value.errors
    saved = services.save_mapping(db.session, admin, v2.id, {r["indicator"].code: r["current"] for r in page.rows} | {"G1.3": ""})
    assert saved["G1.2"] == "G1.9" and saved["G1.3"] is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "criteria.map_codes"))
    assert entry.detail["renamed"] == {"G1.2": "G1.9"} and entry.detail["discontinued"] == ["G1.3"]
    assert services.mapping_page(db.session, admin, v2.id).saved
    assert services.mapping_page(db.session, admin, criteria["CQTT"].id) is None  # v1 has no previous version


# ------------------------------------------------------------------ reports follow the mapping


def test_revised_set_mapped_indicator_continues_in_reports(app, criteria, make_user, make_unit):
    from app.reports import trend
    from app.review.appraisal import AppraisalInput, save_appraisal
    from app.review.assignments import campaign_discrepancies
    from tests.reports_fixture import fill_and_submit

    admin = make_user("quantri", "admin")
    viewer = make_user("xem", "viewer")
    reviewer = make_user("thamdinh", "reviewer", scope=["CQTT"])
    unit = make_unit("Phường An", "phuong")
    official = make_user("canbo.a", "official", unit)
    v1 = criteria["CQTT"]
    old_campaign = _campaign(v1, 2025, "CQTT 2025")
    s1 = fill_and_submit(app, official, old_campaign, unit)
    save_appraisal(db.session, reviewer, s1.id, {"G1.2": AppraisalInput(met="not_met")})
    db.session.commit()

    v2 = services.create_draft_version(db.session, admin, _revised(v1.content, rename={"G1.2": "G1.9"}), source="web: v2")
    services.publish(db.session, admin, v2.id)
    db.session.commit()
    new_campaign = _campaign(v2, 2026, "CQTT 2026")
    s2 = fill_and_submit(app, official, new_campaign, unit)
    save_appraisal(db.session, reviewer, s2.id, {"G1.9": AppraisalInput(met="not_met")})
    db.session.commit()

    # No mapping saved: the same code continues, so G1.2 ends in v1 and G1.9 starts in v2.
    lines = {line.key: line for line in trend.indicator_trend(db.session, viewer, "CQTT").lines}
    assert lines["G1.2 (v1)"].shares == [0.0, None] and lines["G1.9"].shares == [None, 0.0]
    assert lines["G1.1"].shares == [100.0, 100.0]

    services.save_mapping(db.session, admin, v2.id, {i.code: ("G1.9" if i.code == "G1.2" else i.code) for i in v1.criteria.indicators})
    db.session.commit()
    result = trend.indicator_trend(db.session, viewer, "CQTT")
    assert [c[0] for c in result.columns] == [2025, 2026]
    lines = {line.key: line for line in result.lines}
    assert "G1.2 (v1)" not in lines
    assert lines["G1.9"].shares == [0.0, 0.0] and lines["G1.9"].codes == ["G1.2", "G1.9"]
    assert lines["G1.9"].text == v2.criteria.indicator("G1.9").text
    # the unit card's per-indicator history continues too
    unit_lines = {line.key: line for line in trend.indicator_trend(db.session, viewer, "CQTT", unit.id).lines}
    assert unit_lines["G1.9"].shares == [0.0, 0.0] and unit_lines["G1.1"].shares == [100.0, 100.0]
    # and the discrepancy report shows the previous campaign's figures of the renamed indicator
    _campaign_row, rows = campaign_discrepancies(db.session, viewer, new_campaign.id)
    row = next(r for r in rows if r["indicator"].code == "G1.9")
    assert row["over"] == 1 and row["previous_campaign"].id == old_campaign.id
    assert row["previous"] == {"appraised": 1, "over": 1, "under": 0}
