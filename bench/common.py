"""What the benchmarks share: the reference data every bench starts from, and stopping the servers they start.

Not a test; imported by bench/*.py and bench/loadtest/run.py (run through `make bench` / `make loadtest`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable


def load_reference_data(app) -> None:
    """In `app`'s context: run the migrations, load the repository's criteria files and Hải Phòng's official units
    (the same start as `make run`, without the demo data). Commits."""
    from flask_migrate import upgrade

    from app.campaigns.services import load_criteria, validate_paths
    from app.extensions import db
    from app.units.services import load_official_units

    upgrade()
    sets, errors = validate_paths([app.config["CRITERIA_DIR"]])
    if errors:
        raise RuntimeError(f"criteria files do not validate: {errors[:3]}")
    load_criteria(db.session, sets)
    load_official_units(db.session)
    db.session.commit()


def stop_all(procs: Iterable[subprocess.Popen], wait_seconds: float = 40) -> None:
    """Terminate every process (all first, then wait), killing any still running after `wait_seconds`."""
    procs = list(procs)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(wait_seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
