"""The questionnaire's save path does only the work its page needs (issue 15, part 5), with every check kept.

Statement counts, not timings: the group page reads the campaign, its criteria version and the unit in one
statement, the submission with its answers in one, and asks for the city's appraisals only once the questionnaire
has been submitted (an appraisal can exist only then). Form classes are built once per group; templates' gettext
and the numbers they write give the same text as before, in both languages.
"""

from __future__ import annotations

import gc
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from tests.functional.test_journey import fill_group, group_url, version_of


@pytest.fixture
def statements(app):
    """The SQL statements run while the fixture's list is being filled: `with statements() as seen: ...`."""
    from contextlib import contextmanager

    @contextmanager
    def capture():
        seen: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            seen.append(" ".join(statement.split()))

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)

    return capture


def _reads(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if re.search(rf"\bFROM {table}\b", s)]


def test_group_page_of_a_draft_reads_once_and_never_asks_for_appraisals(client, world, statements):
    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    client.login("canbo.a")
    assert fill_group(client, campaign, unit, cset.groups[0]).status_code == 302  # a draft with answers and evidence
    url = group_url(campaign, unit, cset.groups[1].code)
    with statements() as seen:
        page = client.get(url).get_data(as_text=True)
    assert "Lưu và sang nhóm tiếp" in page
    campaign_reads = _reads(seen, "campaigns")
    assert len(campaign_reads) == 1 and "criteria_versions" in campaign_reads[0] and "units" in campaign_reads[0]
    assert len(_reads(seen, "submissions")) == 1 and "answers" in _reads(seen, "submissions")[0]
    assert _reads(seen, "appraisals") == []
    assert len(_reads(seen, "evidence")) == 1
    assert _reads(seen, "criteria_versions") == [] and ".content" not in campaign_reads[0]  # no lazy load; JSON cached


def test_save_and_next_page_keeps_every_answer_and_the_version_check(client, world, statements):
    """POST (go=next) → 302 to the next group; the answers are stored; an outdated version is still refused."""
    from app.submissions.models import Submission

    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    first, second = cset.groups[0], cset.groups[1]
    client.login("canbo.a")
    url = group_url(campaign, unit, first.code)
    old_version = version_of(client, url)
    data = {"version": old_version, "go": "next"}
    for ind in first.indicators:
        data[ind.field_name + "_explanation"] = f"Giải trình {ind.code}"
    with statements() as seen:
        response = client.post_form(url, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(group_url(campaign, unit, second.code))
    assert _reads(seen, "appraisals") == []
    sub = db.session.scalar(sa.select(Submission).where(Submission.unit_id == unit.id))
    assert {a.indicator_code: a.explanation for a in sub.answers} == {i.code: f"Giải trình {i.code}" for i in first.indicators}
    # the page's version of before the save is now outdated: refused, nothing written
    stale = client.post_form(url, {**data, "version": old_version, first.indicators[0].field_name + "_explanation": "ghi đè"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert sub.answer_for(first.indicators[0].code).explanation == f"Giải trình {first.indicators[0].code}"


def test_group_form_class_is_built_once_per_group_and_complete(world):
    from app.submissions.forms import group_form_class

    cset = world["campaign"].criteria_version.criteria
    old = gc.get_threshold()
    try:
        gc.set_threshold(30, 1000, 1000)  # the collector runs often (see tests/unit/test_form_registry.py)
        for group in cset.groups:
            form_cls = group_form_class(group)
            gc.collect()
            assert group_form_class(group) is form_cls
            names = set(dir(form_cls))
            for ind in group.indicators:
                assert {ind.field_name, ind.field_name + "_explanation", ind.field_name + "_files"} <= names
    finally:
        gc.set_threshold(*old)


def test_template_gettext_follows_the_language_and_force_locale(app, client, world):
    from flask import render_template_string

    client.login("canbo.a")
    url = group_url(world["campaign"], world["unit_a"], "G1")
    assert "Lưu nháp" in client.get(url).get_data(as_text=True)
    client.post_form("/lang", {"lang": "en", "next": url}, token_from=url)
    page = client.get(url).get_data(as_text=True)
    assert "Save draft</button>" in page and "Lưu nháp</button>" not in page
    with app.test_request_context("/"):
        assert render_template_string('{{ _("Lưu nháp") }}') == "Lưu nháp"
        with force_locale("en"):
            assert render_template_string('{{ _("Lưu nháp") }}') == "Save draft"
        assert render_template_string('{{ _("Lưu nháp") }}|{{ _("Nhóm %(code)s", code="<G1>") }}') == "Lưu nháp|Nhóm &lt;G1&gt;"


@pytest.mark.parametrize(("value", "locale", "text"), [
    (Decimal("1234"), "vi", "1.234"), (Decimal("1234"), "en", "1,234"), (Decimal("1.234"), "vi", "1,2340"),
    (Decimal("62.50"), "vi", "62,5"), (Decimal("-0"), "vi", "0"), (Decimal("1E+3"), "vi", "1.000"), (12345.7, "en", "12,345.7"),
])
def test_numbers_are_written_the_same_every_time(value, locale, text):
    from app.assessment.numbers import format_number

    assert [format_number(value, locale) for _ in range(3)] == [text] * 3
