"""Every `seed` quote in criteria/ matches the cited line of the seed texts (CI has ../shared/seeds)."""

from __future__ import annotations

import pytest

from app.assessment.criteria import find_files, load_file
from app.assessment.sources import SeedLibrary, check_sources
from app.config import PROJECT_ROOT

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not present at {SEEDS} (they ship only with the programme workspace)")
def test_every_seed_quote_matches_its_source():
    library = SeedLibrary(SEEDS)
    errors = []
    for path in find_files([PROJECT_ROOT / "criteria"]):
        cset, problems = load_file(path)
        assert not problems
        errors += [str(e) for e in check_sources(cset, str(path), library)]
    assert errors == []
