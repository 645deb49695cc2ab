"""Benchmark of the public citizen survey under load (issue 14), against a floor measured in the same run. Not a test.

A commune office may put the survey's QR code where hundreds of people see it. Goal: ≥ 200 accepted
responses per second on this machine's cores with p95 ≤ 100 ms for sending, and no response lost
(rows in survey_responses = POSTs answered with the thank-you page).

Set-up: a throwaway PostgreSQL (PG_URL, from scripts/with-postgres.sh via `make bench`), migrations,
criteria and official units, a CQTT campaign for the current year over every ward and commune, one survey
link each for BENCH_SURVEY_LINKS of them (default 50: the 45 wards, then communes) so the load is spread as in a real city, and a Redis for
the rate-limit store when redis-server is installed (as in production; else memory://). The app and the
floor (bench/bare_app.py: the same GET form / POST answers, one INSERT) run under gunicorn.conf.py with
the same settings. Every rule of the public form stays on (CSRF, signed start stamp with the default
SURVEY_MIN_SECONDS, honeypot, one response per device per day, per-address limit) except that the
per-address limit is raised: every simulated phone comes from 127.0.0.1, so the default limit would
stop the load generator after six responses a minute.

Load: bench/survey_phones.py (Locust's FastHttpSession on gevent, in its own process): every phone is a
new cookie jar that opens its form, waits the minimum time and sends. Phases: goal = an open-loop
arrival rate of BENCH_SURVEY_RATE phones per second (default 210, 5 % above the goal) for
BENCH_SURVEY_SECONDS (default 60); capacity = BENCH_SURVEY_CONCURRENCY senders as fast as the server
answers (default 2 per gunicorn worker), for the app and the floor alike → app / floor ratio.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import load_reference_data, stop_all  # noqa: E402

PG_URL = os.environ["PG_URL"]
SECONDS = float(os.environ.get("BENCH_SURVEY_SECONDS", "60"))
RATE = float(os.environ.get("BENCH_SURVEY_RATE", "210"))
LINKS = int(os.environ.get("BENCH_SURVEY_LINKS", "50"))
GOAL_RATE, GOAL_P95_MS = 200, 100
#: Raised for the run only (see the module docstring): one load generator is one address.
RAISED_LIMIT = "1000000 per minute"
THANKS = "Cảm ơn bạn!"
#: Every server this run started (stopped in main's finally, also when a start fails).
STARTED: list[subprocess.Popen] = []
#: Temporary folders this run made (removed at the end).
FOLDERS: list[str] = []


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare() -> list[str]:
    """Migrate, load criteria and units, a CQTT campaign for this year over every ward and commune, and one link
    each for the first LINKS of them (wards first); create the floor's table. Returns the links' public codes."""
    import sqlalchemy as sa

    from app import create_app
    from app.campaigns.services import create_campaign, latest_versions
    from app.clock import today_local
    from app.config import Config
    from app.extensions import db
    from app.surveys.services import ensure_link
    from app.units.models import Unit

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)

    app = create_app(BenchConfig)
    with app.app_context():
        load_reference_data(app)
        version = {v.code: v for v in latest_versions(db.session)}["CQTT"]
        year = today_local().year
        campaign = create_campaign(db.session, None, name="CQTT khảo sát bench", criteria_version_id=version.id, year=year,
                                   opens_on=dt.date(year, 1, 1), closes_on=dt.date(year, 12, 31), scope_unit_types=["phuong", "xa"],
                                   system=True)
        # wards first (45 in Hải Phòng since 2025), then communes, up to LINKS
        wards = db.session.scalars(sa.select(Unit).where(Unit.unit_type.in_(["phuong", "xa"]))
                                   .order_by(Unit.unit_type == "xa", Unit.code).limit(LINKS)).all()
        codes = [ensure_link(db.session, campaign, ward, "HAILONG_DV").code for ward in wards]
        db.session.execute(sa.text("CREATE TABLE bench_survey_bare (id serial PRIMARY KEY, link_code text, answers json, comment text, "
                                   "submitted_at timestamptz DEFAULT now())"))
        db.session.commit()
        return codes


def count_rows(table: str) -> int:
    """count(*) of a table in the bench database (a fresh connection, after the servers have answered)."""
    import psycopg

    with psycopg.connect(PG_URL) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed table names


def start_redis() -> str:
    """A throwaway redis-server on a free loopback port (no persistence) for the limit store, if installed.

    Returns the RATELIMIT_STORAGE_URI (memory:// without redis-server)."""
    binary = shutil.which("redis-server")
    if not binary:
        return "memory://"
    port = free_port()
    folder = tempfile.mkdtemp(prefix="datchuan-redis-")
    FOLDERS.append(folder)
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",  # noqa: S603
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    STARTED.append(proc)
    wait_for_port(port, "redis-server")
    return f"redis://127.0.0.1:{port}/0"


def wait_for_port(port: int, what: str) -> None:
    """Wait up to 60 s for something to listen on the loopback port; raises RuntimeError if nothing does."""
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def start(app_spec: str, port: int, env: dict) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py (the production settings) on a loopback port, access log off."""
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "--chdir", str(ROOT), app_spec]
    proc = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    STARTED.append(proc)
    wait_for_port(port, app_spec)
    return proc


def phones(port: int, codes: list[str], min_seconds: int, *, goal: bool, blast: int, concurrency: int) -> dict:
    """Run bench/survey_phones.py against one server; returns its result ({phase: summary})."""
    job = {"base": f"http://127.0.0.1:{port}", "form_path": "/khao-sat/{code}", "post_path": "/khao-sat/{code}", "codes": codes,
           "thanks": THANKS, "min_seconds": min_seconds, "rate": RATE, "seconds": SECONDS, "goal": goal, "blast": blast,
           "concurrency": concurrency, "prefetch_concurrency": concurrency}
    out = subprocess.run([sys.executable, str(ROOT / "bench/survey_phones.py"), json.dumps(job)],  # noqa: S603
                         capture_output=True, text=True, timeout=SECONDS * 20 + 600)
    if out.returncode:
        raise RuntimeError(f"bench/survey_phones.py failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def errors(phase: dict) -> str:
    """Statuses other than 200, e.g. "429×3, 0×1" (0 = no answer), or "none"."""
    other = {k: v for k, v in phase["statuses"].items() if k != "200"}
    refused = phase["sent"] - phase["accepted"] - sum(other.values())
    parts = [f"{k}×{v}" for k, v in other.items()] + ([f"200 without thanks×{refused}"] if refused else [])
    return ", ".join(parts) or "none"


def main() -> None:
    """Set up, run the phones against the app and the floor, stop every server, print the table."""
    codes = prepare()
    try:
        app_run, floor_run = run_servers(codes)
    finally:
        stop_all(STARTED)
        for folder in FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)
    report(codes, app_run, floor_run)


def run_servers(codes: list[str]) -> tuple[dict, dict]:
    """Start Redis, the app and the floor; run the phones against each. Returns (app result, floor result)."""
    from app.config import from_environment, web_workers

    limits_uri = start_redis()
    min_seconds = from_environment()["SURVEY_MIN_SECONDS"]
    workers = web_workers()
    concurrency = int(os.environ.get("BENCH_SURVEY_CONCURRENCY", str(2 * workers)))
    blast = int(os.environ.get("BENCH_SURVEY_BLAST", str(int(60 * SECONDS))))
    env = {"DATABASE_URL": PG_URL, "SECRET_KEY": "bench-" + "x" * 40, "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", ""),
           "SURVEY_RATE_LIMIT": RAISED_LIMIT, "RATELIMIT_STORAGE_URI": limits_uri}
    env = {k: v for k, v in env.items() if v}
    app_port, bare_port = free_port(), free_port()
    start("wsgi:app", app_port, env)
    start("bench.bare_app:app", bare_port, env)
    app_run = phones(app_port, codes, min_seconds, goal=True, blast=blast, concurrency=concurrency)
    floor_run = phones(bare_port, codes, 0, goal=False, blast=blast, concurrency=concurrency)
    info = {"limits": limits_uri.split("://")[0], "min_seconds": min_seconds, "workers": workers, "concurrency": concurrency}
    return {**app_run, "info": info}, floor_run


def report(codes: list[str], app_run: dict, floor_run: dict) -> None:
    """Print the settings, the table and the verdict (like bench/web.py, a missed goal is printed, not an exit code)."""
    info = app_run["info"]
    min_seconds, workers, concurrency = info["min_seconds"], info["workers"], info["concurrency"]

    goal, cap, floor = app_run["goal"], app_run["blast"], floor_run["blast"]
    accepted = app_run["goal"]["accepted"] + app_run["blast"]["accepted"]
    stored = count_rows("survey_responses")
    floor_stored = count_rows("bench_survey_bare")
    lost = accepted - stored
    met = goal["rate"] >= GOAL_RATE and goal["p95"] <= GOAL_P95_MS and lost == 0
    ratio = cap["rate"] / floor["rate"] if floor["rate"] else 0.0

    print(f"cores={os.cpu_count()}; gunicorn.conf.py for app and floor ({workers} sync workers); PostgreSQL {PG_URL.split('@')[-1]}; "
          f"rate-limit store {info['limits']}; {len(codes)} survey links (one per ward or commune)")
    print(f"rules ON: CSRF, signed start stamp (SURVEY_MIN_SECONDS={min_seconds}), honeypot, one response per device per day; "
          f"SURVEY_RATE_LIMIT raised to '{RAISED_LIMIT}' for this run (every phone comes from 127.0.0.1)")
    pre = app_run["prefetch"]
    print(f"forms opened first: {pre['accepted']} of {pre['sent']} in {pre['seconds']:.1f} s ({pre['rate']:.0f}/s, "
          f"p95 {pre['p95']:.0f} ms); each phone a new cookie jar; one wait of {min_seconds} s + margin before sending")
    print()
    rows = [("phase", "offered", "accepted/s", "p50 ms", "p95 ms", "p99 ms", "sent", "accepted", "errors"),
            (f"app, goal: open loop {SECONDS:.0f} s", f"{goal['offered']:.0f}/s", f"{goal['rate']:.1f}", f"{goal['p50']:.1f}",
             f"{goal['p95']:.1f}", f"{goal['p99']:.1f}", str(goal["sent"]), str(goal["accepted"]), errors(goal)),
            (f"app, capacity: {concurrency} senders", "max", f"{cap['rate']:.1f}", f"{cap['p50']:.1f}", f"{cap['p95']:.1f}",
             f"{cap['p99']:.1f}", str(cap["sent"]), str(cap["accepted"]), errors(cap)),
            (f"floor, capacity: {concurrency} senders", "max", f"{floor['rate']:.1f}", f"{floor['p50']:.1f}", f"{floor['p95']:.1f}",
             f"{floor['p99']:.1f}", str(floor["sent"]), str(floor["accepted"]), errors(floor))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    print()
    print(f"lost: {lost} (accepted {accepted}, rows in survey_responses {stored}); floor rows {floor_stored} of {floor['accepted']}")
    print(f"app / floor (capacity, accepted per second): {ratio:.2f}")
    verdict = "met" if met else "MISSED"
    if goal["offered"] < GOAL_RATE:
        verdict = f"not judged: BENCH_SURVEY_RATE={goal['offered']:.0f} offers less than the goal" + ("" if lost == 0 else "; LOST responses")
    print(f"goal ≥ {GOAL_RATE}/s with p95 ≤ {GOAL_P95_MS} ms and none lost: {verdict} "
          f"({goal['rate']:.1f}/s, p95 {goal['p95']:.1f} ms, lost {lost})")


if __name__ == "__main__":
    main()
