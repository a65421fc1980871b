"""Schemathesis over every operation of the served OpenAPI schema, authenticated: no 5xx, ever."""

from __future__ import annotations

import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from tests.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.slow

# Calls that end every token of an account: fuzzed with the fuzzer's own accounts' ids they would sign it
# out for the rest of the run, and every later operation would meet a 401 instead of being tried.
ENDS_THE_FUZZERS_OWN_ACCESS = {
    ("DELETE", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/sign-out-everywhere"),
    ("PATCH", "/api/v1/users/{user_id}"),
    ("POST", "/api/v1/users/{user_id}/password"),
    ("POST", "/api/v1/households/{household_id}/pin"),
}


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
        if (operation.method.upper(), operation.path) in ENDS_THE_FUZZERS_OWN_ACCESS:
            continue  # would end the fuzzer's own tokens midway (their own tests cover them)

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=20,  # × 2 roles × every operation: the longest single test of the suite
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
