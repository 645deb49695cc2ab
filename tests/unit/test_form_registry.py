"""The questionnaire field map covers exactly the registered indicator types."""

from app.assessment.indicators import INDICATOR_TYPES
from app.submissions.forms import FIELD_BUILDERS


def test_field_builders_match_indicator_registry():
    assert set(FIELD_BUILDERS) == set(INDICATOR_TYPES)



def test_preview_form_keeps_every_field_while_the_collector_runs():
    """CI once lost a whole group's fields: the group form class was collected (and its __dict__ cleared) mid-loop.

    The first generation's threshold decides when the collector runs; over these thresholds the old code lost
    fields on every run. The form must carry each indicator's value, explanation and files field every time.
    """
    import gc

    from flask import Flask

    from app.assessment.criteria import load_file
    from app.config import PROJECT_ROOT
    from app.criteria_sets.forms import build_preview_form

    cset, errors = load_file(PROJECT_ROOT / "criteria" / "tpvm-v1.yaml")
    assert not errors
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x")
    old = gc.get_threshold()
    missing = []
    try:
        with app.test_request_context():
            for threshold in (30, 40, 50, 60, 80, 100, 700):
                gc.set_threshold(threshold, 1000, 1000)
                for _ in range(10):
                    names = set(dir(build_preview_form(cset, [2026])))
                    missing += [i.field_name for i in cset.indicators
                                if not {i.field_name, i.field_name + "_explanation", i.field_name + "_files"} <= names]
    finally:
        gc.set_threshold(*old)
    assert missing == []
