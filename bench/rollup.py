"""Benchmark: report pages at national scale against the raw SQL of the same aggregates, and the XLSX export.

Generates 3,321 (or --units N, env BENCH_UNITS; `make bench` also runs 33,210) commune-level units, two yearly CQTT
campaigns, every indicator answered and a realistic spread of statuses into PostgreSQL (PG_URL) with COPY, then times
the plan-vs-actual, ranking and heatmap pages through the app (Flask test client, logged in) and the raw SQL floor of
the same aggregates in the same run, then the all-sections XLSX workbook. Prints per page p50/p95 app, p50 floor,
ratio, goal and PASS/MISS. Not a test. Goals: at 3,321 units every page ≤ 3× its floor and the XLSX ≤ 400 ms; at
33,210 the ranking p50 ≤ 150 ms and the XLSX ≤ 5 s. `--profile PAGE|xlsx` prints cProfile's top frames first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402

UNITS = 3321
YEARS = (2025, 2026)
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
#: status → share of units (the rest have no submission)
SPREAD = [("draft", 0.08), ("submitted", 0.10), ("in_review", 0.08), ("returned", 0.08), ("resubmitted", 0.04),
          ("approved", 0.30), ("rejected", 0.05), ("recognised", 0.17)]


class BenchConfig(Config):
    SQLALCHEMY_DATABASE_URI = os.environ["PG_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    JOBS_BACKEND = "sync"


def pick_status(rng: random.Random) -> str | None:
    x = rng.random()
    for status, share in SPREAD:
        if x < share:
            return status
        x -= share
    return None


def _copy(conn, table: str, columns: str, rows) -> None:
    """COPY `rows` (tuples) into `table` (`columns` "a, b, c") through the session's own psycopg connection."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(app, units: int) -> None:
    """`units` commune-level units, two yearly CQTT campaigns, answers and stored scores, bulk-loaded with COPY
    (33,210 units load in well under a minute)."""
    from flask_migrate import upgrade

    from app.auth.services import HashCost, create_user
    from app.campaigns.services import create_campaign, latest_versions, load_criteria, validate_paths

    rng = random.Random(42)
    with app.app_context():
        upgrade()
        sets, errors = validate_paths([app.config["CRITERIA_DIR"]])
        assert not errors, errors
        load_criteria(db.session, sets)
        db.session.commit()
        cqtt = {v.code: v for v in latest_versions(db.session)}["CQTT"]
        cset = cqtt.criteria
        conn = db.session.connection()
        now = dt.datetime.now(dt.UTC)
        conn.execute(sa.text("INSERT INTO units (code, name, unit_type, is_sample, data_source, created_at) "
                             "VALUES ('00', 'Cả nước (bench)', 'city', true, 'bench', :now)"), {"now": now})
        types = ["xa"] * 70 + ["phuong"] * 28 + ["dac_khu"] * 2
        _copy(conn, "units", "code, name, unit_type, is_sample, data_source, created_at",
              ((f"B{i:05d}", f"{'Xã' if types[i % 100] == 'xa' else 'Phường'} Thử {i:05d}", types[i % 100], True, "bench", now)
               for i in range(units)))
        db.session.commit()
        unit_ids = list(db.session.scalars(sa.text("SELECT id FROM units WHERE code LIKE 'B%' ORDER BY id")))
        create_user(db.session, None, username="bench.viewer", password="bench-password", role="viewer",
                    cost=HashCost(1, 1024), system=True)
        indicators = [(g.code, i.code, i.points) for g in cset.groups for i in g.indicators]
        max_total = sum(p for _g, _i, p in indicators)
        for year in YEARS:
            campaign = create_campaign(db.session, None, name=f"CQTT {year} (bench)", criteria_version_id=cqtt.id, year=year,
                                       opens_on=dt.date(year, 1, 1), closes_on=dt.date(year, 12, 31),
                                       scope_unit_types=["xa", "phuong", "dac_khu"], system=True)
            db.session.commit()
            campaign_id = campaign.id  # read before COPY: a lazy load inside it would wait on the busy connection
            subs = []
            for unit_id in unit_ids:
                status = pick_status(rng)
                if status is not None:
                    subs.append((unit_id, status))
            conn = db.session.connection()
            _copy(conn, "submissions", "campaign_id, unit_id, status, round, version, created_at, updated_at, submitted_at, decision_reason",
                  ((campaign_id, u, s, 0 if s == "draft" else 1, 1, now, now,
                    None if s == "draft" else dt.datetime(year, rng.randint(2, 12), rng.randint(1, 28), tzinfo=dt.UTC), "")
                   for u, s in subs))
            sub_rows = conn.execute(sa.text("SELECT id, status FROM submissions WHERE campaign_id = :c ORDER BY id"), {"c": campaign_id}).all()
            answers, ind_rows, grp_rows, scores = [], [], [], []
            for sub_id, status in sub_rows:
                earned_by_group: dict[str, list[float]] = {}
                self_total = final_total = 0.0
                for g_code, i_code, points in indicators:
                    self_met = rng.random() < 0.85
                    final_met = self_met and rng.random() < 0.9 if status in ("approved", "recognised", "rejected", "in_review") else self_met
                    answers.append((sub_id, i_code, '{"v": true}' if self_met else '{"v": false}', "", now))
                    if status == "draft":
                        continue
                    ind_rows.append((sub_id, i_code, g_code, self_met, final_met, status != "submitted", points,
                                     points if self_met else 0, points if final_met else 0))
                    acc = earned_by_group.setdefault(g_code, [0.0, 0.0])
                    acc[0] += points if final_met else 0
                    acc[1] += points
                    self_total += points if self_met else 0
                    final_total += points if final_met else 0
                if status == "draft":
                    continue
                for g_code, (earned, max_points) in earned_by_group.items():
                    pct = round(100 * earned / max_points, 2)
                    grp_rows.append((sub_id, g_code, earned, max_points, pct, pct >= 50))
                appraised = status in ("approved", "recognised", "rejected")
                scores.append((sub_id, Decimal(str(round(100 * self_total / max_total, 2))),
                               Decimal(str(round(100 * final_total / max_total, 2))) if appraised else None))
            _copy(conn, "answers", "submission_id, indicator_code, value, explanation, updated_at", answers)
            _copy(conn, "indicator_scores", "submission_id, indicator_code, group_code, self_met, final_met, appraised, "
                  "max_points, self_points, final_points", ind_rows)
            _copy(conn, "group_scores", "submission_id, group_code, earned, max_points, percent, passed", grp_rows)
            conn.execute(sa.text("CREATE TEMP TABLE bench_scores (id int PRIMARY KEY, self numeric(5, 2), final numeric(5, 2))"))
            _copy(conn, "bench_scores", "id, self, final", scores)
            conn.execute(sa.text("UPDATE submissions s SET self_score = b.self, final_score = b.final FROM bench_scores b WHERE b.id = s.id"))
            conn.execute(sa.text("DROP TABLE bench_scores"))
            db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


