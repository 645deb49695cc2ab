"""Export jobs whose worker stops: stall detection (frozen clock), the retry button, a run that finishes once.

These run on SQLite (and PostgreSQL) with the sync backend; tests/functional/test_worker_killed.py kills a
real `flask worker` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine

from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import ExportJob
from tests.reports_fixture import build

T0 = dt.datetime(2026, 11, 29, 3, 0, 0, tzinfo=dt.UTC)
STALLED = "Tiến trình xử lý bị dừng giữa chừng"


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


def _viewer_id() -> int:
    from app.auth.models import User

    return db.session.query(User).filter_by(username="xem").one().id


def _running_job(user_id: int, heartbeat: dt.datetime | None, attempt: int = 1, progress: int = 85) -> ExportJob:
    """The row a killed worker leaves behind: running at 85 %, last heartbeat at `heartbeat`."""
    job = ExportJob(user_id=user_id, kind="report", fmt="pdf", status="running", progress=progress, attempt=attempt,
                    heartbeat_at=heartbeat, params={"filter": {"set_code": "CQTT", "year": 2026, "unit_type": ""}, "sections": ["plan", "ranking"]})
    db.session.add(job)
    db.session.commit()
    return job


def _exports(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"]) / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _reload(job_id: int) -> ExportJob:
    db.session.expire_all()
    return db.session.get(ExportJob, job_id)


def test_stall_is_detected_after_job_stall_seconds_with_a_frozen_clock(app, make_user):
    user = make_user("xem", "viewer")
    stall = app.config["JOB_STALL_SECONDS"]
    assert app.config["JOB_AUTO_RETRIES"] == 1
    with time_machine.travel(T0, tick=False) as clock:
        job = _running_job(user.id, heartbeat=T0)
        clock.shift(dt.timedelta(seconds=stall))  # exactly JOB_STALL_SECONDS: still alive
        assert not jobs.is_stalled(job)
        assert jobs.recover_stalled(db.session) == []
        assert _reload(job.id).status == "running"

        clock.shift(dt.timedelta(seconds=1))  # one second more: stalled, and retried automatically once
        assert jobs.is_stalled(_reload(job.id))
        assert jobs.recover_stalled(db.session) == [job.id]
        db.session.commit()
        job = _reload(job.id)
        assert (job.status, job.progress, job.auto_retries, job.attempt) == ("queued", 0, 1, 1)
        assert jobs.recover_stalled(db.session) == []  # a second sweeper changes nothing

        assert jobs._claim(db.session, job.id) == 2  # the next run takes the lease
        clock.shift(dt.timedelta(seconds=stall + 1))  # and dies too: no second automatic retry
        assert jobs.recover_stalled(db.session) == []
        db.session.commit()
        job = _reload(job.id)
        assert job.status == "failed" and job.error.startswith(STALLED + " (máy chủ có thể đã khởi động lại)")
        assert job.finished_at.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(seconds=2 * stall + 2)


def test_stalled_message_is_in_the_owners_language_and_old_rows_without_heartbeat_count(app, make_user):
    user = make_user("reader", "viewer")
    user.locale = "en"
    db.session.commit()
    app.config["JOB_AUTO_RETRIES"] = 0
    job = _running_job(user.id, heartbeat=None)  # a row left running before heartbeats existed
    assert jobs.is_stalled(job)
    jobs.recover_stalled(db.session)
    db.session.commit()
    assert _reload(job.id).error.startswith("The background worker stopped part-way")


def test_a_heartbeat_is_written_only_while_the_run_holds_its_lease(app, make_user):
    user = make_user("xem", "viewer")
    with time_machine.travel(T0, tick=False) as clock:
        job = _running_job(user.id, heartbeat=T0, attempt=3)
        beat = jobs._Heartbeat(app, job.id, 3)
        clock.shift(dt.timedelta(seconds=600))
        assert beat.beat() is True
        assert _reload(job.id).heartbeat_at.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(seconds=600)
        assert jobs._Heartbeat(app, job.id, 2).beat() is False  # an older attempt writes nothing
        assert _reload(job.id).heartbeat_at.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(seconds=600)


def test_stalled_job_page_stops_reloading_and_its_retry_button_works(client, data, app):
    app.config["JOB_AUTO_RETRIES"] = 0
    stall = app.config["JOB_STALL_SECONDS"]
    job = _running_job(_viewer_id(), heartbeat=jobs.now_utc() - dt.timedelta(seconds=stall + 5))
    url = f"/reports/exports/{job.id}"
    client.login("xem")
    page = client.get(url).get_data(as_text=True)
    assert STALLED in page and "Không tạo được tệp." in page
    assert 'http-equiv="refresh"' not in page
    assert f'action="{url}/retry"' in page and 'name="csrf_token"' in page and "Chạy lại" in page
    assert _reload(job.id).status == "failed"

    retry = client.post_form(url + "/retry", {}, token_from=url)
    assert retry.status_code == 302 and retry.location.endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "Đã xong." in page and 'http-equiv="refresh"' not in page
    job = _reload(job.id)
    assert (job.status, job.attempt, job.progress, job.error) == ("done", 2, 100, "")
    assert _exports(app) == [job.stored_name]
    assert client.get(url + "/download").data.startswith(b"%PDF")


def test_retry_of_a_stalled_running_job_is_accepted_and_of_a_healthy_one_is_a_no_op(client, data, app):
    stall = app.config["JOB_STALL_SECONDS"]
    client.login("xem")
    healthy = _running_job(_viewer_id(), heartbeat=jobs.now_utc())
    url = f"/reports/exports/{healthy.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Chạy lại" not in page
    assert client.post_form(url + "/retry", {}, token_from=url).status_code == 302
    assert (_reload(healthy.id).status, _reload(healthy.id).attempt) == ("running", 1)  # not started twice

    stalled = _running_job(_viewer_id(), heartbeat=jobs.now_utc() - dt.timedelta(seconds=stall + 5))
    url = f"/reports/exports/{stalled.id}"
    response = client.post_form(url + "/retry", {}, token_from="/reports/plan")  # straight from an old page: not 409
    assert response.status_code == 302
    assert (_reload(stalled.id).status, _reload(stalled.id).attempt) == ("done", 2)


def test_stalled_job_is_retried_automatically_when_its_page_is_read(client, data, app):
    stall = app.config["JOB_STALL_SECONDS"]
    job = _running_job(_viewer_id(), heartbeat=jobs.now_utc() - dt.timedelta(seconds=stall + 5))
    client.login("xem")
    page = client.get(f"/reports/exports/{job.id}").get_data(as_text=True)
    assert "Đã xong." in page
    job = _reload(job.id)
    assert (job.status, job.attempt, job.auto_retries) == ("done", 2, 1)
    assert _exports(app) == [job.stored_name]


def test_a_run_that_wakes_up_after_its_retry_cannot_finish_twice(client, data, app, monkeypatch):
    """Run 1 stalls at 85 % (PDF rendering); it is presumed dead, run 2 completes; then run 1 wakes up."""
    from app import pdf

    real = pdf.render_pdf
    stall = app.config["JOB_STALL_SECONDS"]
    seen = {}

    with time_machine.travel(T0, tick=False) as clock:
        def zombie_render(html, *args, **kwargs):
            if "first" in seen:
                return real(html, *args, **kwargs)
            job_id = db.session.query(ExportJob.id).scalar()
            job = _reload(job_id)
            seen["first"] = (job.status, job.progress, job.attempt)
            clock.shift(dt.timedelta(seconds=stall + 1))  # run 1 is silent for longer than JOB_STALL_SECONDS
            assert jobs.recover_stalled(db.session) == [job_id]
            db.session.commit()
            jobs.run_job(job_id)  # run 2, as another worker would
            seen["second"] = _reload(job_id).stored_name
            seen["files_before_wake"] = _exports(app)
            return real(html, *args, **kwargs)  # run 1 wakes up with a finished PDF

        monkeypatch.setattr(pdf, "render_pdf", zombie_render)
        client.login("xem")
        response = client.post_form("/reports/exports", {"fmt": "pdf", "set_code": "CQTT", "year": "2026"}, token_from="/reports/plan")

    job_id = int(response.location.rsplit("/", 1)[1])
    assert seen["first"] == ("running", 85, 1)
    job = _reload(job_id)
    assert (job.status, job.attempt, job.stored_name) == ("done", 2, seen["second"])
    assert seen["files_before_wake"] == [seen["second"]]
    assert _exports(app) == [seen["second"]]  # run 1's file was deleted, not left orphaned
    client.login("xem")  # the frozen clock left the session idle for hours: a new login, as a person would
    assert client.get(response.location + "/download").data.startswith(b"%PDF")


def test_job_queued_too_long_stops_reloading_and_can_be_sent_again(client, data, app):
    stall = app.config["JOB_STALL_SECONDS"]
    old = jobs.now_utc() - dt.timedelta(seconds=stall + 5)
    job = ExportJob(user_id=_viewer_id(), kind="report", fmt="xlsx", status="queued", created_at=old,
                    params={"filter": {"set_code": "CQTT", "year": 2026, "unit_type": ""}, "sections": ["ranking"]})
    db.session.add(job)
    db.session.commit()
    url = f"/reports/exports/{job.id}"
    client.login("xem")
    page = client.get(url).get_data(as_text=True)
    assert "Yêu cầu đã chờ lâu mà chưa được xử lý" in page and 'http-equiv="refresh"' not in page and "Chạy lại" in page
    assert client.post_form(url + "/retry", {}, token_from=url).status_code == 302
    job = _reload(job.id)
    assert (job.status, job.attempt) == ("done", 1)
    assert _exports(app) == [job.stored_name]


def test_worker_refuses_a_stall_time_a_live_job_could_exceed(app, runner):
    app.config.update(JOB_HEARTBEAT_SECONDS=60, JOB_STALL_SECONDS=120)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "JOB_STALL_SECONDS must be at least three times JOB_HEARTBEAT_SECONDS" in result.output
