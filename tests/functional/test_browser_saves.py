"""Save failures in a real browser (Playwright + Debian's Chromium): a stale form after logging out
and in again in another tab, and an oversize save stopped by the progressive size check — or,
with JavaScript off, refused by the server with the typed values kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import Submission
from tests.conftest import pdf_bytes
from tests.functional.test_browser import browser, login, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _g1(world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    pdf_ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    return campaign, unit, group, pct, boolean, pdf_ind


def test_stale_form_after_logout_and_login_in_another_tab(server, browser, world):  # noqa: F811
    campaign, unit, group, pct, boolean, _pdf = _g1(world)
    context = browser.new_context()
    tab = context.new_page()
    login(tab, server, "canbo.a")
    url = f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}"
    tab.goto(url)
    tab.fill(f"#{pct.field_name}", "62,5")
    tab.check(f"input[name={boolean.field_name}][value=no]")
    tab.fill(f"#{boolean.field_name}_explanation", "Chưa ban hành quy chế, dự kiến quý IV")
    other = context.new_page()  # another tab: log out, log in again
    other.goto(server + "/")
    other.click("text=Đăng xuất")
    other.wait_for_load_state("networkidle")
    login(other, server, "canbo.a")
    tab.click("button[value=stay]")
    tab.wait_for_load_state("networkidle")
    html = tab.content()
    assert "Phiên làm việc đã thay đổi" in html and "KHÔNG có gì được lưu" in html
    assert tab.input_value(f"#{pct.field_name}") == "62,5"
    assert tab.input_value(f"#{boolean.field_name}_explanation") == "Chưa ban hành quy chế, dự kiến quý IV"
    assert tab.is_checked(f"input[name={boolean.field_name}][value=no]")
    tab.click("#error-summary button[type=submit]")  # the one "save again" button
    tab.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in tab.content()
    db.session.remove()
    sub = db.session.scalar(sa.select(Submission))
    assert sub.answer_for(pct.code).parsed == 62.5 and sub.answer_for(boolean.code).explanation == "Chưa ban hành quy chế, dự kiến quý IV"
    context.close()


def test_oversize_file_is_stopped_before_sending_and_named(server, browser, world, app, tmp_path):  # noqa: F811
    campaign, unit, group, pct, _boolean, pdf_ind = _g1(world)
    big = tmp_path / "ban-quet-qua-lon.pdf"
    big.write_bytes(pdf_bytes(app.config["MAX_EVIDENCE_BYTES"] + 50 * 1024))
    page = browser.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    page.fill(f"#{pct.field_name}", "70")
    page.set_input_files(f"#{pdf_ind.field_name}_files", str(big))
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.click("button[value=stay]")
    page.wait_for_selector("#size-check:not([hidden])")
    text = page.inner_text("#size-check")
    assert "ban-quet-qua-lon.pdf" in text and "mỗi tệp" in text and "chưa có gì được gửi đi" in text
    assert posts == [] and page.input_value(f"#{pct.field_name}") == "70"
    page.close()


def test_oversize_file_without_javascript_is_refused_by_the_server_and_the_text_kept(server, browser, world, app, tmp_path):  # noqa: F811
    campaign, unit, group, pct, boolean, pdf_ind = _g1(world)
    big = tmp_path / "ban-quet-qua-lon.pdf"
    big.write_bytes(pdf_bytes(app.config["MAX_EVIDENCE_BYTES"] + 50 * 1024))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    page.fill(f"#{pct.field_name}", "70")
    page.fill(f"#{boolean.field_name}_explanation", "Bản quét biên bản kèm theo")
    page.set_input_files(f"#{pdf_ind.field_name}_files", str(big))
    page.click("button[value=stay]")
    page.wait_for_load_state("networkidle")
    html = page.content()
    assert "Tệp “ban-quet-qua-lon.pdf” vượt quá giới hạn" in html and "mỗi tệp" in html
    assert page.input_value(f"#{pct.field_name}") == "70"
    assert page.input_value(f"#{boolean.field_name}_explanation") == "Bản quét biên bản kèm theo"
    db.session.remove()
    sub = db.session.scalar(sa.select(Submission))
    assert sub.answer_for(pct.code).parsed == 70 and sub.evidence == []
    context.close()
