"""Benchmark: the public results pages (/cong-khai/) at 3,321 units against their raw SQL floor.

Reuses bench/rollup.py's generator (3,321 commune-level units, CQTT campaigns 2025 and 2026, a realistic spread of
statuses; 17 % recognised), then adds what the public pages show: recognition decisions of 25 units each for the
recognised submissions, a certificate for 95 % of them, of which 2 % are revoked (withdrawn recognitions) and 3 %
re-issued. Times each page anonymously through the app (Flask test client, no If-None-Match) twice: "built" with the
per-process response cache off (every request queries and renders), and "served" with it on (PUBLIC_RESPONSE_CACHE);
also a 304 revalidation; and the minimal SQL that fetches the same data, in the same run. Prints p50/p95, the ratios
and PASS/MISS against the goal p50 ≤ 3× the SQL floor for both. Run with `make bench`.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from rollup import RUNS, UNITS, BenchConfig, generate, percentile, time_sql  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

GOAL = 3.0
UNITS_PER_DECISION = 25


def add_decisions_and_certificates(app) -> dict[str, int]:
    """Decisions (batches of UNITS_PER_DECISION recognised submissions per campaign) and certificates, by plain SQL.
    Returns counts {decisions, certificates, revoked, reissued}."""
    rng = random.Random(16)
    with app.app_context():
        conn = db.session.connection()
        now = dt.datetime.now(dt.UTC)
        campaigns = conn.execute(sa.text("SELECT c.id, c.year, v.code FROM campaigns c JOIN criteria_versions v ON v.id = c.criteria_version_id "
                                         "ORDER BY c.id")).all()
        counts = {"decisions": 0, "certificates": 0, "revoked": 0, "reissued": 0}
        for campaign_id, year, code in campaigns:
            subs = conn.execute(sa.text("SELECT id, unit_id FROM submissions WHERE campaign_id = :c AND status = 'recognised' ORDER BY id"),
                                {"c": campaign_id}).all()
            seq = 0
            for start in range(0, len(subs), UNITS_PER_DECISION):
                batch = subs[start:start + UNITS_PER_DECISION]
                number = f"{start // UNITS_PER_DECISION + 1:03d}/QĐ-UBND-{year}"
                decision_id = conn.execute(sa.text(
                    "INSERT INTO recognition_decisions (number, decided_on, signer_name, signer_title, issuing_body, campaign_id, created_at) "
                    "VALUES (:n, :d, 'Người Ký (bench)', 'Chủ tịch', 'UBND thành phố Hải Phòng', :c, :now) RETURNING id"),
                    {"n": number, "d": dt.date(year, 12, 1) + dt.timedelta(days=start // UNITS_PER_DECISION % 28), "c": campaign_id,
                     "now": now}).scalar_one()
                counts["decisions"] += 1
                conn.execute(sa.text("INSERT INTO decision_submissions (decision_id, submission_id) VALUES (:d, :s)"),
                             [{"d": decision_id, "s": s} for s, _u in batch])
                for sub_id, unit_id in batch:
                    if rng.random() >= 0.95:
                        continue  # not issued yet
                    fate = rng.random()
                    seq += 1
                    cert_id = conn.execute(sa.text(
                        "INSERT INTO certificates (number, set_code, year, seq, unit_id, submission_id, decision_id, verify_code, issued_at, "
                        "signed, revoked_at, revoked_reason) VALUES (:n, :code, :y, :seq, :u, :s, :d, :v, :now, false, :rev, '') RETURNING id"),
                        {"n": f"{seq:03d}/{year}/GCN-{code}", "code": code, "y": year, "seq": seq, "u": unit_id, "s": sub_id, "d": decision_id,
                         "v": f"BENCH{year}{seq:08d}", "now": now, "rev": now if fate < 0.02 else None}).scalar_one()
                    counts["certificates"] += 1
                    if fate < 0.02:
                        counts["revoked"] += 1
                    elif fate < 0.05:  # re-issued: the old one superseded by a new number
                        seq += 1
                        new_id = conn.execute(sa.text(
                            "INSERT INTO certificates (number, set_code, year, seq, unit_id, submission_id, decision_id, verify_code, issued_at, "
                            "signed, revoked_reason, replaces_id) VALUES (:n, :code, :y, :seq, :u, :s, :d, :v, :now, false, '', :old) RETURNING id"),
                            {"n": f"{seq:03d}/{year}/GCN-{code}", "code": code, "y": year, "seq": seq, "u": unit_id, "s": sub_id,
                             "d": decision_id, "v": f"BENCH{year}{seq:08d}", "now": now, "old": cert_id}).scalar_one()
                        conn.execute(sa.text("UPDATE certificates SET superseded_by_id = :new WHERE id = :old"), {"new": new_id, "old": cert_id})
                        counts["certificates"] += 1
                        counts["reissued"] += 1
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return counts


# The minimal SQL that fetches what each page shows (same filters: recognised, covered by a decision, not withdrawn).
NOT_WITHDRAWN = ("(NOT EXISTS (SELECT 1 FROM certificates a WHERE a.submission_id = s.id) OR EXISTS (SELECT 1 FROM certificates b "
                 "WHERE b.submission_id = s.id AND b.revoked_at IS NULL AND b.superseded_by_id IS NULL))")
LIST = ("SELECT v.code, v.name_vi, c.year, u.code AS unit_code, u.name, d.number, d.decided_on, d.issuing_body, cert.number, cert.verify_code "
        "FROM submissions s JOIN decision_submissions ds ON ds.submission_id = s.id JOIN recognition_decisions d ON d.id = ds.decision_id "
        "JOIN campaigns c ON c.id = s.campaign_id JOIN criteria_versions v ON v.id = c.criteria_version_id JOIN units u ON u.id = s.unit_id "
        "LEFT JOIN certificates cert ON cert.submission_id = s.id AND cert.revoked_at IS NULL AND cert.superseded_by_id IS NULL "
        f"WHERE s.status = 'recognised' AND {NOT_WITHDRAWN}")
PROGRESS = ("SELECT count(DISTINCT s.unit_id) FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
            "JOIN criteria_versions v ON v.id = c.criteria_version_id JOIN units u ON u.id = s.unit_id "
            f"WHERE v.code = 'CQTT' AND s.status = 'recognised' AND c.year <= 2026 AND u.unit_type IN ('xa', 'phuong', 'dac_khu') AND {NOT_WITHDRAWN}")
RAW_SQL = {
    # progress: units per type, and each recognised unit's first year per set and type (the counts per target are
    # sums of these); the sets and years with their counts; the public criteria versions (names, targets).
    "index": [
        "SELECT unit_type, count(*) FROM units GROUP BY unit_type",
        f"SELECT v.code, u.unit_type, s.unit_id, min(c.year) FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
        f"JOIN criteria_versions v ON v.id = c.criteria_version_id JOIN units u ON u.id = s.unit_id "
        f"WHERE s.status = 'recognised' AND {NOT_WITHDRAWN} GROUP BY v.code, u.unit_type, s.unit_id",
        f"SELECT v.code, c.year, count(DISTINCT s.id) FROM submissions s JOIN decision_submissions ds ON ds.submission_id = s.id "
        f"JOIN campaigns c ON c.id = s.campaign_id JOIN criteria_versions v ON v.id = c.criteria_version_id "
        f"WHERE s.status = 'recognised' AND {NOT_WITHDRAWN} GROUP BY v.code, c.year",
        "SELECT id, code, version, name_vi, name_en, checksum FROM criteria_versions WHERE status IN ('published', 'retired')",
    ],
    "set_year": [f"{LIST} AND v.code = 'CQTT' AND c.year = 2026 ORDER BY u.name"],
    "unit": ["SELECT id, code, name, unit_type FROM units WHERE code = '{unit}'", LIST + " AND u.code = '{unit}' ORDER BY c.year DESC"],
    "csv": [f"{LIST} ORDER BY v.code, c.year DESC, u.name"],
    "json": [f"{LIST} ORDER BY v.code, c.year DESC, u.name", "SELECT unit_type, count(*) FROM units GROUP BY unit_type", PROGRESS],
}
PAGES = {"index": "/cong-khai/", "set_year": "/cong-khai/bo/CQTT/2026", "unit": "/cong-khai/don-vi/{unit}",
         "csv": "/cong-khai/du-lieu.csv", "json": "/cong-khai/du-lieu.json"}


def time_public(app, path: str, etag: bool = False) -> list[float]:
    """Anonymous GETs of `path` (ms); with `etag`, each sends the page's current ETag (a 304 revalidation)."""
    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    headers = {"If-None-Match": first.headers["ETag"]} if etag else {}
    for _ in range(3):
        client.get(path, headers=headers)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        response.get_data()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == (304 if etag else 200)
    return samples


