"""The contract (app/openapi.yaml) against a live `ticketing serve`: schemathesis generates
requests for every operation from the document, and sequences join -> place -> hold -> confirm
-> booking from its links. Every answer must conform to the document, and none may be a 5xx.

The server runs on private Redis and PostgreSQL: the fuzzer creates events with random ids.
Generated requests carry real credentials (admin token, ticket, access token) and, outside the
admin routes, the id of one real event, so they reach past the token and id checks; malformed
tokens and ids are covered by test_bad_input.py and test_tokens.py."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
import yaml
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.conftest import (
    ADMIN_TOKEN,
    AppProcess,
    Stores,
    event_body,
    join,
    wait_for_access,
)
from ticketing.embedded import EmbeddedServers

DOCUMENT = Path(__file__).parents[2] / "app" / "openapi.yaml"
EVENT_ID = "contract"
SLOT_ID = "a"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Bounded so the whole module stays well under a minute.
OPERATION_EXAMPLES = 25
SCENARIOS = 25
SCENARIO_STEPS = 6


class Credentials:
    """What the fuzzed requests present: the admin token, one client's ticket and (admitted)
    access token for the real event."""

    def __init__(self, url: str, ticket: str, access_token: str) -> None:
        self.url, self.ticket, self.access_token = url, ticket, access_token
        self.by_scheme = {"admin": ADMIN_TOKEN, "ticket": ticket, "access": access_token}

    def apply(self, case: schemathesis.Case) -> None:
        """The real event id outside admin routes, and the token the operation asks for."""
        schemes = [
            name
            for requirement in case.operation.definition.raw.get("security", [])
            for name in requirement
        ]
        if "event_id" in (case.path_parameters or {}) and "admin" not in schemes:
            case.path_parameters["event_id"] = EVENT_ID
        if isinstance(case.body, dict) and "slot_id" in case.body:
            case.body["slot_id"] = SLOT_ID
        if schemes:
            case.headers["Authorization"] = f"Bearer {self.by_scheme[schemes[0]]}"


@pytest.fixture(scope="module")
def servers() -> Iterator[EmbeddedServers]:
    started = EmbeddedServers().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
async def credentials(
    servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Credentials]:
    stores = Stores(servers.redis.url, servers.postgres.url, servers.redis)
    app = AppProcess(stores, tmp_path_factory.mktemp("contract"))
    try:
        await app.ready()
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
            created = await http.put(
                f"/api/v1/events/{EVENT_ID}",
                json=event_body(
                    slots=[{"id": SLOT_ID, "label": "all day", "capacity": 1_000_000}],
                    access_ttl_seconds=3600,
                    hold_ttl_seconds=600,
                    max_per_client=1000,
                ),
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert created.status_code == 201, created.text
            ticket = (await join(http, EVENT_ID))["ticket"]
            access_token = (await wait_for_access(http, EVENT_ID, ticket))["access_token"]
        yield Credentials(app.url, ticket, access_token)
    finally:
        app.stop()


# The document as committed; test_the_served_document_is_app_openapi_yaml checks the server serves
# the same, so the operations can be listed when the tests are collected.
CONTRACT = schemathesis.openapi.from_path(str(DOCUMENT))


def _operations() -> dict[str, schemathesis.APIOperation]:
    """Every operation by its label; an operation schemathesis cannot read fails collection."""
    operations = {}
    for result in CONTRACT.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        operations[result.ok().label] = result.ok()
    return operations


OPERATIONS = _operations()
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


async def test_the_served_document_is_app_openapi_yaml(credentials: Credentials) -> None:
    async with httpx.AsyncClient(base_url=credentials.url) as http:
        served = (await http.get("/api/v1/openapi.json")).json()
    assert served == yaml.safe_load(DOCUMENT.read_text())
    assert served["openapi"].startswith("3.1")


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_conforms(
    label: str, mode: schemathesis.GenerationMode, credentials: Credentials
) -> None:
    @hypothesis.given(case=OPERATIONS[label].as_strategy(mode))
    @hypothesis.settings(
        max_examples=OPERATION_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def conforms(case: schemathesis.Case) -> None:
        credentials.apply(case)
        case.call_and_validate(base_url=credentials.url, checks=CHECKS)

    try:
        conforms()
    except hypothesis.errors.Unsatisfiable:
        if mode is schemathesis.GenerationMode.POSITIVE:
            raise
        pytest.skip("nothing this operation takes can be made invalid")


def test_linked_scenarios_conform(credentials: Credentials) -> None:
    class Scenario(CONTRACT.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            credentials.apply(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": credentials.url}

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    Scenario.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=SCENARIO_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def test_document_links_join_place_hold_confirm_booking() -> None:
    """The stateful run can only chain what the document links."""
    document = yaml.safe_load(DOCUMENT.read_text())
    components = document["components"]["links"]

    def targets(path: str, method: str) -> set[str]:
        links: set[str] = set()
        for response in document["paths"][path][method]["responses"].values():
            for link in response.get("links", {}).values():
                resolved = components[link["$ref"].rsplit("/", 1)[1]] if "$ref" in link else link
                links.add(resolved["operationId"])
        return links

    assert targets("/api/v1/events/{event_id}/queue", "post") == {"myPlace"}
    assert targets("/api/v1/events/{event_id}/holds", "post") == {"confirmHold", "releaseHold"}
    assert targets("/api/v1/holds/{hold_id}/confirm", "post") == {"getBooking"}
