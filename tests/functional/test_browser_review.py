"""The fast review page in a real browser: the reviewer's actions from the queue to an approved submission are
counted (a click, a selection, a field typed into, or a keypress that submits each count one).

CQTT has 17 indicators. Goal of issue 13: agree with everything in ≤ 3 actions, disagree with one in ≤ 6.
Screenshots go to /work/shots/review/ when that folder exists (they are for people, not asserted).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import IndicatorScore, Submission
from tests.functional.test_browser import browser, login, serious, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
SHOTS = "/work/shots/review"


class Actions:
    """Counts what the reviewer does: each call is one action."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def click(self, selector: str) -> None:
        self.n += 1
        self.page.click(selector)

    def type(self, text: str) -> None:
        """Type into the field that has the focus (one action: the reviewer types a value)."""
        self.n += 1
        self.page.keyboard.type(text)

    def fill(self, selector: str, text: str) -> None:
        self.n += 1
        self.page.fill(selector, text)

    def press(self, key: str) -> None:
        self.n += 1
        self.page.keyboard.press(key)


def _shot(page, name: str, full: bool = True) -> None:
    if os.path.isdir(SHOTS):
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=full)


def _submitted(app, world):
    from tests.reports_fixture import fill_and_submit

    sub = fill_and_submit(app, world["official_a"], world["campaign"], world["unit_a"])
    db.session.commit()
    assert len(world["campaign"].criteria_version.criteria.indicators) >= 17
    return sub


def test_agree_with_everything_in_three_actions(server, browser, world, app):  # noqa: F811
    sub = _submitted(app, world)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    login(page, server, "thamdinh.cqtt")
    page.goto(f"{server}/review/")
    me = Actions(page)
    me.click(f"a[href='/review/{sub.id}']")
    page.wait_for_load_state("networkidle")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"review page height at 1366 px: {height}")
    _shot(page, "review-1366", full=True)
    _shot(page, "review-1366-viewport", full=False)
    assert page.is_visible("#rv-bar button[value=approve]")  # the sticky bar is on screen without scrolling
    assert "Điểm thẩm định: 100/100 · Đạt" in page.inner_text("#rv-score")
    me.click("#rv-bar button[value=approve]")
    page.wait_for_load_state("networkidle")
    _shot(page, "confirm-1366", full=False)
    me.click("#confirm-approve")
    page.wait_for_load_state("networkidle")
    assert "Đã duyệt với điểm thẩm định 100%." in page.content()
    print(f"agree-all actions: {me.n}")
    assert me.n <= 3
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "approved"


def test_disagree_with_one_in_six_actions_on_a_phone(server, browser, world, app):  # noqa: F811
    sub = _submitted(app, world)
    cset = world["campaign"].criteria_version.criteria
    target = cset.indicator("G1.2")  # a scored indicator that is not core
    page = browser.new_page(viewport={"width": 360, "height": 740})
    login(page, server, "thamdinh.cqtt")
    page.goto(f"{server}/review/")
    me = Actions(page)
    me.click(f"a[href='/review/{sub.id}']")
    page.wait_for_load_state("networkidle")
    print(f"review page height at 360 px: {page.evaluate('document.documentElement.scrollHeight')}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "review-360-viewport", full=False)
    bar = page.locator("#rv-bar").bounding_box()
    assert bar["height"] <= 120 and bar["y"] + bar["height"] <= 740  # at most two short rows, on screen
    assert serious(page) == []
    # Keyboard: the "Đồng ý" radio is reachable; the arrow key selects "Không đồng ý", which opens the inputs
    # and puts the focus on the points.
    page.focus(f"#{target.field_name}_agree-0")
    me.press("ArrowRight")
    assert page.is_checked(f"#{target.field_name}_agree-1")
    assert page.evaluate("document.activeElement.id") == f"{target.field_name}_points"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")  # a visible focus
    before = page.inner_text("#rv-score")
    me.type("5")
    page.wait_for_function("t => document.getElementById('rv-score').innerText !== t", arg=before)
    assert page.inner_text("#rv-score") != before
    me.fill(f"#{target.field_name}_comment", "Sổ theo dõi chỉ ghi một nửa số buổi.")
    _shot(page, "review-360-disagree", full=False)
    _shot(page, "review-360", full=True)
    me.click("#rv-bar button[value=approve]")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "confirm-360", full=True)
    assert "G1.2" in page.inner_text("main")
    me.click("#confirm-approve")
    page.wait_for_load_state("networkidle")
    assert "Đã duyệt với điểm thẩm định" in page.content()
    print(f"disagree-one actions: {me.n}")
    assert me.n <= 6
    db.session.expire_all()
    rows = db.session.scalars(sa.select(IndicatorScore).where(IndicatorScore.submission_id == sub.id)).all()
    assert {r.indicator_code for r in rows if r.final_points != r.self_points} == {"G1.2"}
    assert db.session.get(Submission, sub.id).status == "approved"
