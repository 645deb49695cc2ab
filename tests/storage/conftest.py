"""Fixtures of the storage tests: one moto S3 server per test session (per xdist worker), a fresh bucket per
test, and `backend`, which runs a test once on the local folder and once on S3."""

from __future__ import annotations

import pytest

from tests.s3server import moto_installed, moto_server, new_bucket


@pytest.fixture(scope="session")
def s3_endpoint():
    """The endpoint URL of a moto server started for this session (stopped at its end). Skips when moto is not
    installed (it is in the dev extra, so CI has it)."""
    if not moto_installed():
        pytest.skip("moto[server] is not installed (pip install -e '.[dev]'): the S3 backend is tested against moto's server")
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_config(s3_endpoint) -> dict:
    """App config keys pointing at a new, empty bucket on the session's moto server."""
    return new_bucket(s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def backend(request, app) -> str:
    """Run the test on each backend: 'local' keeps the test's UPLOAD_DIR; 's3' points the app at a new bucket."""
    if request.param == "s3":
        app.config.update(request.getfixturevalue("s3_config"))
    return request.param

