"""Benchmarks under gunicorn (same settings for both servers), against a floor measured in the same run:

1. throughput of saving a questionnaire group through the app vs a bare Flask endpoint doing one
   equivalent INSERT (goal: the app reaches ≥ 50 % of the floor's requests per second);
2. the largest worker RSS after 1,000 mixed requests (goal ≤ 150 MB);
3. the questionnaire page's weight with every asset it loads, and any external request (goal ≤ 150 KB, none).

Needs PG_URL (run through `make bench`, which starts a throwaway PostgreSQL). Not a test.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import load_reference_data, stop_all  # noqa: E402

PG_URL = os.environ["PG_URL"]
SAVES = int(os.environ.get("BENCH_SAVES", "400"))
CLIENTS = 4
PASSWORD = "bench-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WARDS = ["Phường Hồng Bàng", "Phường Lê Chân", "Phường Ngô Quyền", "Phường Kiến An"]


def prepare() -> tuple[int, list[int]]:
    """Migrate, load criteria and units, one official per client (own ward) and the CQTT campaign."""
    import datetime as dt

    import sqlalchemy as sa

    from app import create_app
    from app.auth.services import HashCost, create_user
    from app.campaigns.services import create_campaign, latest_versions
    from app.config import Config
    from app.extensions import db
    from app.units.services import find_by_name

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)

    app = create_app(BenchConfig)
    with app.app_context():
        load_reference_data(app)
        units = [find_by_name(db.session, name) for name in WARDS[:CLIENTS]]
        for n, unit in enumerate(units):
            create_user(db.session, None, username=f"bench.official{n}", password=PASSWORD, role="official", unit_id=unit.id,
                        cost=HashCost(1, 1024), system=True)
        version = {v.code: v for v in latest_versions(db.session)}["CQTT"]
        campaign = create_campaign(db.session, None, name="CQTT bench", criteria_version_id=version.id, year=2026,
                                   opens_on=dt.date(2020, 1, 1), closes_on=dt.date(2099, 12, 31), scope_unit_types=["phuong"], system=True)
        db.session.execute(sa.text("CREATE TABLE bench_bare (id serial PRIMARY KEY, submission_id int, indicator_code text, value json, "
                                   "explanation text)"))
        db.session.commit()
        return campaign.id, [u.id for u in units]


def start(app_spec: str, port: int, env: dict) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "--chdir", str(ROOT), app_spec]
    proc = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app_spec} did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A save answers 302 (POST/redirect/GET); the bench times the save, not the page it redirects to."""

    def redirect_request(self, *args, **kwargs):
        return None


def client(base: str, username: str, follow: bool = True):
    jar = http.cookiejar.CookieJar()
    handlers = [urllib.request.HTTPCookieProcessor(jar)] + ([] if follow else [NoRedirect()])
    opener = urllib.request.build_opener(*handlers)
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    opener.open(base + "/login", urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode())
    return opener


def run_parallel(fn, total: int) -> float:
    """Run fn(i, thread) total times over CLIENTS threads (each thread is one user); return requests per second."""
    counter = iter(range(total))
    lock = threading.Lock()

    def work(t: int):
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            fn(i, t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(CLIENTS)]
    start_time = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - start_time)


