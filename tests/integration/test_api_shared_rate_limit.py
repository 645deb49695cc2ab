"""The API's per-token rate limit lives in the shared store (RATELIMIT_STORAGE_URI = Redis): a second app instance
(another worker or node) sees the count the first one made, and the key is the token's prefix, not the address.
Starts its own redis-server on a loopback port (fixture from test_shared_rate_limit); skipped without redis-server."""

from __future__ import annotations

import pytest

from tests.integration.test_shared_rate_limit import REDIS_SERVER, shared_redis  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (Debian package redis-server; .ci/run installs it)")


def test_api_limit_is_counted_in_redis_across_app_instances(tmp_path, shared_redis):  # noqa: F811 - pytest fixture
    import redis

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite+pysqlite:///{tmp_path / 'api.db'}"
        RATELIMIT_STORAGE_URI = shared_redis
        API_RATE_LIMIT = "2 per hour"  # an hour: no window boundary can reset the count mid-test
        UPLOAD_DIR = str(tmp_path / "uploads")

    def app_instance():
        return create_app(Config)

    first = app_instance()
    with first.app_context():
        db.create_all()
        from app.api.services import issue_token
        from app.auth.services import HashCost, create_user

        user = create_user(db.session, None, username="xem", password="mat-khau-thu-nghiem", role="viewer", full_name="Xem",
                           unit_id=None, scope_codes=[], cost=HashCost(1, 1024), system=True)
        _row, plain = issue_token(db.session, None, user.id, "thử", system=True)
        db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    with first.app_context():
        assert [first.test_client().get("/api/v1/units", headers=headers).status_code for _ in range(2)] == [200, 200]
    second = app_instance()  # a fresh instance: an in-memory store would start again from zero
    with second.app_context():
        refused = second.test_client().get("/api/v1/units", headers=headers)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    keys = [k.decode() for k in redis.Redis.from_url(shared_redis).keys("*")]
    assert any(f"api-token:{plain.split('_')[1]}" in k for k in keys), keys
