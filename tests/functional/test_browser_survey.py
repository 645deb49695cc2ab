"""Issue 14 end to end in a browser: print the poster, scan its QR code, answer on a phone, and the 30th response
fills the unit's questionnaire indicator ("n = 30")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.extensions import db
from app.surveys import services
from app.surveys.models import SurveyResponse
from tests.functional.test_browser import browser, login, serious, server  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.browser
SHOTS = Path("/work/shots/fill")


def test_poster_qr_to_phone_answer_fills_the_indicator(app, world, server, browser):  # noqa: F811 - pytest fixtures
    import pypdfium2
    import zxingcpp

    app.config["SURVEY_MIN_SECONDS"] = 0
    app.config["BASE_URL"] = server  # the poster's QR code leads to this test server
    campaign, unit = world["campaign"], world["unit_a"]
    link = services.ensure_link(db.session, campaign, unit, "HAILONG_DV")
    start = dt.datetime(campaign.year, 2, 1, tzinfo=dt.UTC)
    for i in range(29):  # 29 earlier responses: this phone's answer is the 30th, the minimum sample
        db.session.add(SurveyResponse(link_id=link.id, submitted_at=start + dt.timedelta(hours=i), answers={"Q5": 5 if i < 26 else 2}))
    db.session.commit()

    context = browser.new_context(viewport={"width": 1024, "height": 800})
    desk = context.new_page()
    login(desk, server, "canbo.a")
    before = desk.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/G2")
    assert before.ok and "cần thêm 1 phản hồi" in desk.content()
    poster = desk.request.get(f"{server}/surveys/poster/{campaign.id}/{unit.id}/HAILONG_DV.pdf")
    assert poster.status == 200 and poster.headers["content-type"] == "application/pdf"
    image = pypdfium2.PdfDocument(poster.body())[0].render(scale=3).to_pil()
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{server}/khao-sat/{link.code}"]

    phone_ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = phone_ctx.new_page()
    phone.goto(decoded[0])
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    for question, value in (("q_Q1", "5"), ("q_Q2", "yes"), ("q_Q5", "4")):
        phone.check(f'input[name="{question}"][value="{value}"]')
    phone.click("button.send")
    phone.wait_for_load_state("domcontentloaded")
    assert "Cảm ơn" in phone.content()
    phone_ctx.close()

    desk.set_viewport_size({"width": 360, "height": 740})
    desk.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/G2")
    box = desk.locator("#ind_G2_5-box")
    text = box.inner_text()
    assert "n = 30" in text and "từ khảo sát trực tuyến" in text and "90,0" in text  # 27 of 30 satisfied
    assert desk.locator('input[name="ind_G2_5"]').count() == 0
    assert desk.evaluate("document.documentElement.scrollWidth") <= 360
    assert not serious(desk)
    SHOTS.mkdir(parents=True, exist_ok=True)
    box.screenshot(path=str(SHOTS / "group-g25-360.png"))
    desk.goto(f"{server}/assessments/")
    assert "30/30" in desk.content() and "In áp phích (PDF A4)" in desk.content()
    assert desk.evaluate("document.documentElement.scrollWidth") <= 360
    desk.screenshot(path=str(SHOTS / "dashboard-360.png"), full_page=True)
    context.close()