PAGES = {
    "plan": "/reports/plan?set_code=CQTT&year=2026",
    "ranking": "/reports/ranking?set_code=CQTT&year=2026",
    "heatmap": "/reports/heatmap?set_code=CQTT&year=2026",
}

LATEST = ("SELECT s.unit_id, max(s.id) AS sid FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
          "JOIN criteria_versions v ON v.id = c.criteria_version_id WHERE v.code = 'CQTT' AND c.year = 2026 GROUP BY s.unit_id")
SCOPE = "SELECT id FROM units WHERE unit_type IN ('xa', 'phuong', 'dac_khu')"
RAW_SQL = {
    "plan": [
        "SELECT count(*) FROM units WHERE unit_type IN ('xa', 'phuong', 'dac_khu')",
        "SELECT count(DISTINCT s.unit_id) FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
        "JOIN criteria_versions v ON v.id = c.criteria_version_id JOIN units u ON u.id = s.unit_id "
        "WHERE v.code = 'CQTT' AND s.status = 'recognised' AND c.year <= 2026 AND u.unit_type IN ('xa', 'phuong', 'dac_khu')",
    ],
    # The page shows the first 100 of the ranking and the total (for the pager).
    "ranking": [
        f"SELECT count(*) FROM units u JOIN ({SCOPE}) sc ON sc.id = u.id JOIN ({LATEST}) l ON l.unit_id = u.id "
        f"JOIN submissions s ON s.id = l.sid WHERE s.status <> 'draft'",
        f"SELECT u.id, u.name, u.unit_type, s.status, coalesce(s.final_score, s.self_score) AS score FROM units u "
        f"JOIN ({SCOPE}) sc ON sc.id = u.id JOIN ({LATEST}) l ON l.unit_id = u.id JOIN submissions s ON s.id = l.sid "
        f"WHERE s.status <> 'draft' ORDER BY score DESC, u.name LIMIT 100",
    ],
    # The page shows the first 240 units (one screen) and their group cells.
    "heatmap": [
        f"SELECT count(*) FROM ({SCOPE}) sc",
        f"SELECT u.id, u.name, u.unit_type FROM units u JOIN ({SCOPE}) sc ON sc.id = u.id ORDER BY u.unit_type, u.name LIMIT 240",
        f"SELECT s.unit_id, g.group_code, g.earned, g.max_points, g.passed FROM group_scores g JOIN submissions s ON s.id = g.submission_id "
        f"JOIN ({LATEST}) l ON l.sid = s.id WHERE s.unit_id IN (SELECT u.id FROM units u JOIN ({SCOPE}) sc ON sc.id = u.id "
        f"ORDER BY u.unit_type, u.name LIMIT 240)",
    ],
}


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def time_app(app, path: str, runs: int = RUNS) -> list[float]:
    client = app.test_client()
    client.post("/login", data={"username": "bench.viewer", "password": "bench-password"})
    for _ in range(3):
        assert client.get(path).status_code == 200
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        response.get_data()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return samples


