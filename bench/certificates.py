"""Benchmark: one certificate through the app against bare WeasyPrint on the same HTML, and a batch of 114.

Both in the same run on a temporary SQLite database. Prints medians and the ratio app/bare (goal ≤ 1.3×)
and the wall time of issuing 114 certificates for one decision (goal ≤ 15 s on 2 cores). Not a test.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sqlalchemy as sa  # noqa: E402
from weasyprint import HTML  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from bench.common import load_reference_data  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
TMP = Path(tempfile.mkdtemp(prefix="datchuan-bench-"))


class BenchConfig(Config):
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{TMP / 'bench.sqlite3'}"
    UPLOAD_DIR = str(TMP / "uploads")
    BASE_URL = "http://127.0.0.1:5000"  # production-like config: certificates need a public address
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


def setup(app):
    """114 recognised CQTT submissions (the real wards) under one decision, inserted directly."""

    from app.auth.services import HashCost, create_user
    from app.campaigns.services import create_campaign, latest_versions
    from app.review.models import RecognitionDecision

    load_reference_data(app)
    admin = create_user(db.session, None, username="bench.admin", password="bench-password", role="admin", cost=HashCost(1, 1024),
                        system=True)
    version = {v.code: v for v in latest_versions(db.session)}["CQTT"]
    campaign = create_campaign(db.session, None, name="CQTT 2026 (bench)", criteria_version_id=version.id, year=2026,
                               opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 12, 31), scope_unit_types=["xa", "phuong", "dac_khu"],
                               system=True)
    db.session.commit()
    now = dt.datetime.now(dt.UTC)
    conn = db.session.connection()
    unit_ids = list(db.session.scalars(sa.text("SELECT id FROM units WHERE unit_type <> 'city' ORDER BY id")))
    conn.execute(sa.text("INSERT INTO submissions (campaign_id, unit_id, status, round, version, created_at, updated_at, submitted_at, "
                         "decision_reason) VALUES (:c, :u, 'recognised', 1, 1, :now, :now, :now, '')"),
                 [{"c": campaign.id, "u": u, "now": now} for u in unit_ids])
    decision = RecognitionDecision(number="125/QĐ-UBND", decided_on=dt.date(2026, 11, 20), signer_name="Nguyễn Văn A",
                                   signer_title="Chủ tịch", issuing_body="Ủy ban nhân dân thành phố Hải Phòng", campaign_id=campaign.id,
                                   created_by_id=admin.id)
    db.session.add(decision)
    db.session.flush()
    conn.execute(sa.text("INSERT INTO decision_submissions (decision_id, submission_id) SELECT :d, id FROM submissions"), {"d": decision.id})
    db.session.commit()
    return admin, decision


def main() -> None:
    from app.certificates import services
    from app.certificates.pdf import qr_svg, render_certificate, vn_date_words
    from app.pdf import STATIC_ROOT

    app = create_app(BenchConfig)
    with app.test_request_context():
        admin, decision = setup(app)
        context = {"number": "001/2026/GCN-CQTT", "unit_name": "Phường Hồng Bàng", "set_name": "Chính quyền thân thiện", "set_code": "CQTT",
                   "year": 2026, "decision_number": decision.number, "decision_date": decision.decided_on, "issuing_body": decision.issuing_body,
                   "signer_name": decision.signer_name, "signer_title": decision.signer_title, "issued_on": dt.date(2026, 11, 26),
                   "verify_url": "http://127.0.0.1:5000/verify/abcdefghijklmnopqrstuvwx", "replaces": ""}
        from flask import render_template

        html = render_template("certificates/certificate.html", c=context, qr=qr_svg(context["verify_url"]),
                               issued_words=vn_date_words(context["issued_on"]), decision_date="20/11/2026")
        bare_html = html.replace("appstatic:", STATIC_ROOT.as_uri() + "/")
        render_certificate(context)
        HTML(string=bare_html).write_pdf(pdf_variant="pdf/a-3b")
        app_ms, bare_ms = [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            render_certificate(context)
            app_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            HTML(string=bare_html).write_pdf(pdf_variant="pdf/a-3b")
            bare_ms.append((time.perf_counter() - start) * 1000)
        a, b = statistics.median(app_ms), statistics.median(bare_ms)
        print(f"one certificate ({RUNS} runs, cores={os.cpu_count()}): app median {a:.0f} ms, bare WeasyPrint median {b:.0f} ms, "
              f"ratio {a / b:.2f}× (goal ≤ 1.3×: {'met' if a / b <= 1.3 else 'MISSED'})")
        start = time.perf_counter()
        issued = services.issue_for_decision(db.session, admin, decision.id)
        db.session.commit()
        took = time.perf_counter() - start
        print(f"batch: {len(issued)} certificates issued (numbered, rendered, stored) in {took:.1f} s "
              f"(goal ≤ 15 s: {'met' if took <= 15 else 'MISSED'})")


if __name__ == "__main__":
    main()
