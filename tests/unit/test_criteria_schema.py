"""The criteria schema (app/assessment/schema.py): one test per bad-file case, each error at file:line."""

from __future__ import annotations

import json

import pytest

from app.assessment.criteria import criteria_from_dict, parse_text
from app.assessment.schema import field_tables, json_schema
from app.config import PROJECT_ROOT
from tests.unit.test_criteria_validator import MINIMAL

README = PROJECT_ROOT / "criteria" / "README.md"


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _errors(text: str) -> list[str]:
    cset, errors = parse_text(text, "t.yaml")
    assert cset is None, "the file should not validate"
    return [str(e) for e in errors]


def _assert_error(text: str, needle: str, message: str) -> None:
    wanted = f"t.yaml:{_line(text, needle)}: {message}"
    errors = _errors(text)
    assert any(e.startswith(wanted) for e in errors), (wanted, errors)


def test_group_pass_percent_is_unknown_with_suggestion():
    text = MINIMAL.replace("    weight_origin: default\n", "    weight_origin: default\n    pass_percent: 60\n", 1)
    _assert_error(text, "pass_percent: 60", "group G1: unknown key 'pass_percent' (did you mean 'min_percent'?)")


def test_indicator_knock_out_is_unknown_with_suggestion():
    text = MINIMAL.replace("        type: boolean\n", "        type: boolean\n        knock_out: true\n", 1)
    _assert_error(text, "knock_out: true", "indicator G1.1: unknown key 'knock_out' (did you mean 'condition'?)")


def test_scoring_overall_pass_points_is_unknown_with_suggestion():
    text = MINIMAL.replace("  overall_pass_percent: 80\n", "  overall_pass_percent: 80\n  overall_pass_points: 80\n", 1)
    _assert_error(text, "overall_pass_points", "scoring: unknown key 'overall_pass_points' (did you mean 'pass_points'")


def test_near_miss_key_gets_difflib_suggestion():
    text = MINIMAL.replace("        points_origin: default\n        evidence: {required: false}", "        points_orign: default\n        evidence: {required: false}", 1)
    errors = _errors(text)
    assert any(e.startswith(f"t.yaml:{_line(text, 'points_orign')}: indicator G1.2: unknown key 'points_orign' (did you mean 'points_origin'") for e in errors), errors


def test_unknown_key_far_from_any_field_has_no_suggestion():
    text = MINIMAL.replace("version: 1\n", "version: 1\nzzzz: 1\n", 1)
    _assert_error(text, "zzzz", "set: unknown key 'zzzz'")
    assert "did you mean" not in _errors(text)[0]


def test_two_options_sharing_one_value_is_an_error():
    text = MINIMAL.replace(
        '        type: boolean\n        threshold: {op: "==", value: true}\n',
        '        type: choice\n        options:\n          - {value: dat, label: "Đạt"}\n          - {value: dat, label: "Không đạt"}\n'
        '        threshold: {op: "in", value: [dat]}\n', 1)
    _assert_error(text, 'label: "Không đạt"', "indicator G1.1.options[1].value: option value 'dat' is used twice")


def test_duplicate_group_code():
    second = MINIMAL[MINIMAL.index("  - code: G1\n"):].replace("G1.1", "G9.1").replace("G1.2", "G9.2")
    text = MINIMAL + second
    errors = _errors(text)
    line = text.splitlines().index("  - code: G1", _line(MINIMAL, "code: G1.2")) + 1
    assert f"t.yaml:{line}: group G1: duplicate group code 'G1' (also group #1)" in errors, errors


def test_duplicate_indicator_code():
    text = MINIMAL.replace("code: G1.2", "code: G1.1")
    errors = _errors(text)
    assert f"t.yaml:{_line(MINIMAL, 'code: G1.2')}: indicator G1.1: duplicate indicator code 'G1.1'" in errors


def test_duplicate_target_code():
    target = MINIMAL[MINIMAL.index("  - code: T1\n"):MINIMAL.index("\ngroups:") + 1]
    text = MINIMAL.replace("\ngroups:", "\n" + target + "groups:", 1)
    line = MINIMAL.splitlines().index("groups:") + 1
    assert f"t.yaml:{line}: target T1: duplicate target code 'T1'" in _errors(text)


def test_weight_contradicts_total_points_rule():
    text = MINIMAL.replace("  method: weighted_percent\n", "  method: total_points\n  pass_points: 15\n", 1).replace("  overall_pass_percent: 80\n", "", 1)
    _assert_error(text, "weight: 1", "group G1: weight contradicts method total_points")


def test_missing_weight_under_weighted_percent():
    text = MINIMAL.replace("    weight: 1\n    weight_origin: default\n", "", 1)
    _assert_error(text, "  - code: G1", "group G1: missing 'weight'")