def main() -> None:
    app = create_app(BenchConfig)
    started = time.perf_counter()
    generate(app, UNITS)
    counts = add_decisions_and_certificates(app)
    with app.app_context():
        listed = db.session.execute(sa.text(f"SELECT count(*) FROM ({LIST}) x")).scalar_one()
        units = db.session.execute(sa.text("SELECT count(*) FROM units")).scalar_one()
        unit = db.session.execute(sa.text(f"SELECT x.unit_code FROM ({LIST}) x ORDER BY x.unit_code LIMIT 1")).scalar()
    print(f"dataset: {units} units, {counts}, {listed} recognitions listed; generated in {time.perf_counter() - started:.1f} s; "
          f"{RUNS} timed runs per page")
    print("built: the page made from the database on every request (response cache off); served: the same request with the\n"
          "response cache on (a hit: data state checked, body reused); 304: a revalidation with If-None-Match. Times in ms.")
    print(f"{'page':<10}{'built p50':>10}{'p95':>8}{'served p50':>11}{'304 p50':>9}{'sql p50':>9}{'p95':>8}{'built/sql':>10}{'served/sql':>11}"
          f"  goal p50 ≤ {GOAL:g}× SQL (built / served)")
    for name, path in PAGES.items():
        path = path.format(unit=unit)
        app.config["PUBLIC_RESPONSE_CACHE"] = 0
        built = time_public(app, path)
        app.config["PUBLIC_RESPONSE_CACHE"] = 32
        served = time_public(app, path)
        not_modified = time_public(app, path, etag=True)
        sql_ms = time_sql([sql.replace("{unit}", unit) for sql in RAW_SQL[name]])
        b50, b95, s50, s95 = percentile(built, .5), percentile(built, .95), percentile(sql_ms, .5), percentile(sql_ms, .95)
        c50 = percentile(served, .5)
        built_ratio, served_ratio = (b50 / s50, c50 / s50) if s50 else (float("inf"), float("inf"))
        print(f"{name:<10}{b50:>10.1f}{b95:>8.1f}{c50:>11.1f}{percentile(not_modified, .5):>9.1f}{s50:>9.1f}{s95:>8.1f}{built_ratio:>9.2f}×"
              f"{served_ratio:>10.2f}×  {'PASS' if built_ratio <= GOAL else 'MISS'} / {'PASS' if served_ratio <= GOAL else 'MISS'}")


if __name__ == "__main__":
    main()
