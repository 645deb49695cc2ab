"""The deadline rush under Locust (issue 15, part 4): `make loadtest`. Not a test (exit 0 unless the harness fails).

Usage (a throwaway PostgreSQL from scripts/with-postgres.sh gives PG_URL):
    scripts/with-postgres.sh .venv/bin/python bench/loadtest/run.py 1   # 114 officials, 10 reviewers, 5 viewers
    scripts/with-postgres.sh .venv/bin/python bench/loadtest/run.py 2   # 3,321 units, 1,000 users

Profile 1 ("rush"): Hải Phòng's 114 commune-level units (vietnam-provinces, as `flask units load`), one official each,
a CQTT campaign for this year over wards, communes and special zones, 10 reviewers of CQTT and 5 viewers. Every
official logs in, opens the questionnaire, saves every group with its answers and a small PDF, sends one deliberate
stale save (must answer 409; counted apart) and submits through the confirmation page; reviewers agree with every
indicator and approve; viewers open report pages. Users arrive at LOADTEST_SPAWN_RATE per second (default 2). The run
ends when all of that is done, or at LOADTEST_SECONDS (default 170).

Passwords (both profiles) are hashed with a cheap argon2 cost (t=1, m=1 MiB) unless LOADTEST_HASH=production (the
ARGON2_* of app.config: t=3, m=64 MiB). At the production cost one login took about 1 s on this busy machine and needs 64 MiB
of memory in a sync worker, so a burst of logins holds every worker and the run measures logging in, not the rush
(in the week before a deadline officials are mostly logged in already: sessions last IDLE_TIMEOUT_MINUTES). Run it
once with LOADTEST_HASH=production to see the login cost; the printout says which cost was used.

Profile 2 ("mixed"): the dataset of bench/rollup.py (its generator, imported: 3,321 units, CQTT 2025 and 2026 with
answers and a spread of statuses), one official for each unit whose 2026 questionnaire is still editable (a draft or
none; at most LOADTEST_OFFICIALS, default 800), viewers for the rest of LOADTEST_USERS (default 1,000). Officials open
and save groups (a file with one save in four, a deliberate stale save with one in twenty), viewers open report
pages, for LOADTEST_SECONDS (default 90), arriving at 25 per second.

Both: gunicorn with gunicorn.conf.py (the production settings: sync workers, 2 × cores + 1 unless WEB_CONCURRENCY),
a throwaway redis-server for the rate-limit store (bench/surveys.py's start_redis), evidence in a temporary
UPLOAD_DIR, everything on 127.0.0.1. LOGIN_RATE_LIMIT is raised to RAISED_LOGIN_LIMIT for the run: every simulated
user comes from 127.0.0.1, and the default (10 per minute per address) would stop all but the first ten logins.

Load: bench/loadtest/locustfile.py in its own process (Locust's library API, gevent). While it runs, the RSS of every
gunicorn worker is sampled each second (bench/web.py's worker_rss_each). Printed: per endpoint requests/s,
p50/p95/p99 and errors, the total, worker RSS (largest and sum) before, during and after, the goals with PASS/MISS,
and the integrity check: for every questionnaire a simulated official saved, the stored answers (value and
explanation per indicator) and evidence count must equal what that user last sent successfully.

Goals (set for profile 1 on this machine's 2 cores; printed for reference with profile 2): no errors except the
deliberate conflicts; "save group" p95 ≤ 300 ms; every worker's RSS ≤ 150 MB and not growing (the largest worker's
RSS in the second half of the run at most GROWTH_MB above the first half's).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import load_reference_data, stop_all  # noqa: E402
from bench.surveys import FOLDERS, STARTED, free_port, start, start_redis  # noqa: E402
from bench.web import worker_rss_each  # noqa: E402

PG_URL = os.environ["PG_URL"]
PASSWORD = "loadtest-password"
#: Raised for the run only (see the module docstring): one load generator is one address.
RAISED_LOGIN_LIMIT = "1000000 per minute"
GOAL_SAVE_P95_MS = 300
GOAL_RSS_MB = 150
#: "Not growing": the largest worker's RSS in the run's second half may exceed the first half's by at most this.
GROWTH_MB = 10
SAVE = "save group"
STALE = "save group (stale version → 409, deliberate)"
PROFILES = {
    "1": {"profile": "rush", "run_time": 170, "spawn_rate": 2, "wait": [0.5, 2.0], "stale_every": 0, "hash": "cheap"},
    "2": {"profile": "mixed", "run_time": 90, "spawn_rate": 25, "wait": [5.0, 15.0], "stale_every": 0.05, "hash": "cheap"},
}


def prep_app():
    """An app on the bench database for preparing data (the servers under load are separate gunicorn processes)."""
    from app import create_app
    from app.config import Config

    class LoadConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)

    return create_app(LoadConfig)


def groups_of(criteria) -> list[dict]:
    """The questionnaire's groups as the load generator needs them: [{code, indicators: [{code, field, type, options}]}]."""
    return [{"code": g.code, "indicators": [{"code": i.code, "field": i.field_name, "type": i.type, "options": list(i.options)}
                                            for i in g.indicators]} for g in criteria.groups]


