"""The "Bộ tiêu chí" pages over HTTP: list, preview with scoring (nothing stored), compare, mapping,
publish/retire, Excel upload/download, the owner scope in the admin user form, CSRF."""

from __future__ import annotations

import copy
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from app.assessment.workbook import IND_SHEET, export_workbook, import_workbook
from app.audit.models import AuditEntry
from app.campaigns.models import CriteriaVersion
from app.criteria_sets import services
from app.criteria_sets.models import CriteriaOwnerScope
from app.extensions import db
from app.submissions.models import Answer, Submission
from tests.helpers import failing_raw, passing_raw


def _login(client, make_user, username="phutrach", codes=("CQTT",)):
    user = make_user(username, "viewer")
    for code in codes:
        user.owned_sets.append(CriteriaOwnerScope(set_code=code))
    db.session.commit()
    assert client.login(username).status_code == 302
    return user


def _renamed(data: dict) -> dict:
    data = copy.deepcopy(data)
    data["groups"][0]["indicators"][1]["code"] = "G1.9"
    return data


def test_list_shows_own_sets_with_states(client, criteria, make_user, make_campaign):
    make_campaign("CQTT")
    owner = _login(client, make_user)
    services.create_draft_version(db.session, owner, criteria["CQTT"].content, source="web: thử")
    db.session.commit()
    html = client.get("/criteria/").get_data(as_text=True)
    assert 'href="/criteria/"' in html  # the nav link for an owner
    assert 'id="set-CQTT"' in html and 'id="set-TTPL"' not in html
    assert "nháp" in html and "đang dùng" in html and "CQTT v2" in html


def test_viewer_without_scope_is_refused_and_has_no_link(client, criteria, make_user):
    make_user("xem", "viewer")
    client.login("xem")
    assert client.get("/criteria/").status_code == 403
    assert 'href="/criteria/"' not in client.get("/campaigns/").get_data(as_text=True)