def test_pass_points_above_the_maximum_is_an_error():
    text = (MINIMAL.replace("  method: weighted_percent\n", "  method: total_points\n  pass_points: 21\n", 1)
            .replace("  overall_pass_percent: 80\n", "", 1).replace("    weight: 1\n    weight_origin: default\n", "", 1))
    _assert_error(text, "pass_points: 21", "scoring.pass_points: pass mark 21 is above the set's maximum 20 points")


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ('{op: ">=", value: 70, unit: "%"}', '{op: ">=", value: 170, unit: "%"}', "value: 70", "indicator G1.2.threshold.value: percent threshold must be a number from 0 to 100"),
        ('type: percent\n        threshold: {op: ">=", value: 70, unit: "%"}', 'type: count\n        threshold: {op: ">=", value: 2.5}', "value: 70",
         "indicator G1.2.threshold.value: count threshold must be a whole number"),
        ('{op: "==", value: true}', '{op: "==", value: 3}', 'value: true}', "indicator G1.1.threshold.value: threshold value must be true or false"),
        ('type: percent\n', 'type: text\n', "value: 70", "indicator G1.2.threshold: type 'text' takes no threshold"),
    ],
)
def test_threshold_that_does_not_fit_the_type(old, new, needle, message):
    assert old in MINIMAL
    errors = _errors(MINIMAL.replace(old, new, 1))
    wanted = f"t.yaml:{_line(MINIMAL, needle)}: {message}"
    assert any(e.startswith(wanted) for e in errors), (wanted, errors)


def test_bands_best_points_must_equal_indicator_points():
    text = MINIMAL.replace('threshold: {op: ">=", value: 70, unit: "%"}', "bands: [{op: \">=\", value: 90, points: 5}]", 1)
    _assert_error(text, "bands:", "indicator G1.2.bands: the best band gives 5 points but the indicator's points are 10")


def test_condition_carries_no_points():
    text = MINIMAL.replace("        type: boolean\n", "        type: boolean\n        condition: true\n", 1)
    _assert_error(text, "points: 10", "indicator G1.1: a condition carries no points: remove 'points'")


RICH = (
    MINIMAL.replace("  method: weighted_percent\n", "  method: total_points\n  pass_points: 15\n  pass_by_year: {2028: {value: 18, origin: default}}\n", 1)
    .replace("  overall_pass_percent: 80\n", "", 1)
    .replace("    weight: 1\n    weight_origin: default\n", "    min_percent: 40\n", 1)
    .replace('        threshold: {op: ">=", value: 70, unit: "%"}\n',
             '        bands:\n          - {op: ">=", value: 100, points: 10}\n          - {op: between, value: [90, 100], points: 5}\n'
             '        points_step: 0.5\n        allow_na: true\n', 1)
    + '      - code: G1.3\n        text: "Điều kiện"\n        type: percent\n        condition: true\n'
      '        threshold: {op: ">=", value: 30, unit: "%", by_year: {2030: {value: 100, origin: default}}}\n'
      '        threshold_origin: default\n        evidence: {required: false}\n        origin: proposed\n        rationale: "Điều kiện thử."\n'
)


def test_rich_file_with_every_new_rule_is_valid_and_survives_json_storage():
    cset, errors = parse_text(RICH, "t.yaml")
    assert errors == [], [str(e) for e in errors]
    stored = json.loads(json.dumps(cset.data))  # year keys become strings in the database's JSON
    again = criteria_from_dict(stored)
    assert again.scoring.pass_mark_for(2028) == 18 and again.scoring.pass_mark_for(2027) == 15
    cond = again.indicator("G1.3")
    assert cond.condition and cond.points == 0
    assert cond.threshold_for(2029).value == 30 and cond.threshold_for(2030).value == 100
    assert again.indicator("G1.2").allow_na and again.group("G1").min_percent == 40


def test_json_schema_export_names_every_section():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    for name in ("IndicatorModel", "GroupModel", "ScoringModel", "BandModel", "RoadmapStep"):
        assert name in schema["$defs"]
        assert schema["$defs"][name]["additionalProperties"] is False


def test_readme_field_tables_are_generated_from_the_schema():
    """Fails when criteria/README.md was not regenerated (`flask --app wsgi criteria docs`)."""
    from app.campaigns.cli import DOCS_BEGIN, DOCS_END

    text = README.read_text(encoding="utf-8")
    assert DOCS_BEGIN in text and DOCS_END in text
    inside = text.split(DOCS_BEGIN, 1)[1].split(DOCS_END, 1)[0]
    assert inside.strip() == field_tables().strip(), "criteria/README.md is out of date: run `flask --app wsgi criteria docs`"


def test_content_stored_before_the_schema_still_loads():
    """CriteriaVersion rows loaded earlier hold `method: points`; campaigns using them must keep working."""
    cset, _ = parse_text(MINIMAL, "t.yaml")
    old = json.loads(json.dumps(cset.data))
    old["scoring"]["method"] = "points"
    assert criteria_from_dict(old).scoring.method == "weighted_percent"
