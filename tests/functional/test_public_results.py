"""Public results (/cong-khai/) and open data: only final recognitions, nothing personal, cacheable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.certificates import services as certs
from app.decisions.services import create_decision
from app.extensions import db
from app.review.models import Appraisal, RecognitionDecision
from app.submissions.models import Evidence, Submission
from app.units.models import Unit
from tests.reports_fixture import build

SIGNER = "Lê Văn Người Ký"
REVOKED_SIGNER = "Trần Thị Ký Thu Hồi"


@pytest.fixture
def public_world(app, make_unit, make_user, make_campaign):
    """reports_fixture.build (2026: A recognised by 01/QĐ, B returned with a comment, C rejected 93,75, E submitted;
    2025: A approved), then: A's 2026 certificate issued; A's 2025 recognised by 02/QĐ-TH whose certificate is revoked
    (a withdrawn recognition); every user given a distinctive full name."""
    data = build(app, make_unit, make_user, make_campaign)
    admin = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    for user in db.session.scalars(sa.select(User)):
        user.full_name = f"Họ Tên Riêng {user.id}"
    first = db.session.scalar(sa.select(RecognitionDecision).where(RecognitionDecision.number == "01/QĐ"))
    first.signer_name = SIGNER
    first.issuing_body = "UBND thành phố Hải Phòng"
    with app.test_request_context():
        valid = certs.issue_for_decision(db.session, admin, first.id)[0]
        old_sub = db.session.scalar(sa.select(Submission).where(Submission.campaign_id == data["old"].id))
        second = create_decision(db.session, admin, data["old"].id, number="02/QĐ-TH", decided_on=dt.date(2025, 12, 20),
                                        signer_name=REVOKED_SIGNER, signer_title="Chủ tịch", issuing_body="UBND Thu Hồi",
                                        submission_ids=[old_sub.id], scan=None, max_bytes=10**6)
        revoked = certs.issue_for_decision(db.session, admin, second.id)[0]
        certs.revoke(db.session, admin, revoked.id, "Sai sót hồ sơ")
    db.session.commit()
    return {**data, "valid": valid, "revoked": revoked, "decision": first}


def _pages(client, world) -> dict[str, str]:
    """Every public page and data file as text."""
    paths = ["/cong-khai/", "/cong-khai/?lang=en", "/cong-khai/bo/CQTT/2026", "/cong-khai/bo/CQTT/2025", "/cong-khai/du-lieu.csv",
             "/cong-khai/tien-do.csv", "/cong-khai/du-lieu.json", "/cong-khai/bo/CQTT/2026?lang=en"]
    paths += [f"/cong-khai/don-vi/{u.code}" for u in world["units"].values()]
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        out[path] = response.get_data(as_text=True)
    return out


def test_recognised_unit_with_decision_and_verify_link(client, public_world):
    index = client.get("/cong-khai/").get_data(as_text=True)
    assert "/cong-khai/bo/CQTT/2026" in index and "1 đơn vị được công nhận" in index
    page = client.get("/cong-khai/bo/CQTT/2026").get_data(as_text=True)
    today = public_world["decision"].decided_on.strftime("%d/%m/%Y")
    for expected in ("Phường An", "01/QĐ", today, "UBND thành phố Hải Phòng", f'href="/verify/{public_world["valid"].verify_code}"',
                     public_world["valid"].number, f'href="/cong-khai/don-vi/{public_world["units"]["A"].code}"'):
        assert expected in page, expected
    unit_page = client.get(f"/cong-khai/don-vi/{public_world['units']['A'].code}").get_data(as_text=True)
    assert "01/QĐ" in unit_page and today in unit_page and "2026" in unit_page and f"/verify/{public_world['valid'].verify_code}" in unit_page
    # the verify link leads to the existing public verify page, which confirms the certificate
    verify = client.get(f"/verify/{public_world['valid'].verify_code}")
    assert verify.status_code == 200 and "Phường An" in verify.get_data(as_text=True)


def test_nothing_that_is_not_final_and_nothing_personal(client, public_world):
    pages = _pages(client, public_world)
    forbidden = [SIGNER, REVOKED_SIGNER, "Họ Tên Riêng", "02/QĐ-TH", "UBND Thu Hồi", public_world["revoked"].number,
                 public_world["revoked"].verify_code, "Sai sót hồ sơ", "Thiếu minh chứng", "Không đạt chỉ tiêu cốt lõi",
                 "Trả lại bổ sung", "Đang thẩm định", "Không chấp thuận", "Đã gửi", "canbo.", "thamdinh", "quantri"]
    for sub in db.session.scalars(sa.select(Submission)):
        for score in (sub.self_score, sub.final_score):
            if score is not None and score != int(score):  # 93,75 and the like (100 also appears as a target value)
                forbidden += [f"{score:.2f}", f"{score:.2f}".replace(".", ",")]
    forbidden += [c for (c,) in db.session.execute(sa.select(Appraisal.comment)) if c]
    for ev in db.session.scalars(sa.select(Evidence)):
        forbidden += [ev.original_name, ev.stored_name]
    assert any(f.endswith("pdf") or f.endswith("docx") or f.endswith("png") or f.endswith("xlsx") for f in forbidden)  # evidence seeded
    assert any(re.fullmatch(r"\d+,\d\d", f) for f in forbidden)  # a score under review / rejected is seeded
    for path, text in pages.items():
        for word in forbidden:
            assert word not in text, (path, word)
    # not recognised in 2026: B (returned), C (rejected), E (submitted) are not listed as recognised
    listed = pages["/cong-khai/bo/CQTT/2026"] + pages["/cong-khai/du-lieu.csv"] + pages["/cong-khai/du-lieu.json"]
    for key in ("B", "C", "D", "E"):
        assert public_world["units"][key].name not in listed
    # the withdrawn 2025 recognition is neither listed nor counted
    assert "Chưa có đơn vị nào được công nhận" in pages["/cong-khai/bo/CQTT/2025"]
    assert "Phường An" not in pages["/cong-khai/bo/CQTT/2025"]


def test_progress_counts_only_valid_recognitions(client, public_world, app):
    from app.public import services

    with app.test_request_context():
        rows = services.progress(db.session, dt.date(2026, 6, 30))
    assert rows and all(r.set_code for r in rows)
    cqtt = [r for r in rows if r.set_code == "CQTT"]
    assert cqtt and all(r.recognised == 1 for r in cqtt)  # A in 2026; A's withdrawn 2025 recognition is not counted
    page = client.get("/cong-khai/").get_data(as_text=True)
    assert '<cite class="citation"' in page  # each target with its source in words
    assert "Tiến độ so với mục tiêu" in page


def test_etag_304_and_cache_headers(client, public_world, app):
    first = client.get("/cong-khai/bo/CQTT/2026")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers.get("Last-Modified")
    again = client.get("/cong-khai/bo/CQTT/2026", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=300"
    english = client.get("/cong-khai/bo/CQTT/2026?lang=en")
    assert english.headers["ETag"] != etag and "Recognition decision" in english.get_data(as_text=True)
    for path in ("/cong-khai/", "/cong-khai/du-lieu.csv", "/cong-khai/du-lieu.json", f"/cong-khai/don-vi/{public_world['units']['A'].code}"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # a change of the data (the certificate revoked) changes the ETag: the old one no longer gets 304
    admin = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    certs.revoke(db.session, admin, public_world["valid"].id, "Thu hồi thử")
    db.session.commit()
    after = client.get("/cong-khai/bo/CQTT/2026", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "Phường An" not in after.get_data(as_text=True)


def test_open_data_csv_and_json(client, public_world, app):
    raw = client.get("/cong-khai/du-lieu.csv")
    assert raw.headers["Content-Type"] == "text/csv; charset=utf-8" and raw.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Mã bộ tiêu chí", "Bộ tiêu chí", "Năm"] and header[-2:] == ["Giấy phép dữ liệu", "Cập nhật lần cuối"]
    assert len(body) == 1
    row = dict(zip(header, body[0], strict=True))
    assert row["Đơn vị"] == "Phường An" and row["Số quyết định"] == "01/QĐ" and row["Năm"] == "2026"
    assert row["Ngày quyết định"] == public_world["decision"].decided_on.strftime("%d/%m/%Y")
    assert row["Cơ quan ban hành"] == "UBND thành phố Hải Phòng" and row["Số giấy chứng nhận"] == public_world["valid"].number
    assert row["Địa chỉ xác minh"].endswith(f"/verify/{public_world['valid'].verify_code}")
    assert row["Giấy phép dữ liệu"].startswith("CC BY 4.0 (mặc định có thể cấu hình")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", row["Cập nhật lần cuối"])
    progress = list(csv.reader(io.StringIO(client.get("/cong-khai/tien-do.csv").data.decode("utf-8-sig"))))
    assert progress[0][0] == "Mã bộ tiêu chí" and len(progress) > 1 and progress[1][-1] == row["Cập nhật lần cuối"]
    document = json.loads(client.get("/cong-khai/du-lieu.json").data)
    assert document["licence"] == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/", "configured": False,
                                   "note": "Configurable default of the software (PUBLIC_DATA_LICENCE), not a decision of the city."}
    assert document["last_updated"] == row["Cập nhật lần cuối"]
    [rec] = document["recognitions"]
    assert rec["unit_name"] == "Phường An" and rec["year"] == 2026 and rec["set_code"] == "CQTT"
    assert rec["decision"] == {"number": "01/QĐ", "date": public_world["decision"].decided_on.isoformat(),
                               "issuing_body": "UBND thành phố Hải Phòng"}
    assert rec["certificate"]["number"] == public_world["valid"].number
    assert {p["set_code"] for p in document["progress"]} >= {"CQTT"}
    first = document["progress"][0]
    assert first["source"]["ref"] and first["source"]["vi"] and isinstance(first["units_in_scope"], int)
    # a licence set by the city is stated as such
    app.config.update(PUBLIC_DATA_LICENCE="Giấy phép dữ liệu mở Hải Phòng", PUBLIC_DATA_LICENCE_URL="https://example.gov.vn/gp")
    document = json.loads(client.get("/cong-khai/du-lieu.json").data)
    assert document["licence"] == {"name": "Giấy phép dữ liệu mở Hải Phòng", "url": "https://example.gov.vn/gp", "configured": True,
                                   "note": None}
    page = client.get("/cong-khai/").get_data(as_text=True)
    assert "Giấy phép dữ liệu mở Hải Phòng" in page and "chưa phải quyết định của thành phố" not in page
    assert "/cong-khai/du-lieu.csv" in page and "/cong-khai/du-lieu.json" in page and "/cong-khai/tien-do.csv" in page


def test_unknown_set_year_and_unit_are_404(client, public_world):
    assert client.get("/cong-khai/bo/CQTT/1999").status_code == 404
    assert client.get("/cong-khai/bo/KHONGCO/2026").status_code == 404
    assert client.get("/cong-khai/don-vi/KHONG-CO").status_code == 404
    assert client.get("/cong-khai/don-vi/" + "x" * 300).status_code == 404


def test_public_page_is_the_same_for_a_logged_in_user_and_linked_from_login(client, public_world):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/cong-khai/"' in login_page
    client.login("quantri")
    page = client.get("/cong-khai/").get_data(as_text=True)
    assert "Họ Tên Riêng" not in page and "Đăng xuất" not in page and "csrf_token" not in page
    name = db.session.scalar(sa.select(Unit.name).where(Unit.id == public_world["units"]["A"].id))
    assert name in client.get("/cong-khai/bo/CQTT/2026").get_data(as_text=True)


@pytest.fixture
def public_server(app, public_world):
    """The app served on a free local port over the public world."""
    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.mark.browser
def test_public_pages_fit_a_phone_without_javascript(public_world, public_server):
    """At 360×740 with JavaScript off, no public page scrolls sideways (wide tables scroll in their own box), every
    link is at least 44 px tall, and axe-core finds nothing serious. PAGE_SHOTS=<folder> saves screenshots."""
    import os

    from playwright.sync_api import sync_playwright

    from tests.functional.test_browser import ARGS, CHROMIUM, serious
    from tests.functional.test_browser_pages import OVERFLOW_JS

    paths = ["/cong-khai/", "/cong-khai/?lang=en", "/cong-khai/bo/CQTT/2026", f"/cong-khai/don-vi/{public_world['units']['A'].code}",
             f"/cong-khai/don-vi/{public_world['units']['B'].code}", "/login"]
    shots = os.environ.get("PAGE_SHOTS", "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
        page = context.new_page()
        for path in paths:
            page.goto(public_server + path, wait_until="load")  # stylesheets applied (a busy machine serves them late)
            page.evaluate("document.fonts.ready.then(() => true)")
            found = page.evaluate(OVERFLOW_JS)
            assert found["width"] <= 360, (path, found)
            small = page.evaluate("() => [...document.querySelectorAll('main a, footer a, header a')]"
                                  ".filter(a => a.getBoundingClientRect().height < 44).map(a => a.textContent)")
            assert not small or path == "/login", (path, small)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-') or 'root'}-360.png", full_page=True)
        context.close()
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        for path in paths[:4]:
            page.goto(public_server + path, wait_until="domcontentloaded")
            assert not serious(page), (path, serious(page))
        context.close()
        browser.close()


def test_a_renamed_unit_shows_at_once_despite_the_response_cache(client, public_world, app):
    assert app.config["PUBLIC_RESPONSE_CACHE"] > 0
    before = client.get("/cong-khai/bo/CQTT/2026")
    assert "Phường An" in before.get_data(as_text=True)
    assert client.get("/cong-khai/bo/CQTT/2026").get_data() == before.get_data()  # served again from the cache
    unit = db.session.get(Unit, public_world["units"]["A"].id)
    unit.name = "Phường An Hòa Mới"  # as the `units` loader renames a unit
    db.session.commit()
    after = client.get("/cong-khai/bo/CQTT/2026")
    assert after.headers["ETag"] != before.headers["ETag"] and "Phường An Hòa Mới" in after.get_data(as_text=True)
    unit.name = "Phường An Hòa Một"  # a rename to a name of the same length is seen too (units.updated_at)
    db.session.commit()
    again = client.get("/cong-khai/bo/CQTT/2026")
    assert again.headers["ETag"] != after.headers["ETag"] and "Phường An Hòa Một" in again.get_data(as_text=True)
