"""Real-browser journeys (Playwright driving Debian's Chromium) and accessibility checks (axe-core).

Marked `browser`: `pytest --no-browser` skips them locally; CI (CI=true) always runs them and
.ci/run installs Chromium when it is missing.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app.extensions import db

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(app, world):
    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def login(page, base, username, password="mat-khau-thu-nghiem"):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_load_state("networkidle")


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def fill_group(page, group, evidence_path):
    for ind in group.indicators:
        name = ind.field_name
        t = ind.threshold
        if ind.type == "boolean":
            page.check(f"input[name={name}][value={'yes' if t.value else 'no'}]")
        elif ind.type == "choice":
            page.check(f"input[name={name}][value='{t.value[0]}']")
        elif ind.type == "text":
            page.fill(f"#{name}", "Đã thực hiện đầy đủ")
        else:
            value = t.value if t.op in (">=", "==", "<=") else (t.value + 1 if t.op == ">" else t.value - 1)
            page.fill(f"#{name}", str(value).replace(".", ","))
        if ind.evidence.required:
            page.set_input_files(f"#{name}_files", str(evidence_path))


def test_official_journey_in_the_browser(server, browser, world, tmp_path):
    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    evidence = tmp_path / "bien-ban-hop.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" * 300)
    page = browser.new_page()
    login(page, server, "canbo.a")
    assert "Phiếu tự đánh giá của đơn vị" in page.content()
    page.click("text=Chính quyền thân thiện 2026")
    page.click("ol.groups li:first-child h3 a")
    first = cset.groups[0]
    fill_group(page, first, evidence)
    page.click("button[value=stay]")
    page.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in page.content()
    page.reload()
    pct = next(i for i in first.indicators if i.type == "percent")
    assert page.input_value(f"#{pct.field_name}") != ""
    assert "bien-ban-hop.pdf" in page.content()
    for group in cset.groups[1:]:
        page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
        fill_group(page, group, evidence)
        page.click("button[value=stay]")
        page.wait_for_load_state("networkidle")
        assert f"Đã lưu nháp nhóm {group.code}." in page.content()
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/")
    page.click("text=Gửi phiếu tự đánh giá")
    page.wait_for_load_state("networkidle")
    assert "Sau khi gửi sẽ không sửa được" in page.content()  # the confirmation page
    page.click("#confirm-submit")
    page.wait_for_load_state("networkidle")
    assert "Kết quả tự chấm" in page.content() and "100%" in page.content()
    page.screenshot(path=str(tmp_path / "result.png"))


def test_reviewer_returns_then_approves(server, browser, world, app):
    from app.submissions.models import Submission
    from tests.reports_fixture import fill_and_submit

    campaign, unit = world["campaign"], world["unit_a"]
    sub = fill_and_submit(app, world["official_a"], campaign, unit)
    db.session.commit()
    page = browser.new_page()
    login(page, server, "thamdinh.cqtt")
    page.goto(f"{server}/review/{sub.id}")
    first = campaign.criteria_version.criteria.indicators[0]
    page.click(f"#{first.field_name}-box details.rv-more summary")  # the return reason sits with the indicator's other inputs
    page.fill(f"#{first.field_name}_return", "Bổ sung ảnh bảng công khai")
    page.fill("#deadline", (dt.date.today() + dt.timedelta(days=7)).strftime("%d/%m/%Y"))
    page.click("button[value=return]")
    page.wait_for_load_state("networkidle")
    assert "Đã trả lại 1 chỉ tiêu" in page.content()
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "returned"
    from app.submissions.services import submit

    submit(db.session, world["official_a"], campaign.id, unit.id, expected_version=None)  # the official resubmits
    db.session.commit()
    page.goto(f"{server}/review/{sub.id}")
    assert "Thay đổi so với lần gửi trước" in page.content() or "Đã gửi lại" in page.content()
    page.click("#rv-bar button[value=approve]")
    page.wait_for_load_state("networkidle")
    page.click("#confirm-approve")
    page.wait_for_load_state("networkidle")
    assert "Đã duyệt với điểm thẩm định" in page.content()
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "approved"


def test_language_switch(server, browser):
    page = browser.new_page()
    login(page, server, "canbo.a")
    page.click("button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en" and "Log out" in page.content()
    page.click("button[value=vi]")
    page.wait_for_load_state("networkidle")
    assert "Đăng xuất" in page.content()


def test_keyboard_only_login_and_save(server, browser, world):
    page = browser.new_page()
    page.goto(server + "/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("canbo.a")
    page.keyboard.press("Tab")
    page.keyboard.type("mat-khau-thu-nghiem")
    with page.expect_navigation():  # wait for the login redirect itself, not just an idle network
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "Phiếu tự đánh giá của đơn vị" in page.content()
    campaign, unit = world["campaign"], world["unit_a"]
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/G1")
    first = campaign.criteria_version.criteria.groups[0].indicators[0]
    page.focus(f"input[name={first.field_name}][value=yes]")
    page.keyboard.press("Space")
    page.focus("button[value=stay]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in page.content()


def test_no_serious_accessibility_violations(server, browser, world, app):
    from tests.reports_fixture import fill_and_submit

    campaign, unit = world["campaign"], world["unit_a"]
    sub = fill_and_submit(app, world["official_b"], campaign, world["unit_b"])
    db.session.commit()
    page = browser.new_page()
    found = {}
    page.goto(server + "/login")
    found["login"] = serious(page)
    login(page, server, "canbo.a")
    found["dashboard"] = serious(page)
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/G1")
    found["group"] = serious(page)
    page.context.clear_cookies()
    login(page, server, "thamdinh.cqtt")
    page.goto(f"{server}/review/{sub.id}")
    found["review"] = serious(page)
    page.goto(f"{server}/reports/plan?set_code=CQTT")
    found["reports"] = serious(page)
    page.goto(f"{server}/reports/heatmap?set_code=CQTT")
    found["heatmap"] = serious(page)
    assert all(not v for v in found.values()), found
