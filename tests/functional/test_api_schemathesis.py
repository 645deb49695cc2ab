"""Schemathesis against the live OpenAPI 3.1 description: every operation, with a valid admin token, a few generated
examples each (bounded so it takes seconds): no 5xx, every status documented, every body matching its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.extensions import db
from tests.conftest import FreshContextClient
from tests.reports_fixture import build


@pytest.fixture
def api_schema(app, make_unit, make_user, make_campaign):
    """The description as served, with data behind it (the reports fixture) and a high rate limit."""
    from app.api.services import issue_token

    build(app, make_unit, make_user, make_campaign)
    import sqlalchemy as sa

    from app.auth.models import User

    admin = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    _token, plain = issue_token(db.session, None, admin.id, "schemathesis", system=True)
    db.session.commit()
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    app.config["SCHEMATHESIS_TOKEN"] = plain
    app.test_client_class = FreshContextClient
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_api_conforms_to_its_description(api_schema, app):
    """Each operation in turn (schemathesis' pytest plugin does not run under pytest 9, so hypothesis drives each
    operation's strategy directly): no 5xx, documented status codes and content types, bodies valid."""
    from hypothesis import given

    headers = {"Authorization": f"Bearer {app.config['SCHEMATHESIS_TOKEN']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    from app.api.openapi import OPERATIONS

    assert sorted(op.label for op in operations) == sorted(f"GET {op.path}" for op in OPERATIONS)  # every endpoint

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def check(case):
            case.call_and_validate(headers=headers)

        check()
