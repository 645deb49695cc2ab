"""The questionnaire against the peer: one respondent's requests, timed under gunicorn on PostgreSQL.

Two figures, each compared with LimeSurvey 6.2.1 measured once on this machine (issue 15, part 5; the peer is not
installable here, so its figures are constants quoted from the issue):

1. "save a group and see the next page": POST a group's answers (go=next) → 302 → GET the next group's page,
   one client at a time (latency, not throughput). Peer 398.9 ms; goal ≥ 20× faster.
2. "a whole respondent": log in, open the questionnaire (overview, first group), save every group and see the
   next page, open the confirmation page and submit (→ result page). Peer 1,856 ms; goal ≥ 15× faster. Each save
   carries one small PDF as evidence (BENCH_EVIDENCE=0: none), every answer an explanation, so the submission
   passes every check.

Prints p50/p95 of each, the peer's figure, the ratio (peer / our p50), the goal and PASS/MISS.

Run through `make bench` (needs PG_URL: scripts/with-postgres.sh starts a throwaway PostgreSQL). Not a test.
`python bench/respondent.py --profile` instead runs the save + next page through Flask's test client (same
PostgreSQL) under cProfile and prints the top frames (by own time and by cumulative time).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import load_reference_data  # noqa: E402

PG_URL = os.environ["PG_URL"]
PASSWORD = "bench-password"
#: Peer figures (LimeSurvey 6.2.1, one session on this machine, quoted in issue 15 part 5), milliseconds.
PEER_SAVE_NEXT_MS = 398.9
PEER_RESPONDENT_MS = 1856.0
GOAL_SAVE_NEXT = 20.0
GOAL_RESPONDENT = 15.0
SAVES = int(os.environ.get("BENCH_SAVES", "300"))
RESPONDENTS = int(os.environ.get("BENCH_RESPONDENTS", "30"))
EVIDENCE = os.environ.get("BENCH_EVIDENCE", "1") != "0"
#: A minimal PDF (filetype recognises it by its header; the evidence check reads content, not names).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="([^"]*)"')


def prepare(n_units: int) -> tuple[int, list[tuple[str, int]], dict[str, dict[str, str]]]:
    """Migrate, load criteria and units, one official per commune-level unit (n_units of them), a CQTT campaign.

    Returns (campaign id, [(username, unit id)], {group code: {field: value}} answers that pass every submit check).
    """
    import datetime as dt

    import sqlalchemy as sa

    from app import create_app
    from app.auth.services import HashCost, create_user
    from app.campaigns.services import create_campaign, latest_versions
    from app.config import Config
    from app.extensions import db
    from app.units.models import Unit

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)

    app = create_app(BenchConfig)
    with app.app_context():
        load_reference_data(app)
        units = db.session.scalars(sa.select(Unit).where(Unit.unit_type.in_(["xa", "phuong", "dac_khu"])).order_by(Unit.id)
                                   .limit(n_units)).all()
        users = []
        for n, unit in enumerate(units):
            create_user(db.session, None, username=f"resp.official{n}", password=PASSWORD, role="official", unit_id=unit.id,
                        cost=HashCost(1, 1024), system=True)
            users.append((f"resp.official{n}", unit.id))
        version = {v.code: v for v in latest_versions(db.session)}["CQTT"]
        campaign = create_campaign(db.session, None, name="CQTT respondent bench", criteria_version_id=version.id, year=2026,
                                   opens_on=dt.date(2020, 1, 1), closes_on=dt.date(2099, 12, 31),
                                   scope_unit_types=["xa", "phuong", "dac_khu"], system=True)
        answers = {}
        for group in version.criteria.groups:
            fields = {}
            for ind in group.indicators:
                value = {"boolean": "yes", "percent": "90", "number": "5", "count": "5", "text": "Có thực hiện"}.get(ind.type)
                if ind.type == "choice":
                    value = str(ind.options[0]["value"])
                fields[ind.field_name] = value
                fields[ind.field_name + "_explanation"] = f"Giải trình chỉ tiêu {ind.code}: đã thực hiện đầy đủ."
            answers[group.code] = fields
        db.session.execute(sa.text("CREATE TABLE bench_bare (id serial PRIMARY KEY, submission_id int, indicator_code text, value json, "
                                   "explanation text)"))  # the floor's table (bench/bare_app.py)
        db.session.commit()
        return campaign.id, users, answers


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data POST."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Respondent:
    """One official's browser: a cookie jar, following redirects like a browser does."""

    def __init__(self, base: str, username: str, campaign_id: int, unit_id: int):
        self.base, self.username = base, username
        self.prefix = f"/assessments/{campaign_id}/{unit_id}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.page = ""

    def get(self, path: str) -> str:
        self.page = self.opener.open(self.base + path).read().decode()
        return self.page

    def post(self, path: str, data: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> str:
        if files:
            body, ctype = multipart(data, files)
            request = urllib.request.Request(self.base + path, body, {"Content-Type": ctype})  # noqa: S310 - loopback bench server
        else:
            request = urllib.request.Request(self.base + path, urllib.parse.urlencode(data).encode())  # noqa: S310 - loopback
        self.page = self.opener.open(request).read().decode()
        return self.page

    def login(self) -> None:
        token = TOKEN.search(self.get("/login")).group(1)
        self.post("/login", {"csrf_token": token, "username": self.username, "password": PASSWORD})
        if "/logout" not in self.page:
            raise RuntimeError(f"login failed for {self.username}")

    def save(self, group: str, answers: dict[str, str], go: str, evidence: bool) -> str:
        """POST the group (from the page currently held: its token and version), follow the redirect; returns the page."""
        data = {"csrf_token": TOKEN.search(self.page).group(1), "version": VERSION.search(self.page).group(1), "go": go, **answers}
        files = {next(iter(answers)) + "_files": ("minh-chung.pdf", PDF)} if evidence else None
        page = self.post(f"{self.prefix}/groups/{group}", data, files)
        if "Đã lưu nháp nhóm" not in page:
            raise RuntimeError(f"save of {group} failed: {page[:2000]}")
        return page


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def verdict(name: str, times_ms: list[float], peer_ms: float, goal: float) -> bool:
    p50, p95 = statistics.median(times_ms), percentile(times_ms, 95)
    ratio = peer_ms / p50
    ok = ratio >= goal
    print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (n={len(times_ms)}); LimeSurvey 6.2.1 {peer_ms:,.1f} ms (issue 15) "
          f"→ {ratio:.1f}× faster; goal ≥ {goal:.0f}× (p50 ≤ {peer_ms / goal:.1f} ms): {'PASS' if ok else 'MISS'}")
    return ok


