"""Schemathesis over every operation of the served OpenAPI schema, authenticated: no 5xx, ever."""

from __future__ import annotations

import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from tests.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.slow


def _token(url: str, username: str) -> str:
    import json

    request = urllib.request.Request(  # noqa: S310
        f"{url}/api/v1/auth/token",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())["access_token"]


def test_no_operation_answers_5xx(live_server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/schema/openapi.json")
    headers = {
        "admin": {"Authorization": f"Bearer {_token(live_server.url, 'admin')}"},
        "secretary": {"Authorization": f"Bearer {_token(live_server.url, 'secretary_a')}"},
    }
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        if operation.path.endswith("/auth/token") and operation.method.upper() == "DELETE":
            continue  # would revoke the fuzzer's own token midway

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=30,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case) -> None:
            for role_headers in headers.values():
                response = case.call(base_url=live_server.url, headers=role_headers, timeout=10)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:200]}"
                    )

        check()
    assert not failures, "\n".join(failures[:20])