def test_preview_scores_typed_answers_and_stores_nothing(client, criteria, make_user):
    _login(client, make_user)
    version = criteria["CQTT"]
    cset = version.criteria
    url = f"/criteria/versions/{version.id}/preview"
    page = client.get(url).get_data(as_text=True)
    for ind in cset.indicators:
        assert f'name="{ind.field_name}"' in page  # the official's fields
    assert 'name="year"' in page
    data = {ind.field_name: passing_raw(ind) for ind in cset.indicators}
    files = {ind.field_name + "_files": (io.BytesIO(b"%PDF-1.4 x"), "minh-chung.pdf") for ind in cset.indicators if ind.evidence.required}
    response = client.post_form(url, {**data, **files, "year": "2026"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kết quả chấm thử (năm 2026)" in html and "100% <span class=\"badge pass\">✓ Đạt</span>" in html
    first = cset.indicators[0]
    data[first.field_name] = failing_raw(first)
    data[cset.indicators[1].field_name] = "abc"
    response = client.post_form(url, {**data, "year": "2026"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“abc” không phải là một số" in html or "không hợp lệ" in html
    assert 'value="abc"' in html  # what was typed is kept
    assert "✗ Chưa đạt" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_preview_year_selects_the_roadmap(client, criteria, make_user):
    admin = make_user("quantri", "admin")
    client.login(admin.username)
    version = criteria["TPVM"]
    cset = version.criteria
    ind = next(i for i in cset.indicators if i.roadmap)
    step = ind.roadmap[-1]
    html = client.get(f"/criteria/versions/{version.id}/preview").get_data(as_text=True)
    assert f'<option value="{step.year}"' in html and f'<option value="{step.year - 1}"' in html
    before = client.post_form(f"/criteria/versions/{version.id}/preview", {"year": str(step.year - 1)}).get_data(as_text=True)
    after = client.post_form(f"/criteria/versions/{version.id}/preview", {"year": str(step.year)}).get_data(as_text=True)
    from app.assessment.scoring import threshold_text

    assert threshold_text(ind, step.year) != threshold_text(ind, step.year - 1)
    assert threshold_text(ind, step.year) in after
    assert threshold_text(ind, step.year - 1) in before


def test_compare_mapping_publish_and_retire_pages(client, criteria, make_user):
    admin = make_user("quantri", "admin")
    client.login(admin.username)
    draft = services.create_draft_version(db.session, admin, _renamed(criteria["CQTT"].content), source="web")
    db.session.commit()
    html = client.get(f"/criteria/versions/{draft.id}/compare").get_data(as_text=True)
    assert 'id="removed-G1.2"' in html and 'id="added-G1.9"' in html
    url = f"/criteria/versions/{draft.id}/mapping"
    html = client.get(url).get_data(as_text=True)
    assert '<option selected value="G1.9">' in html or '<option value="G1.9" selected>' in html  # suggested
    data = {"map_" + i.code: ("G1.9" if i.code == "G1.2" else i.code) for i in criteria["CQTT"].criteria.indicators}
    assert client.post_form(url, data).status_code == 302
    html = client.get(f"/criteria/versions/{draft.id}/compare").get_data(as_text=True)
    assert 'id="changed-G1.9"' in html and "đổi mã" in html
    bad = client.post_form(url, {**data, "map_G1.1": "NOPE"})
    assert bad.status_code == 422 and "NOPE" in bad.get_data(as_text=True)
    # publish
    assert client.post_form(f"/criteria/versions/{draft.id}/publish", token_from=f"/criteria/versions/{draft.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(CriteriaVersion, draft.id).status == "published"
    new = client.get("/campaigns/new").get_data(as_text=True)
    assert f'value="{draft.id}"' in new
    # retire: no longer offered to new campaigns
    response = client.post_form(f"/criteria/versions/{draft.id}/retire", {"reason": "thử"}, token_from=f"/criteria/versions/{draft.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CriteriaVersion, draft.id).status == "retired"
    assert f'value="{draft.id}"' not in client.get("/campaigns/new").get_data(as_text=True)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"criteria.draft_create", "criteria.map_codes", "criteria.publish", "criteria.retire"} <= actions


def test_campaign_form_offers_published_versions_only(client, criteria, make_user):
    admin = make_user("quantri", "admin")
    client.login(admin.username)
    draft = services.create_draft_version(db.session, admin, criteria["TTPL"].content, source="web")
    db.session.commit()
    html = client.get("/campaigns/new").get_data(as_text=True)
    assert f'value="{criteria["TTPL"].id}"' in html and f'value="{draft.id}"' not in html


def test_post_without_csrf_is_refused(client, criteria, make_user):
    admin = make_user("quantri", "admin")
    client.login(admin.username)
    draft = services.create_draft_version(db.session, admin, criteria["TTPL"].content, source="web")
    db.session.commit()
    assert client.post(f"/criteria/versions/{draft.id}/publish").status_code == 400
    db.session.expire_all()
    assert db.session.get(CriteriaVersion, draft.id).status == "draft"


def test_excel_download_upload_round_trip(client, criteria, make_user):
    owner = _login(client, make_user)
    version = criteria["CQTT"]
    response = client.get(f"/criteria/versions/{version.id}/workbook.xlsx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('cqtt-v1.xlsx"')
    data, errors = import_workbook(response.data)
    assert errors == [] and data == version.content
    upload = client.post_form("/criteria/import", {"workbook": (io.BytesIO(response.data), "cqtt.xlsx")}, content_type="multipart/form-data")
    assert upload.status_code == 302
    draft = db.session.scalar(sa.select(CriteriaVersion).where(CriteriaVersion.code == "CQTT", CriteriaVersion.version == 2))
    assert draft.status == "draft" and draft.created_by_id == owner.id and draft.source_file == "web: cqtt.xlsx"
    assert {**draft.content, "version": 1} == version.content
    # a second upload may replace the draft (never the published version)
    edited = copy.deepcopy(version.content)
    edited["groups"][0]["indicators"][0]["text"] = "Thay trong bản nháp"
    page = client.get("/criteria/import").get_data(as_text=True)
    assert f'<option value="{draft.id}">' in page and f'<option value="{version.id}">' not in page
    upload = client.post_form("/criteria/import", {"workbook": (io.BytesIO(export_workbook(edited)), "cqtt-2.xlsx"), "replace_id": str(draft.id)},
                              content_type="multipart/form-data")
    assert upload.status_code == 302
    db.session.expire_all()
    replaced = db.session.get(CriteriaVersion, draft.id)
    assert replaced.version == 2 and replaced.criteria.indicators[0].text == "Thay trong bản nháp"
    assert db.session.get(CriteriaVersion, version.id).checksum == version.checksum
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CriteriaVersion).where(CriteriaVersion.code == "CQTT")) == 2
    refused = client.post_form("/criteria/import", {"workbook": (io.BytesIO(export_workbook(edited)), "x.xlsx"), "replace_id": str(version.id)},
                               content_type="multipart/form-data")
    assert refused.status_code == 409


def test_excel_upload_errors_are_shown_as_sheet_cell(client, criteria, make_user):
    _login(client, make_user)
    wb = load_workbook(io.BytesIO(export_workbook(criteria["CQTT"].content)))
    ws = wb[IND_SHEET]
    type_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == "type")
    ws.cell(row=3, column=type_col, value="yesno")
    buf = io.BytesIO()
    wb.save(buf)
    response = client.post_form("/criteria/import", {"workbook": (io.BytesIO(buf.getvalue()), "sai.xlsx")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f"{IND_SHEET}!E3" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CriteriaVersion).where(CriteriaVersion.code == "CQTT")) == 1


def test_excel_upload_for_a_set_not_owned_is_refused(client, criteria, make_user):
    _login(client, make_user, codes=("TTPL",))
    body = export_workbook(criteria["CQTT"].content)
    response = client.post_form("/criteria/import", {"workbook": (io.BytesIO(body), "cqtt.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get(f"/criteria/versions/{criteria['CQTT'].id}").status_code == 403


def test_admin_user_form_sets_owner_scopes(client, criteria, make_user, make_unit):
    admin = make_user("quantri", "admin")
    viewer = make_user("xem", "viewer")
    client.login(admin.username)
    url = f"/admin/users/{viewer.id}"
    assert 'name="owner_codes"' in client.get(url).get_data(as_text=True)
    response = client.post_form(url, {"role": "viewer", "full_name": "Xem", "unit_id": "", "owner_codes": ["CQTT", "TTPL"], "is_enabled": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert sorted(s.set_code for s in db.session.get(type(viewer), viewer.id).owned_sets) == ["CQTT", "TTPL"]
    official = make_user("canbo", "official", make_unit())
    response = client.post_form(f"/admin/users/{official.id}", {"role": "official", "unit_id": str(official.unit_id),
                                                                 "owner_codes": ["CQTT"], "is_enabled": "y"})
    assert response.status_code == 422 and "Chỉ cán bộ thẩm định hoặc người xem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(official), official.id).owned_sets == []
