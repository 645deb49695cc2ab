"""A real `flask worker` on PostgreSQL is killed (SIGKILL) or frozen (SIGSTOP) at 85 % of a PDF export.

The worker runs tests/jobs_slow_app.py: the real app whose PDF rendering waits for a file, so the test knows
the job is at 85 % before it kills the worker. "Time passes" by moving the recorded heartbeats back an hour
(the database's clock and the worker's cannot be frozen from here). Skipped without PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404 - starts the app's own worker
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.extensions import db
from app.jobs.models import ExportJob
from tests.reports_fixture import build

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="procrastinate workers need PostgreSQL (set TEST_DATABASE_URL, e.g. via scripts/with-postgres.sh)")
STALLED = "Tiến trình xử lý bị dừng giữa chừng"


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    app.config["JOBS_BACKEND"] = "procrastinate"
    yield build(app, make_unit, make_user, make_campaign)
    app.config["JOBS_BACKEND"] = "sync"


class Workers:
    """Start `flask worker` processes on the test database; every one is stopped at the end of the test."""

    def __init__(self, app, folder: Path) -> None:
        self.folder = folder
        self.env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
                    "SLOW_JOB_DIR": str(folder), "SECRET_KEY": app.config["SECRET_KEY"], "JOBS_BACKEND": "auto",
                    "JOB_AUTO_RETRIES": str(app.config["JOB_AUTO_RETRIES"]), "LOG_LEVEL": "INFO"}
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = self.folder / f"worker-{len(self.procs) + 1}.log"
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "tests.jobs_slow_app:application", "worker", *args],  # noqa: S603  # nosec B603
                                cwd=PROJECT_ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def log(self, proc: subprocess.Popen) -> str:
        return next(log for p, log in self.procs if p is proc).read_text(encoding="utf-8", errors="replace")

    def wait_paused(self, proc: subprocess.Popen) -> None:
        """Block until the worker announces it is at 85 % (bounded: a broken worker fails the test, not hangs it)."""
        deadline = time.monotonic() + 180
        while not (self.folder / f"paused-{proc.pid}").exists():
            assert proc.poll() is None, f"worker exited early:\n{self.log(proc)}"
            assert time.monotonic() < deadline, f"worker never reached 85 %:\n{self.log(proc)}"
            time.sleep(0.05)

    def finish(self, proc: subprocess.Popen) -> None:
        """Wait for a worker started with --once (or asked to stop) to exit; it must exit cleanly."""
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker did not finish:\n{self.log(proc)}")

    def stop_all(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait(timeout=30)


@pytest.fixture
def workers(app, tmp_path):
    folder = tmp_path / "slow"
    folder.mkdir()
    pool = Workers(app, folder)
    yield pool
    pool.stop_all()


def _export(client) -> tuple[int, str]:
    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "pdf", "set_code": "CQTT", "year": "2026"}, token_from="/reports/plan")
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1]), response.location


def _job(job_id: int) -> ExportJob:
    db.session.expire_all()
    return db.session.get(ExportJob, job_id)


def _an_hour_passes(job_id: int) -> None:
    """Age the export's heartbeat and every procrastinate worker's heartbeat by an hour."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE export_jobs SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = :id"), {"id": job_id})
        conn.execute(sa.text("UPDATE procrastinate_workers SET last_heartbeat = last_heartbeat - interval '1 hour'"))


def _queue_states() -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs WHERE task_name = 'datchuan.export' ORDER BY id")).scalars())


def _exports(app) -> list[str]:
    return sorted(p.name for p in (Path(app.config["UPLOAD_DIR"]) / "exports").iterdir())


def test_killed_worker_job_is_retried_by_the_next_worker_and_completes_once(client, data, app, workers):
    job_id, url = _export(client)
    first = workers.start()
    workers.wait_paused(first)
    job = _job(job_id)
    assert (job.status, job.progress, job.attempt) == ("running", 85, 1)
    page = client.get(url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page  # alive: the page keeps following it

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    _an_hour_passes(job_id)
    (workers.folder / "go").touch()
    second = workers.start("--once")  # detects the stalled job on start, queues it again, runs it
    workers.finish(second)
    assert second.returncode == 0, workers.log(second)

    job = _job(job_id)
    assert (job.status, job.progress, job.attempt, job.auto_retries) == ("done", 100, 2, 1), workers.log(second)
    assert _queue_states() == ["failed", "succeeded"]  # the dead worker's queue job closed, one new run
    assert _exports(app) == [job.stored_name]
    finished = job.finished_at

    third = workers.start("--once")  # a worker restarted after the job completed finds nothing to run again
    workers.finish(third)
    assert third.returncode == 0, workers.log(third)
    job = _job(job_id)
    assert (job.status, job.attempt, job.auto_retries, job.finished_at) == ("done", 2, 1, finished)
    assert _queue_states() == ["failed", "succeeded"]
    assert _exports(app) == [job.stored_name]
    page = client.get(url).get_data(as_text=True)
    assert "Đã xong." in page and 'http-equiv="refresh"' not in page
    assert client.get(url + "/download").data.startswith(b"%PDF")


def test_stalled_job_fails_then_the_retry_button_runs_it_and_the_woken_worker_loses(client, data, app, workers):
    app.config["JOB_AUTO_RETRIES"] = 0
    workers.env["JOB_AUTO_RETRIES"] = "0"
    job_id, url = _export(client)
    first = workers.start()
    workers.wait_paused(first)
    first.send_signal(signal.SIGSTOP)  # frozen at 85 %, not dead: it will wake up later
    _an_hour_passes(job_id)

    page = client.get(url).get_data(as_text=True)
    assert STALLED in page and 'http-equiv="refresh"' not in page and "Chạy lại" in page
    assert _job(job_id).status == "failed"
    retry = client.post_form(url + "/retry", {}, token_from=url)
    assert retry.status_code == 302
    assert _job(job_id).status == "queued"

    (workers.folder / "go").touch()
    second = workers.start("--once")
    workers.finish(second)
    job = _job(job_id)
    assert (job.status, job.attempt) == ("done", 2), workers.log(second)
    winner, finished, name = job.stored_name, job.finished_at, job.download_name
    assert _exports(app) == [winner]

    first.send_signal(signal.SIGCONT)  # the zombie finishes its PDF...
    first.send_signal(signal.SIGTERM)  # ...and then stops (procrastinate waits for the running job)
    workers.finish(first)
    assert "lost its lease" in workers.log(first)
    job = _job(job_id)
    # Completed once: the woken run's "done" write matched no row (its lease is attempt 1), so the winner's
    # result, file name and completion time stand, and no second file was left behind.
    assert (job.status, job.attempt, job.stored_name, job.finished_at, job.download_name) == ("done", 2, winner, finished, name)
    assert _exports(app) == [winner]  # the loser deleted its file
    assert client.get(url + "/download").data.startswith(b"%PDF")
