"""The contract (app/openapi.yaml) against a live `ticketing serve`: schemathesis generates
requests for every operation from the document, and sequences join -> place -> hold -> confirm
-> booking from its links. Every answer must conform to the document, and none may be a 5xx.

The server runs on private Redis and PostgreSQL: the fuzzer creates events with random ids.
Generated requests carry real credentials (admin token, ticket, access token) and, outside the
admin routes, the id of one real event, so they reach past the token and id checks; malformed
tokens and ids are covered by test_bad_input.py and test_tokens.py.

A scenario's next steps depend on the answers to its earlier ones (the links follow the status
codes), so every run of a scenario must get the same answers: each scenario has an event and a
client of its own, and the events its admin calls name live in that event's namespace."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

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
from ticketing.config import ID_RE
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
    access token for a real event."""

    def __init__(self, url: str, event_id: str, ticket: str, access_token: str) -> None:
        self.url, self.event_id = url, event_id
        self.by_scheme = {"admin": ADMIN_TOKEN, "ticket": ticket, "access": access_token}

    def apply(self, case: schemathesis.Case) -> None:
        """The real event id outside admin routes, a valid one of the admin routes moved into its
        namespace, and the token the operation asks for."""
        schemes = [
            name
            for requirement in case.operation.definition.raw.get("security", [])
            for name in requirement
        ]
        if "event_id" in (case.path_parameters or {}):
            event_id = case.path_parameters["event_id"]
            case.path_parameters["event_id"] = (
                self._namespaced(event_id) if "admin" in schemes else self.event_id
            )
        if isinstance(case.body, dict) and "slot_id" in case.body:
            case.body["slot_id"] = SLOT_ID
        if schemes:
            case.headers["Authorization"] = f"Bearer {self.by_scheme[schemes[0]]}"

    def _namespaced(self, event_id: Any) -> Any:
        """A valid id as one of this event's own (an id not valid stays, for the 400)."""
        if not isinstance(event_id, str) or not ID_RE.fullmatch(event_id):
            return event_id
        if event_id == self.event_id or event_id.startswith(f"{self.event_id}-"):
            return event_id  # the real event, or an id a linked step took from an earlier one
        return f"{self.event_id}-{event_id}"[:64]


async def admitted_credentials(url: str, event_id: str) -> Credentials:
    """Creates the event and admits one client to it."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        created = await http.put(
            f"/api/v1/events/{event_id}",
            json=event_body(
                slots=[{"id": SLOT_ID, "label": "all day", "capacity": 1_000_000}],
                access_ttl_seconds=3600,
                hold_ttl_seconds=600,
                max_per_client=1000,
            ),
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert created.status_code == 201, created.text
        ticket = (await join(http, event_id))["ticket"]
        access_token = (await wait_for_access(http, event_id, ticket))["access_token"]
    return Credentials(url, event_id, ticket, access_token)


Result = TypeVar("Result")


def run_in_own_loop(work: Coroutine[Any, Any, Result]) -> Result:
    """Runs `work` to its end from synchronous code (a Hypothesis run), on an event loop of its
    own in another thread, leaving the tests' loop alone."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="module")
async def app_url(
    servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    stores = Stores(servers.redis.url, servers.postgres.url, servers.redis)
    app = AppProcess(stores, tmp_path_factory.mktemp("contract"))
    try:
        await app.ready()
        yield app.url
    finally:
        app.stop()


@pytest.fixture(scope="module")
async def credentials(app_url: str) -> Credentials:
    return await admitted_credentials(app_url, EVENT_ID)


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


def test_linked_scenarios_conform(app_url: str) -> None:
    numbers = itertools.count()

    class Scenario(CONTRACT.as_state_machine()):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.credentials = run_in_own_loop(
                admitted_credentials(app_url, f"scenario-{next(numbers)}")
            )

        def before_call(self, case: schemathesis.Case) -> None:
            self.credentials.apply(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": app_url}

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
            # the same scenarios in every run (a seed from the test, no example database)
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def test_each_scenario_names_events_of_its_own() -> None:
    """Admin calls of two scenarios never meet on one event; an invalid id stays invalid; a
    linked step keeps the id it took from an earlier one."""
    close = OPERATIONS["POST /api/v1/events/{event_id}/close"]
    first, second = (Credentials("", f"scenario-{n}", "ticket", "access") for n in (1, 11))

    def sent(credentials: Credentials, event_id: str) -> str:
        case = close.Case(path_parameters={"event_id": event_id})
        credentials.apply(case)
        return str(case.path_parameters["event_id"])

    assert sent(first, "a") != sent(second, "a")
    assert sent(first, "1-a") != sent(second, "a")
    longest = sent(first, "x" * 64)
    assert longest.startswith("scenario-1-") and ID_RE.fullmatch(longest)
    assert sent(first, "-bad") == "-bad"
    assert sent(first, sent(first, "a")) == sent(first, "a")
    assert sent(first, "scenario-1") == "scenario-1"


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
