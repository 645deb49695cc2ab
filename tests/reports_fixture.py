"""A small, hand-checkable reports dataset built through the real services (CQTT, two years)."""

from __future__ import annotations

import datetime as dt

from app.decisions.services import create_decision
from app.extensions import db
from app.review.appraisal import AppraisalInput, save_appraisal
from app.review.outcomes import approve, reject, return_for_revision
from app.submissions import services as subs
from tests.helpers import evidence_file, passing_raw


def fill_and_submit(app, official, campaign, unit):
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        values, files = {}, {}
        for ind in group.indicators:
            values[ind.field_name] = passing_raw(ind)
            if ind.evidence.required:
                content, name = evidence_file(ind)
                files[ind.field_name] = [subs.Upload(name, content)]
        subs.save_group(db.session, official, campaign.id, unit.id, group.code, values=values, explanations={}, files=files,
                        expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    return subs.submit(db.session, official, campaign.id, unit.id, expected_version=None)


def build(app, make_unit, make_user, make_campaign):
    """2026: A recognised (100), B returned (G1.1 appraised not met), C rejected (G1.1 not met → 93,75),
    D nothing, E submitted (self 100). 2025: A approved. Five commune-level units in all."""
    units = {k: make_unit(name, t) for k, name, t in [("A", "Phường An", "phuong"), ("B", "Phường Bình", "phuong"),
                                                          ("C", "Phường Cường", "phuong"), ("D", "Phường Dũng", "phuong"),
                                                          ("E", "Xã Em", "xa")]}
    officials = {k: make_user(f"canbo.{k.lower()}", "official", u) for k, u in units.items()}
    reviewer = make_user("thamdinh", "reviewer", scope=["CQTT"])
    admin = make_user("quantri", "admin")
    make_user("xem", "viewer")
    old = make_campaign("CQTT", name="CQTT 2025", year=2025)
    new = make_campaign("CQTT", name="CQTT 2026", year=2026)
    g11 = AppraisalInput(met="not_met", comment="Thiếu minh chứng")
    # 2025: A approved with G1.1 not met → final 93,75
    s = fill_and_submit(app, officials["A"], old, units["A"])
    save_appraisal(db.session, reviewer, s.id, {"G1.1": AppraisalInput(met="not_met")})
    # core indicator G1.1 not met would fail approval; so in 2025 G1.2 instead
    save_appraisal(db.session, reviewer, s.id, {"G1.1": AppraisalInput(met=""), "G1.2": AppraisalInput(met="not_met")})
    approve(db.session, reviewer, s.id)
    # 2026
    sa_ = fill_and_submit(app, officials["A"], new, units["A"])
    approve(db.session, reviewer, sa_.id)
    create_decision(db.session, admin, new.id, number="01/QĐ", decided_on=dt.date.today(), signer_name="A",
                           signer_title="Chủ tịch", issuing_body="UBND", submission_ids=[sa_.id], scan=None,
                           max_bytes=10**6)
    sb = fill_and_submit(app, officials["B"], new, units["B"])
    save_appraisal(db.session, reviewer, sb.id, {"G1.1": g11})
    return_for_revision(db.session, reviewer, sb.id, {"G1.1": "Bổ sung"}, dt.date.today() + dt.timedelta(days=5))
    sc = fill_and_submit(app, officials["C"], new, units["C"])
    save_appraisal(db.session, reviewer, sc.id, {"G1.1": g11})
    reject(db.session, reviewer, sc.id, "Không đạt chỉ tiêu cốt lõi")
    fill_and_submit(app, officials["E"], new, units["E"])
    db.session.commit()
    return {"units": units, "old": old, "new": new, "officials": officials, "reviewer": reviewer}
