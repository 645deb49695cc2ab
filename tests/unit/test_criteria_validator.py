"""Criteria file validation: every repository file is valid; each kind of error names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.assessment.criteria import find_files, load_file, parse_text
from app.assessment.sources import SeedLibrary, check_sources
from app.config import PROJECT_ROOT

CRITERIA_DIR = PROJECT_ROOT / "criteria"

MINIMAL = """\
code: TEST
name: {vi: "Bộ thử", en: "Test set"}
version: 1
effective_from: 2026-01-01
legal_basis: {document: "Đề án", file: seed.txt, line: 1, quote: "Dòng một"}
applies_to: [xa]
scoring:
  method: weighted_percent
  group_pass_percent: 50
  overall_pass_percent: 80
  require_all_groups: true
  require_core_indicators: false
  origin: default
targets:
  - code: T1
    text: {vi: "100% xã", en: "100% of communes"}
    metric: recognised_share
    value: 100
    year: 2027
    scope: [xa]
    source: {file: seed.txt, line: 2, quote: "100% xã đạt chuẩn"}
groups:
  - code: G1
    title: {vi: "Nhóm một", en: "Group one"}
    weight: 1
    weight_origin: default
    origin: seed
    source: {file: seed.txt, line: 3, quote: "Nhóm một gồm"}
    indicators:
      - code: G1.1
        text: "Có quy chế không?"
        type: boolean
        threshold: {op: "==", value: true}
        points: 10
        points_origin: default
        evidence: {required: true, kinds: [pdf]}
        origin: seed
        source: {file: seed.txt, line: 3, quote: "gồm các nội dung sau"}
      - code: G1.2
        text: "Tỷ lệ"
        type: percent
        threshold: {op: ">=", value: 70, unit: "%"}
        threshold_origin: default
        points: 10
        points_origin: default
        evidence: {required: false}
        origin: proposed
        rationale: "Đo nhóm một."
"""

SEED = "Dòng một của văn bản.\nMục tiêu: 100% xã\nđạt chuẩn vào năm 2027. Nhóm một gồm các nội dung\nsau đây.\n"


def test_every_repository_file_is_valid():
    files = find_files([CRITERIA_DIR])
    assert len(files) >= 3
    for path in files:
        cset, errors = load_file(path)
        assert errors == [], [str(e) for e in errors]
        assert cset.scoring.origin == "default"
        assert all(i.points_origin == "default" for i in cset.indicators)
        assert all(g.weight_origin == "default" for g in cset.groups)
        assert all(i.source for i in cset.indicators if i.origin == "seed")
        assert all(i.rationale for i in cset.indicators if i.origin == "proposed")


def test_minimal_file_is_valid():
    cset, errors = parse_text(MINIMAL, "t.yaml")
    assert errors == []
    assert cset.count_by_origin() == {"seed": 1, "proposed": 1}
    assert cset.item_lines["indicator G1.2"] == line_of(MINIMAL, "code: G1.2")


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` in MINIMAL."""
    return next(n for n, line in enumerate(MINIMAL.splitlines(), 1) if needle in line)


def _errors(text: str) -> list[str]:
    cset, errors = parse_text(text, "t.yaml")
    assert cset is None
    return [str(e) for e in errors]


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ("type: percent", "type: slider", "type: percent", "indicator G1.2: type: unknown value 'slider'"),
        ("code: G1.2", "code: G1.1", "code: G1.2", "indicator G1.1: duplicate indicator code 'G1.1'"),
        ('{op: ">=", value: 70, unit: "%"}', '{op: ">=", value: 120, unit: "%"}', "value: 70", "indicator G1.2.threshold.value: percent threshold must be a number from 0 to 100"),
        ('{op: "==", value: true}', '{op: ">=", value: true}', "value: true}", "indicator G1.1.threshold.op: operator '>=' not allowed"),
        ("        rationale: \"Đo nhóm một.\"\n", "", "code: G1.2", "indicator G1.2: a 'proposed' item needs a 'rationale'"),
        ("        source: {file: seed.txt, line: 3, quote: \"gồm các nội dung sau\"}\n", "", "code: G1.1", "indicator G1.1: a 'seed' item needs 'source"),
        ("        points_origin: default\n        evidence: {required: true", "        evidence: {required: true", "code: G1.1", "indicator G1.1: missing 'points_origin'"),
        ("weight: 1\n", "weight: 0\n", "weight: 1", "group G1: weight: input should be greater than 0"),
        ("value: 100\n", "value: 140\n", "value: 100", "target T1.value: a share target is a percentage in (0, 100]"),
        ("applies_to: [xa]", "applies_to: [village]", "applies_to", "set.applies_to[0]: applies_to: unknown value 'village'"),
        ("origin: default\ntargets", "origin: guessed\ntargets", "  origin: default", "scoring: origin: unknown value 'guessed'"),
    ],
)
def test_errors_name_file_and_line(old, new, needle, expected):
    assert old in MINIMAL
    errors = _errors(MINIMAL.replace(old, new, 1))
    wanted = f"t.yaml:{line_of(MINIMAL, needle)}: {expected}"
    assert any(e.startswith(wanted) for e in errors), (wanted, errors)


def test_invalid_yaml_reports_line():
    errors = _errors(MINIMAL.replace("version: 1", "version: [1"))
    assert errors and errors[0].startswith("t.yaml:") and "invalid YAML" in errors[0]


def test_seed_quotes_are_checked(tmp_path: Path):
    (tmp_path / "seed.txt").write_text(SEED, encoding="utf-8")
    cset, _ = parse_text(MINIMAL, "t.yaml")
    library = SeedLibrary(tmp_path)
    assert check_sources(cset, "t.yaml", library) == []  # quotes spanning two lines match
    wrong, _ = parse_text(MINIMAL.replace("gồm các nội dung sau", "gồm các nội dung khác"), "t.yaml")
    errors = [str(e) for e in check_sources(wrong, "t.yaml", library)]
    assert len(errors) == 1
    assert errors[0].startswith(f"t.yaml:{line_of(MINIMAL, 'code: G1.1')}: indicator G1.1: quote not found at seed.txt:3")
    shifted, _ = parse_text(MINIMAL.replace("line: 3, quote: \"Nhóm một gồm\"", "line: 1, quote: \"Nhóm một gồm\""), "t.yaml")
    assert any("group G1" in str(e) for e in check_sources(shifted, "t.yaml", library))  # must start in the cited line