def time_sql(statements: list[str], runs: int = RUNS) -> list[float]:
    with psycopg.connect(os.environ["PG_URL"]) as conn:
        for _ in range(3):
            for sql in statements:
                conn.execute(sql).fetchall()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            for sql in statements:
                conn.execute(sql).fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def build_xlsx(app) -> bytes:
    """The all-sections XLSX workbook of CQTT 2026 as the export job makes it (every section, every unit)."""
    from app.auth.models import User
    from app.reports.common import ReportFilter
    from app.reports.exports import report_workbook
    from app.reports.sections import SECTIONS

    with app.test_request_context():
        actor = db.session.scalar(sa.select(User).where(User.username == "bench.viewer"))
        data = report_workbook(db.session, actor, ReportFilter("CQTT", 2026), list(SECTIONS), dt.date(2026, 11, 29))
        db.session.remove()
    return data


def time_xlsx(app, runs: int) -> list[float]:
    build_xlsx(app)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        build_xlsx(app)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def profile(app, path: str | None, top: int = 25) -> None:
    """cProfile of 10 requests of `path` (or 2 XLSX builds when None): the top frames by own time and cumulative time."""
    import cProfile
    import pstats

    client = app.test_client()
    client.post("/login", data={"username": "bench.viewer", "password": "bench-password"})
    if path:
        client.get(path)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10 if path else 2):
        if path:
            client.get(path).get_data()
        else:
            build_xlsx(app)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=int(os.environ.get("BENCH_UNITS", UNITS)),
                        help="commune-level units to generate (3321 national, 33210 for ten times that); env BENCH_UNITS")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per page (env BENCH_RUNS)")
    parser.add_argument("--profile", choices=[*PAGES, "xlsx"], action="append", default=[],
                        help="print cProfile top frames for this page (repeatable)")
    args = parser.parse_args()
    app = create_app(BenchConfig)
    started = time.perf_counter()
    generate(app, args.units)
    with app.app_context():
        counts = dict(db.session.execute(sa.text(
            "SELECT 'units', count(*) FROM units UNION ALL SELECT 'submissions', count(*) FROM submissions "
            "UNION ALL SELECT 'answers', count(*) FROM answers UNION ALL SELECT 'indicator_scores', count(*) FROM indicator_scores")).all())
    print(f"dataset: {args.units:,} units {counts} generated in {time.perf_counter() - started:.1f} s; "
          f"{args.runs} timed runs per page, cores={os.cpu_count()}")
    for name in args.profile:
        print(f"== profile: {name} ==")
        profile(app, PAGES.get(name))
    national = args.units <= UNITS
    bare = time_app(app, "/health", args.runs)
    print(f"bare endpoint floor (/health through the app, logged in): p50 {percentile(bare, .5):.1f} ms, p95 {percentile(bare, .95):.1f} ms")
    print(f"{'page':<10}{'app p50':>9}{'app p95':>9}{'sql p50':>9}{'ratio':>8}  goal")
    for name, path in PAGES.items():
        app_ms = time_app(app, path, args.runs)
        sql_ms = time_sql(RAW_SQL[name], args.runs)
        a50, a95, s50 = percentile(app_ms, .5), percentile(app_ms, .95), percentile(sql_ms, .5)
        ratio = a50 / s50 if s50 else float("inf")
        goals = []
        if national:
            goals.append(f"≤ 3× SQL floor {verdict(ratio <= 3)}")
        if name == "ranking" and not national:
            goals.append(f"p50 ≤ 150 ms {verdict(a50 <= 150)}")
        print(f"{name:<10}{a50:>8.1f} {a95:>8.1f} {s50:>8.1f} {ratio:>6.2f}×  {'; '.join(goals) or '(goals at 3,321 units)'}")
    xlsx_runs = max(3, args.runs // 3) if national else 3
    xlsx_ms = time_xlsx(app, xlsx_runs)
    limit = 400 if national else 5000
    x50, x95 = percentile(xlsx_ms, .5), percentile(xlsx_ms, .95)
    print(f"{'xlsx all':<10}{x50:>8.1f} {x95:>8.1f} {'':>8} {'':>7}  all sections, every unit ({xlsx_runs} runs): "
          f"p50 ≤ {limit:,} ms {verdict(x50 <= limit)}")


if __name__ == "__main__":
    main()