def make_users(officials: list[tuple[str, int]], reviewers: list[str], viewers: list[str], production_cost: bool) -> None:
    """Create the simulated accounts (in the current app context; committed). All share PASSWORD, hashed once with the
    production argon2 cost when `production_cost`, else with a cheap one."""
    import sqlalchemy as sa
    from flask import current_app

    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.auth.services import HashCost, create_user
    from app.extensions import db

    cheap = HashCost(1, 1024)
    for username, unit_id in officials:
        create_user(db.session, None, username=username, password=PASSWORD, role="official", unit_id=unit_id, cost=cheap, system=True)
    for username in reviewers:
        create_user(db.session, None, username=username, password=PASSWORD, role="reviewer", scope_codes=["CQTT"], cost=cheap, system=True)
    for username in viewers:
        create_user(db.session, None, username=username, password=PASSWORD, role="viewer", cost=cheap, system=True)
    if production_cost:
        digest = hash_password(PASSWORD, current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
        db.session.execute(sa.update(User).where(User.username.like("lt.%")).values(password_hash=digest))
    db.session.commit()


def prepare_rush(app, hash_cost: str) -> dict:
    """Profile 1's data: migrations, criteria, the 114 official units, this year's CQTT campaign, 114 officials,
    10 reviewers, 5 viewers. Returns the job's data keys."""
    import sqlalchemy as sa

    from app.campaigns.services import create_campaign, latest_versions
    from app.clock import today_local
    from app.extensions import db
    from app.units.models import Unit

    with app.app_context():
        load_reference_data(app)
        units = db.session.scalars(sa.select(Unit).where(Unit.unit_type.in_(["phuong", "xa", "dac_khu"])).order_by(Unit.code)).all()
        version = {v.code: v for v in latest_versions(db.session)}["CQTT"]
        year = today_local().year
        campaign = create_campaign(db.session, None, name=f"CQTT {year} (loadtest)", criteria_version_id=version.id, year=year,
                                   opens_on=dt.date(year, 1, 1), closes_on=dt.date(year, 12, 31),
                                   scope_unit_types=["phuong", "xa", "dac_khu"], system=True)
        db.session.commit()
        # LOADTEST_OFFICIALS / LOADTEST_REVIEWERS: fewer users for a quick try of the harness (defaults: every unit, 10)
        officials = [(f"lt.canbo{n:03d}", u.id) for n, u in enumerate(units)][:int(os.environ.get("LOADTEST_OFFICIALS", len(units)))]
        reviewers = [f"lt.thamdinh{n:02d}" for n in range(int(os.environ.get("LOADTEST_REVIEWERS", "10")))]
        viewers = [f"lt.xem{n}" for n in range(5)]
        make_users(officials, reviewers, viewers, production_cost=hash_cost == "production")
        return {"campaign_id": campaign.id, "year": year, "set_code": "CQTT", "groups": groups_of(version.criteria),
                "officials": [{"username": u, "unit_id": i} for u, i in officials], "reviewers": reviewers, "viewers": viewers,
                "units": len(units)}


def prepare_mixed(app, hash_cost: str) -> dict:
    """Profile 2's data: bench/rollup.py's generator, then officials for the editable 2026 questionnaires and viewers."""
    import sqlalchemy as sa

    from app.campaigns.models import Campaign
    from app.clock import today_local
    from app.extensions import db
    from bench.rollup import UNITS, generate

    started = time.perf_counter()
    generate(app, UNITS)
    users = int(os.environ.get("LOADTEST_USERS", "1000"))
    with app.app_context():
        campaign = db.session.scalars(sa.select(Campaign).where(Campaign.year == 2026).order_by(Campaign.id.desc())).first()
        if campaign.closes_on < today_local():  # the generator's years are fixed; keep its 2026 questionnaires editable
            campaign.closes_on = today_local() + dt.timedelta(days=30)
        editable = db.session.execute(sa.text(
            "SELECT u.id FROM units u LEFT JOIN submissions s ON s.unit_id = u.id AND s.campaign_id = :c "
            "WHERE u.code LIKE 'B%' AND (s.id IS NULL OR s.status = 'draft') ORDER BY u.id"), {"c": campaign.id}).scalars().all()
        # The generator writes {"v": true|false} for every indicator; a draft's numeric answers must be numbers for its pages
        # to open (answered 500 in the first run), so the drafts officials will open get a number there (drafts are in no score).
        numeric = [i.code for i in campaign.criteria_version.criteria.indicators if i.type in ("percent", "number", "count")]
        db.session.execute(sa.text(
            "UPDATE answers SET value = CAST('{\"v\": 95}' AS JSON) FROM submissions s WHERE answers.submission_id = s.id "
            "AND s.campaign_id = :c AND s.status = 'draft' AND answers.indicator_code = ANY(:codes)"), {"c": campaign.id, "codes": numeric})
        db.session.commit()
        n_officials = min(int(os.environ.get("LOADTEST_OFFICIALS", "800")), len(editable), users)
        officials = [(f"lt.canbo{n:04d}", unit_id) for n, unit_id in enumerate(editable[:n_officials])]
        viewers = [f"lt.xem{n:04d}" for n in range(users - n_officials)]
        make_users(officials, [], viewers, production_cost=hash_cost == "production")
        units = db.session.scalar(sa.text("SELECT count(*) FROM units WHERE code LIKE 'B%'"))
        return {"campaign_id": campaign.id, "year": 2026, "set_code": "CQTT", "groups": groups_of(campaign.criteria_version.criteria),
                "officials": [{"username": u, "unit_id": i} for u, i in officials], "reviewers": [], "viewers": viewers,
                "units": units, "editable": len(editable),
                "prepared_in": time.perf_counter() - started}


class RssSampler(threading.Thread):
    """Samples every worker's RSS of one gunicorn master each `every` seconds until stopped: [(t, {pid: MB})]."""

    def __init__(self, master: subprocess.Popen, every: float = 1.0):
        super().__init__(daemon=True)
        self.master, self.every = master, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        start_time = time.perf_counter()
        while not self.halt.is_set():
            self.samples.append((time.perf_counter() - start_time, worker_rss_each(self.master)))
            self.halt.wait(self.every)


def warm(base: str, wait_seconds: float = 240) -> None:
    """Wait until the workers answer (five workers importing the app at once take ~40 s on a busy 2-core machine),
    then GET /health ten times, so 'before' is measured on workers that have booted and served. Raises RuntimeError."""
    deadline = time.monotonic() + wait_seconds
    answered = 0
    while answered < 10:
        try:
            with urllib.request.urlopen(base + "/health", timeout=60) as response:  # noqa: S310 - loopback server of this run
                response.read()
            answered += 1
        except OSError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /health within {wait_seconds:.0f} s: {exc}") from exc
            time.sleep(1)


def run_load(job: dict, job_path: Path, log_path: Path) -> dict:
    """Run the locustfile with `job` in its own process; returns its results (raises RuntimeError if it fails)."""
    job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    with log_path.open("w") as log:
        done = subprocess.run([sys.executable, str(ROOT / "bench/loadtest/locustfile.py")],  # noqa: S603
                              env={**os.environ, "LOADTEST_JOB": str(job_path)}, stdout=log, stderr=subprocess.STDOUT,
                              timeout=job["run_time"] + 300, check=False)
    if done.returncode or not Path(job["results"]).exists():
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{log_path.read_text()[-4000:]}")
    result = json.loads(Path(job["results"]).read_text(encoding="utf-8"))
    if not result["total"]["requests"]:
        raise RuntimeError("the load generator made no request; its log ends with:\n" + log_path.read_text(errors="replace")[-4000:])
    result["generator_cpu_warning"] = "CPU usage above" in log_path.read_text(errors="replace")
    return result


def integrity(app, job: dict, sent: dict) -> dict:
    """Compare what every simulated official last sent successfully with the database.

    Per official with at least one successful save: its unit's questionnaire in the campaign must exist; for every
    indicator it sent, the stored value must equal the typed text parsed as the app parses it (app.assessment
    .indicators, locale vi) and the stored explanation the typed one (NFC); the number of evidence files must equal
    the files its successful saves carried. Returns {"checked", "answers", "mismatches": [text], "uncertain": [text],
    "other_submissions": questionnaires of the campaign changed by nobody here (profile 1: must be 0)}."""
    import sqlalchemy as sa

    from app.assessment.indicators import get_type, same_value
    from app.campaigns.models import Campaign
    from app.extensions import db
    from app.submissions.models import Submission

    out = {"checked": 0, "answers": 0, "mismatches": [], "uncertain": [], "other_submissions": 0, "in_flight": 0}
    with app.app_context():
        campaign = db.session.get(Campaign, job["campaign_id"])
        criteria = campaign.criteria_version.criteria
        subs = {s.unit_id: s for s in db.session.scalars(sa.select(Submission).where(Submission.campaign_id == campaign.id))}
        for username, record in sorted(sent.items()):
            if record["uncertain"]:
                out["uncertain"].append(f"{username}: {'; '.join(record['uncertain'][:3])}")
            if not record["values"] and not record["files"]:
                continue  # never saved (or only a first save cut by the end of the run, which may or may not be stored)
            out["checked"] += 1
            sub = subs.get(record["unit_id"])
            if sub is None:
                out["mismatches"].append(f"{username}: no questionnaire stored")
                continue
            answers = {a.indicator_code: a for a in sub.answers}
            flight = record.get("in_flight") or {"values": {}, "file": False}
            if record.get("in_flight"):
                out["in_flight"] += 1
            for code, typed in sorted(record["values"].items()):
                out["answers"] += 1
                ind = criteria.indicator(code)
                stored = answers.get(code)
                candidates = [typed] + ([flight["values"][code]] if code in flight["values"] else [])
                if not any(_stored_equals(stored, get_type(ind.type).parse(raw, list(ind.options), "vi"), explanation, same_value)
                           for raw, explanation in candidates):
                    out["mismatches"].append(f"{username} {code}: sent {typed[0]!r} / {typed[1][:50]!r}…, stored "
                                             f"{stored.value if stored else None!r} / {stored.explanation[:50] if stored else ''!r}…")
            files = {record["files"], record["files"] + (1 if flight["file"] else 0)}
            if len(sub.evidence) not in files:
                out["mismatches"].append(f"{username}: {record['files']} files sent, {len(sub.evidence)} stored")
        touched = {record["unit_id"] for record in sent.values() if record["values"] or record["files"] or record.get("in_flight")}
        if job["profile"] == "rush":
            out["other_submissions"] = sum(1 for unit_id in subs if unit_id not in touched)
    return out


def _stored_equals(stored, expected, explanation: str, same_value) -> bool:
    """True when the stored Answer (or None) holds the parsed value `expected` and the explanation (compared NFC)."""
    return (stored is not None and not stored.not_applicable and same_value(stored.parsed, expected)
            and stored.explanation == unicodedata.normalize("NFC", explanation))


def rss_summary(samples: list[tuple[float, dict[int, float]]]) -> dict:
    """Largest and summed worker RSS over the samples: before (first), after (last), peak; growth between the halves."""
    rows = [(t, max(s.values(), default=0.0), sum(s.values()), len(s)) for t, s in samples if s]
    half = len(rows) // 2
    first, second = rows[:half] or rows, rows[half:] or rows
    pids = {pid for _t, s in samples for pid in s}
    return {"before": rows[0], "after": rows[-1], "peak_max": max(r[1] for r in rows), "peak_sum": max(r[2] for r in rows),
            "first_half_max": max(r[1] for r in first), "second_half_max": max(r[1] for r in second),
            "growth": max(r[1] for r in second) - max(r[1] for r in first), "samples": len(rows), "pids": len(pids),
            "trace": [rows[int(i * (len(rows) - 1) / 8)] for i in range(9)] if rows else []}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(number: str, job: dict, info: dict, result: dict, rss: dict, check: dict) -> None:
    """Print the settings, the per-endpoint table, worker RSS, the goals with PASS/MISS and the integrity check."""
    n_off, n_rev, n_view = len(job["officials"]), len(job["reviewers"]), len(job["viewers"])
    print(f"\n=== make loadtest — profile {number} ({job['profile']}) ===")
    print(f"cores={os.cpu_count()} (shared with other work on this machine; Locust runs on the same cores); gunicorn.conf.py, "
          f"{info['workers']} sync workers; PostgreSQL {PG_URL.split('@')[-1]}; rate-limit store {info['limits']}")
    print(f"data: {job['units']} units{'' if 'editable' not in job else ' (' + str(job['editable']) + ' with an editable 2026 questionnaire)'}; "
          f"users: {n_off} officials, {n_rev} reviewers, {n_view} viewers = {result['users']}; spawn rate {job['spawn_rate']}/s; "
          f"think time {job['wait'][0]}–{job['wait'][1]} s; argon2 cost of the passwords: "
          f"{'production (ARGON2_TIME_COST/ARGON2_MEMORY_COST)' if job['hash'] == 'production' else 'cheap (t=1, m=1 MiB; LOADTEST_HASH=production for the real cost)'}")
    print(f"LOGIN_RATE_LIMIT raised to '{RAISED_LOGIN_LIMIT}' for this run (every simulated user comes from 127.0.0.1); "
          f"every other rule on (CSRF, version check, upload checks)")
    load = os.getloadavg()
    print(f"ran {result['seconds']:.1f} s (limit {job['run_time']} s; ended by: {result['ended_by']}); load average at the end "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on {os.cpu_count()} cores"
          + ("; Locust warned that its own CPU use passed 90 % (its timings include waiting for the CPU)"
             if result.get("generator_cpu_warning") else "") + "\n")
    rows = [("endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")]
    for e in result["endpoints"] + [{**result["total"], "name": "TOTAL"}]:
        rows.append((e["name"], str(e["requests"]), f"{e['rps']:.1f}", f"{e['p50']:.0f}", f"{e['p95']:.0f}", f"{e['p99']:.0f}",
                     str(e["failures"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    state = result["state"]
    print(f"\ndeliberate conflicts (stale version → 409, not errors): {state['conflicts_deliberate']}")
    if job["profile"] == "rush":
        print(f"officials finished: {state['officials_done']} of {n_off}; submitted: {state['submitted']} (failed {state['submit_failed']}); "
              f"decided by reviewers (approved, or rejected below the pass mark): {state['approved']} (failed {state['review_failed']})")
    if result["errors"]:
        print("errors:")
        for e in sorted(result["errors"], key=lambda e: -e["count"])[:12]:
            print(f"  {e['count']}× {e['name']}: {e['error'][:160]}")
    b, a = rss["before"], rss["after"]
    print(f"\nworker RSS (MB; largest worker / sum of {b[3]} workers): before {b[1]:.0f} / {b[2]:.0f}, after {a[1]:.0f} / {a[2]:.0f}, "
          f"peak {rss['peak_max']:.0f} / {rss['peak_sum']:.0f}; {rss['samples']} samples, {rss['pids']} worker pids seen")
    print("  during (t s: largest / sum): " + ", ".join(f"{t:.0f}: {m:.0f}/{s:.0f}" for t, m, s, _n in rss["trace"]))
    errors = result["total"]["failures"]
    save = next((e for e in result["endpoints"] if e["name"] == SAVE), None)
    save_p95 = save["p95"] if save else float("nan")
    ref = "" if job["profile"] == "rush" else "  (goals are set for profile 1; shown for reference)"
    print(f"\ngoals{ref}:")
    print(f"  no errors except deliberate conflicts: {errors} errors → {verdict(errors == 0)}")
    print(f"  save p95 ≤ {GOAL_SAVE_P95_MS} ms: {save_p95:.0f} ms over {save['requests'] if save else 0} saves → "
          f"{verdict(save is not None and save_p95 <= GOAL_SAVE_P95_MS)}")
    print(f"  worker RSS ≤ {GOAL_RSS_MB} MB: peak {rss['peak_max']:.0f} MB → {verdict(rss['peak_max'] <= GOAL_RSS_MB)}")
    print(f"  worker RSS not growing (2nd-half peak ≤ 1st-half peak + {GROWTH_MB} MB): {rss['first_half_max']:.0f} → "
          f"{rss['second_half_max']:.0f} MB ({rss['growth']:+.0f}) → {verdict(rss['growth'] <= GROWTH_MB)}")
    print(f"\nintegrity: {check['checked']} questionnaires checked ({check['answers']} answers + evidence counts) against what their "
          f"officials last sent successfully; mismatches: {len(check['mismatches'])} → {verdict(not check['mismatches'])}")
    for line in check["mismatches"][:10]:
        print(f"  MISMATCH {line}")
    if check["in_flight"]:
        print(f"  officials whose last save was still unanswered when the run ended (either outcome accepted): {check['in_flight']}")
    if job["profile"] == "rush":
        print(f"  questionnaires of the campaign saved by nobody in this run: {check['other_submissions']}")
    if check["uncertain"]:
        print(f"  officials with a save whose outcome is unknown (an error answer; excluded from nothing, listed here): {len(check['uncertain'])}")
        for line in check["uncertain"][:5]:
            print(f"    {line}")


def main() -> None:
    """Prepare the profile's data, start Redis and gunicorn, run the load, sample RSS, stop everything, check, print."""
    number = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LOADTEST_PROFILE", "1")).strip()
    if number not in PROFILES:
        raise SystemExit(f"unknown profile {number!r}: 1 (114 officials) or 2 (3,321 units, 1,000 users)")
    job = dict(PROFILES[number])
    job["run_time"] = float(os.environ.get("LOADTEST_SECONDS", job["run_time"]))
    job["spawn_rate"] = float(os.environ.get("LOADTEST_SPAWN_RATE", job["spawn_rate"]))
    job["hash"] = os.environ.get("LOADTEST_HASH", job["hash"])
    if job["hash"] not in ("production", "cheap"):
        raise SystemExit("LOADTEST_HASH is production (ARGON2_* of app.config) or cheap (t=1, m=1 MiB)")
    app = prep_app()
    started = time.perf_counter()
    job.update(prepare_rush(app, job["hash"]) if job["profile"] == "rush" else prepare_mixed(app, job["hash"]))
    print(f"prepared in {time.perf_counter() - started:.1f} s", flush=True)
    folder = tempfile.mkdtemp(prefix="datchuan-loadtest-")
    FOLDERS.append(folder)
    job.update({"password": PASSWORD, "results": str(Path(folder) / "results.json")})
    from app.config import web_workers

    try:
        limits_uri = start_redis()
        uploads = Path(folder) / "uploads"
        uploads.mkdir()
        env = {"DATABASE_URL": PG_URL, "SECRET_KEY": "loadtest-" + "x" * 40, "RATELIMIT_STORAGE_URI": limits_uri,
               "LOGIN_RATE_LIMIT": RAISED_LOGIN_LIMIT, "UPLOAD_DIR": str(uploads), "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "")}
        port = free_port()
        master = start("wsgi:app", port, {k: v for k, v in env.items() if v})
        job["base"] = f"http://127.0.0.1:{port}"
        warm(job["base"])
        sampler = RssSampler(master)
        sampler.start()
        time.sleep(1.5)
        try:
            result = run_load(job, Path(folder) / "job.json", Path(folder) / "locust.log")
        finally:
            time.sleep(1.0)
            sampler.halt.set()
            sampler.join()
        info = {"workers": web_workers(), "limits": limits_uri.split("://")[0]}
    finally:
        stop_all(STARTED)
    try:
        check = integrity(app, job, result["sent"])
        report(number, job, info, result, rss_summary(sampler.samples), check)
    finally:
        import shutil

        for path in FOLDERS:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
