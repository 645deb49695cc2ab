"""Demo submissions in every review state for the CQTT campaign (submitted, returned, approved,
recognised), so each review screen has content after `make run`. Idempotent; sample data only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.assessment.numbers import format_number
from app.auth.models import User
from app.auth.services import HashCost, create_user
from app.campaigns.models import Campaign
from app.decisions.services import create_decision
from app.review.appraisal import AppraisalInput, save_appraisal
from app.review.outcomes import approve, return_for_revision
from app.submissions import services as subs
from app.submissions.models import Submission
from app.units.services import find_by_name

#: ward → state it should reach
DEMO_STATES = [
    ("Phường Ngô Quyền", "submitted"),
    ("Phường Kiến An", "returned"),
    ("Phường An Biên", "approved"),
    ("Phường Gia Viên", "recognised"),
]
#: A tiny valid PDF used as demo evidence.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _answer_all(session, official: User, campaign: Campaign, unit_id: int) -> None:
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        values, files = {}, {}
        for ind in group.indicators:
            t = ind.threshold
            if ind.type == "boolean":
                raw = "yes"
            elif ind.type == "text":
                raw = "Đã thực hiện (dữ liệu mẫu)."
            elif ind.type == "choice":
                raw = str(t.value[0])
            else:
                raw = format_number(t.value + 1 if t.op == ">" else t.value, "vi")  # typed as a Vietnamese official would
            values[ind.field_name] = raw
            if ind.evidence.required:
                kind = "pdf" if "pdf" in ind.evidence.kinds else None
                if kind:
                    files[ind.field_name] = [subs.Upload("minh-chung-mau.pdf", DEMO_PDF)]
                else:
                    values[ind.field_name + "_explanation"] = "Minh chứng lưu tại đơn vị (dữ liệu mẫu)."
        explanations = {k[: -len("_explanation")]: v for k, v in values.items() if k.endswith("_explanation")}
        values = {k: v for k, v in values.items() if not k.endswith("_explanation")}
        for name in values:
            explanations.setdefault(name, "Giải trình mẫu." if name not in files else "")
        subs.save_group(session, official, campaign.id, unit_id, group.code, values=values, explanations=explanations, files=files,
                        expected_version=None,
                        max_bytes=current_app.config["MAX_EVIDENCE_BYTES"])


def seed_review_states(session, password: str) -> list[tuple[str, str, str]]:
    campaign = session.scalar(sa.select(Campaign).where(Campaign.name == "Chính quyền thân thiện 2026"))
    reviewer = session.scalar(sa.select(User).where(User.username == "thamdinh"))
    admin = session.scalar(sa.select(User).where(User.username == "admin"))
    if campaign is None or reviewer is None or admin is None:
        return []
    cost = HashCost(current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    logins = []
    to_recognise = []
    for ward_name, state in DEMO_STATES:
        unit = find_by_name(session, ward_name)
        if unit is None:
            continue
        username = "canbo." + unit.code
        official = session.scalar(sa.select(User).where(User.username == username))
        if official is None:
            official = create_user(session, None, username=username, password=password, role="official",
                                   full_name=f"Cán bộ {ward_name} (mẫu)", unit_id=unit.id, cost=cost, system=True)
        logins.append((username, "official", f"{ward_name} — {state}"))
        existing = session.scalar(sa.select(Submission).where(Submission.campaign_id == campaign.id, Submission.unit_id == unit.id))
        if existing is not None:
            continue
        _answer_all(session, official, campaign, unit.id)
        sub = subs.submit(session, official, campaign.id, unit.id, expected_version=None)
        cset = campaign.criteria_version.criteria
        first, second = cset.indicators[0], cset.indicators[5]
        if state == "returned":
            save_appraisal(session, reviewer, sub.id, {first.code: AppraisalInput(met="not_met", comment="Ảnh minh chứng chưa rõ.")})
            return_for_revision(session, reviewer, sub.id, {first.code: "Bổ sung ảnh chụp bảng công khai tại trụ sở.",
                                                                    second.code: "Số liệu chưa khớp với sổ theo dõi."},
                                       subs.today_local() + dt.timedelta(days=14))
        elif state in ("approved", "recognised"):
            save_appraisal(session, reviewer, sub.id, {second.code: AppraisalInput(comment="Đã kiểm tra thực tế.")})
            approve(session, reviewer, sub.id, "Đạt yêu cầu (dữ liệu mẫu).")
            if state == "recognised":
                to_recognise.append(sub.id)
    if to_recognise:
        create_decision(session, admin, campaign.id, number="01/QĐ-UBND (mẫu)", decided_on=subs.today_local(),
                               signer_name="Nguyễn Văn Mẫu", signer_title="Chủ tịch UBND thành phố (mẫu)",
                               issuing_body="Ủy ban nhân dân thành phố Hải Phòng (dữ liệu mẫu)", submission_ids=to_recognise,
                               scan=None, max_bytes=current_app.config["MAX_EVIDENCE_BYTES"])
    session.flush()
    return logins
