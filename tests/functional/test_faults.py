"""Faults: the database goes away in the middle of a save → a clear error page, the user's input shown
back, nothing half-written. On PostgreSQL the server really drops the connection (pg_terminate_backend)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import Answer
from tests.functional.test_journey import group_url, version_of


def test_database_lost_mid_save(client, world, app):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    version = version_of(client, url)
    engine = db.engine
    state = {"armed": True}

    def cut(conn, cursor, statement, parameters, context, executemany):
        if state["armed"] and statement.lstrip().upper().startswith("INSERT INTO ANSWERS"):
            state["armed"] = False
            if engine.dialect.name == "postgresql":
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as killer:
                    killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            else:
                raise sa.exc.OperationalError(statement, parameters, Exception("database is unavailable"))

    sa.event.listen(engine, "before_cursor_execute", cut)
    try:
        response = client.post_form(url, {"version": version, pct.field_name: "77", boolean.field_name: "yes",
                                          boolean.field_name + "_explanation": "Đã có quy chế công khai số 12"},
                                    content_type="multipart/form-data")
    finally:
        sa.event.remove(engine, "before_cursor_execute", cut)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "dữ liệu CHƯA được lưu" in html and "Đã có quy chế công khai số 12" in html and "77" in html
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0  # nothing half-written
    # The app recovers on the next request.
    assert client.get(url).status_code == 200
