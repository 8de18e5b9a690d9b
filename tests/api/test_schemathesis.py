"""Property-based run over /openapi.json with a valid admin key on a small store: no 5xx, no schema violation.

Bounded (a few examples per operation) so the whole run stays well under a minute. Name
resolution is answered by a stand-in that returns a private address, so generated URLs
are refused by the SSRF guard without any DNS query leaving the machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from monitor import netguard
from tests.api.conftest import Api
from tests.api.factories import seed


def _private_resolver(host: str, port: int) -> list[str]:
    return ["10.0.0.1"]


@pytest.fixture(scope="module")
def schema_app(module_api: Api) -> Iterator[FastAPI]:
    seed(module_api.engine)
    module_api.app.state.resolver = _private_resolver
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(netguard, "default_resolver", _private_resolver)
        yield module_api.app


@pytest.mark.slow
def test_no_server_errors_and_responses_match_the_schema(schema_app: FastAPI, module_api: Api) -> None:
    schema = (
        schemathesis.openapi.from_asgi("/openapi.json", schema_app)
        # An endless stream (tested through uvicorn), and revoking keys would revoke the test's own key.
        .exclude(path="/api/v1/alerts/stream")
        .exclude(method="DELETE", path="/api/v1/keys/{key_id}")
    )
    headers = module_api.h("admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case) -> None:  # type: ignore[no-untyped-def]
            # Schema-valid but semantically wrong input (a cursor we never issued, 30 February) is
            # rightly a 422, so "valid data must be accepted" does not apply; every other check does.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            run()
        except BaseException as exc:  # collect every operation's failure (FailureGroup), then report them all
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