def worker_rss_each(master: subprocess.Popen) -> dict[int, float]:
    """The resident set size in MB of every gunicorn worker of `master` (the gunicorn Popen), by worker pid.

    A worker that exits between the listing and the read (gunicorn's max_requests restart) is left out."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True).stdout.split()  # noqa: S603,S607
    sizes: dict[int, float] = {}
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+)", status)
        if found:
            sizes[int(pid)] = int(found.group(1)) / 1024
    return sizes


def worker_rss_mb(master: subprocess.Popen) -> float:
    """The largest worker RSS of `master` in MB (0 without workers)."""
    return max(worker_rss_each(master).values(), default=0.0)


def page_weight(base: str, opener, path: str) -> tuple[int, list[str], list[str]]:
    html = opener.open(base + path).read()
    total = len(html)
    text = html.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', text)
    external = re.findall(r'(?:href|src)="(https?://[^"]+)"', text)
    seen = set()
    for asset in assets:
        if asset in seen:
            continue
        seen.add(asset)
        body = opener.open(base + asset).read()
        total += len(body)
        if asset.endswith(".css"):
            for font in re.findall(r'url\("?([^")]+)"?\)', body.decode()):
                url = urllib.parse.urljoin(asset, font)
                if url.startswith("http"):
                    external.append(url)
                elif url not in seen:
                    seen.add(url)
                    total += len(opener.open(base + url).read())
    return total, sorted(seen), external


def main() -> None:
    campaign_id, unit_ids = prepare()
    env = {"DATABASE_URL": PG_URL, "SECRET_KEY": "bench-" + "x" * 40, "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "")}
    env = {k: v for k, v in env.items() if v}
    app_port, bare_port = free_port(), free_port()
    app_proc = start("wsgi:app", app_port, env)
    bare_proc = start("bench.bare_app:app", bare_port, env)
    try:
        base = f"http://127.0.0.1:{app_port}"
        group_paths = [f"/assessments/{campaign_id}/{u}/groups/G1" for u in unit_ids]
        openers = [client(base, f"bench.official{t}") for t in range(CLIENTS)]
        tokens = [re.search(r'name="csrf_token"[^>]*value="([^"]+)"', o.open(base + p).read().decode()).group(1)
                  for o, p in zip(openers, group_paths, strict=True)]

        savers = []
        for _t, opener in enumerate(openers):  # same session cookies, but without following the redirect
            saver = urllib.request.build_opener(*[h for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)],
                                                NoRedirect())
            savers.append(saver)

        def save(i: int, t: int) -> None:
            data = {"csrf_token": tokens[t], "version": "", "go": "stay", "ind_G1_1": "yes", "ind_G1_2": str(3 + i % 5),
                    "ind_G1_3": "100", "ind_G1_4": "yes", "ind_G1_1_explanation": f"lần lưu {i}"}
            try:
                savers[t].open(base + group_paths[t], urllib.parse.urlencode(data).encode()).read()
            except urllib.error.HTTPError as exc:
                if exc.code != 302:
                    raise

        def bare(i: int, t: int) -> None:
            urllib.request.urlopen(f"http://127.0.0.1:{bare_port}/save",  # noqa: S310 - loopback bench server
                                   urllib.parse.urlencode({"code": "G1.1", "value": "yes", "e": f"lần lưu {i}"}).encode()).read()

        run_parallel(save, 20)
        run_parallel(bare, 20)
        app_rps = run_parallel(save, SAVES)
        bare_rps = run_parallel(bare, SAVES)
        share = 100 * app_rps / bare_rps
        print(f"cores={os.cpu_count()}; gunicorn.conf.py for both; {CLIENTS} concurrent clients, {SAVES} requests each")
        print(f"save a questionnaire group (POST → 302): app {app_rps:.0f} req/s, bare INSERT endpoint {bare_rps:.0f} req/s "
              f"→ {share:.0f}% of the floor (goal ≥ 50%: {'met' if share >= 50 else 'MISSED'})")

        def mixed(i: int, t: int) -> None:
            paths = [group_paths[t], f"/assessments/{campaign_id}/{unit_ids[t]}/", "/assessments/", "/notifications/",
                     f"/assessments/{campaign_id}/{unit_ids[t]}/groups/G2"]
            if i % 5 == 4:
                save(i, t)
            else:
                openers[t].open(base + paths[i % len(paths)]).read()

        run_parallel(mixed, 1000)
        rss = worker_rss_mb(app_proc)
        print(f"largest worker RSS after 1,000 mixed requests: {rss:.0f} MB (goal ≤ 150 MB: {'met' if rss <= 150 else 'MISSED'})")
        total, assets, external = page_weight(base, openers[0], group_paths[0])
        print(f"questionnaire page with all assets: {total / 1024:.0f} KB ({len(assets)} assets), external requests: {len(external)} "
              f"(goal ≤ 150 KB and none: {'met' if total <= 150 * 1024 and not external else 'MISSED'})")
    finally:
        stop_all((app_proc, bare_proc), 10)


if __name__ == "__main__":
    main()
