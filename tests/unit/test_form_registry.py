"""The questionnaire field map covers exactly the registered indicator types."""

from app.assessment.indicators import INDICATOR_TYPES
from app.submissions.forms import FIELD_BUILDERS


def test_field_builders_match_indicator_registry():
    assert set(FIELD_BUILDERS) == set(INDICATOR_TYPES)
