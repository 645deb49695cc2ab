"""Every criteria set can be opened, rendered group by group, filled and saved by an official of
the right unit type; the demo data gives each set a campaign and an official who can fill it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.assessment.criteria import find_files, load_file
from app.config import PROJECT_ROOT
from app.extensions import db
from app.submissions.models import Submission
from tests.functional.test_journey import group_url, version_of
from tests.helpers import evidence_file, passing_raw

SETS = sorted((load_file(p)[0] for p in find_files([PROJECT_ROOT / "criteria"])), key=lambda s: s.code)


@pytest.mark.parametrize("cset", SETS, ids=[s.code for s in SETS])
def test_every_group_page_renders_and_saves(client, make_unit, make_user, make_campaign, cset):
    unit_type = cset.applies_to[0]
    unit = make_unit(f"Đơn vị thử {cset.code}", unit_type)
    make_user("canbo.thu", "official", unit)
    campaign = make_campaign(cset.code, types=cset.applies_to)
    client.login("canbo.thu")
    assert campaign.name in client.get("/assessments/").get_data(as_text=True)
    for group in cset.groups:
        url = group_url(campaign, unit, group.code)
        page = client.get(url)
        assert page.status_code == 200, (cset.code, group.code)
        html = page.get_data(as_text=True)
        for ind in group.indicators:
            assert ind.field_name in html
        data = {"version": version_of(client, url), "go": "stay"}
        for ind in group.indicators:
            data[ind.field_name] = passing_raw(ind)
            if ind.evidence.required:
                content, name = evidence_file(ind)
                data[ind.field_name + "_files"] = [(io.BytesIO(content), name)]
        response = client.post_form(url, data, content_type="multipart/form-data")
        assert response.status_code == 302, (cset.code, group.code, response.get_data(as_text=True)[:3000])
    sub = db.session.scalar(sa.select(Submission).where(Submission.unit_id == unit.id))
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": str(sub.version)}, token_from=overview)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.refresh(sub)
    assert sub.status == "submitted" and float(sub.self_score) == 100.0 and sub.self_passed


def test_demo_data_gives_every_set_a_campaign_and_an_official(app, runner):
    from app.auth.models import User
    from app.campaigns.models import Campaign
    from app.submissions.services import open_context

    for args in (["criteria", "load"], ["units", "load"], ["demo", "seed"], ["demo", "seed"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    campaigns = list(db.session.scalars(sa.select(Campaign)))
    assert {c.criteria_version.code for c in campaigns} == {s.code for s in SETS}
    assert len(campaigns) == len(SETS)  # a second seed created nothing
    officials = list(db.session.scalars(sa.select(User).where(User.role == "official")))
    for campaign in campaigns:
        fillers = [u for u in officials if campaign.covers(u.unit)]
        assert fillers, f"no demo official can fill {campaign.name}"
        assert open_context(db.session, fillers[0], campaign.id, fillers[0].unit_id).can_edit or campaign.year != 2026
    association_campaigns = [c for c in campaigns if c.units]
    for campaign in association_campaigns:  # each association only gets its own set
        assert len(campaign.units) == 1 and not campaign.scope_unit_types


def test_not_applicable_answer_is_saved_explained_and_shown(client, make_unit, make_user, make_campaign):
    """TTPL G1.1 allows "Không áp dụng": ticked and explained, it leaves the maximum and shows as such."""
    cset = next(s for s in SETS if s.code == "TTPL")
    group = cset.group("G1")
    na = cset.indicator("G1.1")
    assert na.allow_na
    unit = make_unit("Sở thử TTPL", "department")
    make_user("canbo.na", "official", unit)
    campaign = make_campaign("TTPL", types=["department"])
    client.login("canbo.na")
    url = group_url(campaign, unit, "G1")
    assert f'name="{na.field_name}_na"' in client.get(url).get_data(as_text=True)
    data = {"version": version_of(client, url), "go": "stay", na.field_name + "_na": "y"}
    for ind in group.indicators:
        if ind is not na:
            data[ind.field_name] = passing_raw(ind)
    # both a value and "Không áp dụng": refused, nothing lost
    refused = client.post_form(url, {**data, na.field_name: "90"}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "Không áp dụng" in refused.get_data(as_text=True)
    data["version"] = version_of(client, url)
    assert client.post_form(url, data, content_type="multipart/form-data").status_code == 302
    sub = db.session.scalar(sa.select(Submission).where(Submission.unit_id == unit.id))
    answer = sub.answer_for("G1.1")
    assert answer.not_applicable and answer.value == {"na": True}
    from app.submissions.services import open_context, submission_problems

    ctx = open_context(db.session, make_user("admin.na", "admin"), campaign.id, unit.id)
    problems = [p.message for p in submission_problems(ctx) if p.indicator_code == "G1.1"]
    assert problems and "giải trình" in problems[0]
    page = client.get(url).get_data(as_text=True)
    assert "không áp dụng" in page and "checked" in page.split(f'name="{na.field_name}_na"')[1][:80] + page.split(f'name="{na.field_name}_na"')[0][-80:]
