"""Schemathesis over the whole API with each role's key (tests/api runs it with the admin key).

For the reader and analyst keys every operation is called with schema-generated input: an
operation that needs a stronger role must answer 403 whatever the input (no input gets past
the role check, and the check comes before validation can leak anything), every other one
must behave as with the admin key: no 5xx, responses that match the schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from monitor import netguard
from monitor.keys import ROLE_RANK
from tests.api.conftest import Api, module_api  # noqa: F401  (fixture)
from tests.api.factories import seed


def _private_resolver(host: str, port: int) -> list[str]:
    return ["10.0.0.1"]


@pytest.fixture(scope="module")
def roles_app(module_api: Api) -> Iterator[FastAPI]:  # noqa: F811
    seed(module_api.engine)
    module_api.app.state.resolver = _private_resolver
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(netguard, "default_resolver", _private_resolver)
        yield module_api.app


def _runner(operation, headers: dict[str, str], too_weak: bool):  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy())
    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case) -> None:  # type: ignore[no-untyped-def]
        if too_weak:
            response = case.call(headers=headers)
            assert response.status_code == 403, (response.status_code, response.text[:300])
        else:
            response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
            assert response.status_code != 403, response.text[:300]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("role", ["reader", "analyst"])
def test_each_role_gets_403_above_its_rank_and_valid_answers_below(roles_app: FastAPI, module_api: Api,  # noqa: F811
                                                                   role: str) -> None:
    schema = (
        schemathesis.openapi.from_asgi("/openapi.json", roles_app)
        .exclude(path="/api/v1/alerts/stream")
    )
    headers = module_api.h(role)
    failures: list[str] = []
    refused = allowed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        required = operation.definition.raw.get("x-required-role")
        too_weak = required is not None and ROLE_RANK[required] > ROLE_RANK[role]
        run = _runner(operation, headers, too_weak)
        try:
            run()

        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label} ({role}, needs {required}): {exc}"[:1500])
        if too_weak:
            refused += 1
        else:
            allowed += 1
    assert refused > 0 and allowed > 0
    assert not failures, "\n\n".join(failures)