def start(app_spec: str, port: int, env: dict):
    """bench/web.py's `start` (gunicorn.conf.py), waiting up to a minute on a busy machine, and without gunicorn's control
    socket: its default path is one per machine user, so another gunicorn started meanwhile (another bench, the
    cluster test) would share it and could stop this one."""
    import socket
    import subprocess

    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "--chdir", str(ROOT), "--no-control-socket", app_spec]
    proc = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"{app_spec} did not start")


def bench() -> None:
    from bench.web import free_port

    groups_needed = RESPONDENTS + 1
    campaign_id, users, answers = prepare(groups_needed)
    codes = list(answers)
    upload_dir = tempfile.mkdtemp(prefix="datchuan-bench-uploads-")
    env = {"DATABASE_URL": PG_URL, "SECRET_KEY": "bench-" + "x" * 40, "UPLOAD_DIR": upload_dir,
           "LOGIN_RATE_LIMIT": "100000 per minute", "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2")}
    port, bare_port = free_port(), free_port()
    proc = start("wsgi:app", port, env)
    bare_proc = start("bench.bare_app:app", bare_port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        # 1. save a group and see the next page, over and over on one questionnaire (a draft: saving again is allowed)
        username, unit_id = users[-1]
        r = Respondent(base, username, campaign_id, unit_id)
        r.login()
        r.get(f"{r.prefix}/groups/{codes[0]}")
        save_next = []
        for i in range(SAVES + 20):
            code = codes[i % (len(codes) - 1)]  # G1..G3: each has a next group
            if r.page.find(f"/groups/{code}\"") < 0 and i:  # the held page is the previous group's next: open the one to save
                r.get(f"{r.prefix}/groups/{code}")
            fields = dict(answers[code])
            first = next(iter(fields))
            fields[first + "_explanation"] = f"{fields[first + '_explanation']} (lần {i})"
            start_time = time.perf_counter()
            r.save(code, fields, "next", evidence=False)
            if i >= 20:  # warm-up
                save_next.append((time.perf_counter() - start_time) * 1000)
        # 2. whole respondents, each on their own unit's fresh questionnaire
        whole = []
        for n, (username, unit_id) in enumerate(users[:-1]):
            start_time = time.perf_counter()
            r = Respondent(base, username, campaign_id, unit_id)
            r.login()
            r.get(f"{r.prefix}/")
            r.get(f"{r.prefix}/groups/{codes[0]}")
            for k, code in enumerate(codes):
                r.save(code, answers[code], "next" if k + 1 < len(codes) else "overview", evidence=EVIDENCE)
            r.get(f"{r.prefix}/submit/confirm")
            r.post(f"{r.prefix}/submit", {"csrf_token": TOKEN.search(r.page).group(1), "version": VERSION.search(r.page).group(1)})
            if "Đã gửi phiếu tự đánh giá" not in r.page:
                raise RuntimeError(f"submit failed: {r.page[:3000]}")
            if n >= 2:  # warm-up
                whole.append((time.perf_counter() - start_time) * 1000)
        # the floor, for scale on a shared machine: a bare Flask endpoint doing one INSERT, same gunicorn settings
        floor = []
        for i in range(SAVES + 20):
            start_time = time.perf_counter()
            urllib.request.urlopen(f"http://127.0.0.1:{bare_port}/save",  # noqa: S310 - loopback bench server
                                   urllib.parse.urlencode({"code": "G1.1", "value": "yes", "e": f"lần lưu {i}"}).encode()).read()
            if i >= 20:
                floor.append((time.perf_counter() - start_time) * 1000)
        print(f"cores={os.cpu_count()}; load average {os.getloadavg()[0]:.1f}; gunicorn.conf.py, WEB_CONCURRENCY={env['WEB_CONCURRENCY']}, PostgreSQL; one client at a time; "
              f"CQTT ({len(codes)} groups)")
        print(f"floor: one bare INSERT through a bare Flask endpoint (POST → 200): p50 {statistics.median(floor):.1f} ms, "
              f"p95 {percentile(floor, 95):.1f} ms")
        verdict("save a group and see the next page (POST → 302 → GET)", save_next, PEER_SAVE_NEXT_MS, GOAL_SAVE_NEXT)
        evidence_note = "one PDF per group" if EVIDENCE else "no files"
        verdict(f"a whole respondent (log in, overview, {len(codes)} saves + next page ({evidence_note}), confirm, submit)",
                whole, PEER_RESPONDENT_MS, GOAL_RESPONDENT)
    finally:
        for server in (proc, bare_proc):
            server.terminate()
            server.wait(10)


def profile() -> None:
    """cProfile of the save + next page through the test client (same app, same PostgreSQL, no HTTP server)."""
    import cProfile
    import pstats

    from app import create_app
    from app.config import Config

    campaign_id, users, answers = prepare(1)
    codes = list(answers)
    username, unit_id = users[0]

    class ProfileConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        UPLOAD_DIR = tempfile.mkdtemp(prefix="datchuan-profile-uploads-")

    app = create_app(ProfileConfig)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": TOKEN.search(page).group(1), "username": username, "password": PASSWORD})
    prefix = f"/assessments/{campaign_id}/{unit_id}"
    page = client.get(f"{prefix}/groups/{codes[0]}").get_data(as_text=True)
    rounds = int(os.environ.get("BENCH_PROFILE_SAVES", "200"))

    def one(i: int) -> str:
        nonlocal page
        code = codes[i % (len(codes) - 1)]
        if i and f"/groups/{code}\"" not in page:
            page = client.get(f"{prefix}/groups/{code}").get_data(as_text=True)
        data = {"csrf_token": TOKEN.search(page).group(1), "version": VERSION.search(page).group(1), "go": "next", **answers[code]}
        data[next(iter(answers[code])) + "_explanation"] += f" (lần {i})"
        page = client.post(f"{prefix}/groups/{code}", data=data, follow_redirects=True).get_data(as_text=True)
        assert "Đã lưu nháp nhóm" in page, page[:2000]  # noqa: S101 - a bench sanity check
        return page

    for i in range(20):
        one(i)
    if os.environ.get("BENCH_SQL"):  # the statements of one save + next page
        import sqlalchemy as sa

        from app.extensions import db

        with app.app_context():
            engine = db.engine
        statements = []
        sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())[:300]))
        one(20)
        print(f"{len(statements)} statements in one save + next page:")
        for text in statements:
            print("  ", text)
        return
    rounds_plain = int(os.environ.get("BENCH_PLAIN_SAVES", "150"))
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(20, 20 + rounds_plain):
        one(i)
    cpu, wall = (time.process_time() - cpu) * 1000 / rounds_plain, (time.perf_counter() - wall) * 1000 / rounds_plain
    print(f"save + next page through the test client, no profiler: {cpu:.1f} ms CPU of this process (app + client), "
          f"{wall:.1f} ms wall each ({rounds_plain} rounds)")
    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for PostgreSQL is not the app's work
    start_time = time.perf_counter()
    profiler.enable()
    for i in range(20 + rounds_plain, 20 + rounds_plain + rounds):
        one(i)
    profiler.disable()
    elapsed = (time.perf_counter() - start_time) * 1000 / rounds
    print(f"save + next page through the test client, under cProfile: {elapsed:.1f} ms each ({rounds} rounds)")
    if os.environ.get("BENCH_PROFILE_DUMP"):
        profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(int(os.environ.get("BENCH_PROFILE_TOP", "30")))
    stats.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_PROFILE_TOP", "45")))


if __name__ == "__main__":
    profile() if "--profile" in sys.argv else bench()
