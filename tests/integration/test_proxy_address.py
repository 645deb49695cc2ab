"""Behind a load balancer: the client address (rate-limit key, audit log) comes from X-Forwarded-For only when
TRUSTED_PROXY_HOPS says how many proxies to trust; by default the header is ignored (it could be forged)."""

from __future__ import annotations

import pytest
from flask import request
from flask_limiter.util import get_remote_address

from app import create_app
from app.config import TestConfig, from_environment


def _app(hops: int):
    class Config(TestConfig):
        TRUSTED_PROXY_HOPS = hops

    app = create_app(Config)

    @app.route("/_test/address")
    def address():
        return {"remote_addr": request.remote_addr, "limit_key": get_remote_address()}

    return app


def _seen(app, forwarded: str) -> dict:
    return app.test_client().get("/_test/address", headers={"X-Forwarded-For": forwarded},
                                 environ_base={"REMOTE_ADDR": "10.0.0.5"}).get_json()


def test_without_trusted_proxies_a_forwarded_header_is_ignored():
    assert _seen(_app(0), "203.0.113.7") == {"remote_addr": "10.0.0.5", "limit_key": "10.0.0.5"}


def test_one_trusted_proxy_gives_each_client_its_own_address_and_limit_key():
    app = _app(1)
    assert _seen(app, "203.0.113.7") == {"remote_addr": "203.0.113.7", "limit_key": "203.0.113.7"}
    assert _seen(app, "198.51.100.2")["limit_key"] == "198.51.100.2"
    # A client that forges its own X-Forwarded-For gets only the hop the trusted proxy appended.
    assert _seen(app, "1.2.3.4, 203.0.113.7")["limit_key"] == "203.0.113.7"


def test_two_trusted_proxies_load_balancer_then_nginx():
    assert _seen(_app(2), "1.2.3.4, 203.0.113.7, 10.0.0.9")["remote_addr"] == "203.0.113.7"


@pytest.mark.parametrize(("raw", "hops"), [("", 0), ("0", 0), ("2", 2)])
def test_trusted_proxy_hops_from_the_environment(raw, hops):
    assert from_environment({"TRUSTED_PROXY_HOPS": raw})["TRUSTED_PROXY_HOPS"] == hops


def test_a_malformed_hop_count_is_refused_by_name():
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS"):
        from_environment({"TRUSTED_PROXY_HOPS": "nginx"})
