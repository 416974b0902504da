"""The OpenAPI document against the app that serves it: schemathesis generates requests from the
document (its examples, the boundaries and the wrong types of every field, missing parts, random
ones, sequences through its links) and runs every one of its checks on each answer, over real
HTTP (waitress, a2wsgi, FastAPI) with a real token: not one server error, not one answer the
document does not describe.

Run through schemathesis' own engine (what `schemathesis run` uses), not its pytest plugin:
the plugin's fixture loader does not work with pytest 9.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from assistant.api import tokens
from tests.harness import load_directory, start_harness


@pytest.mark.timeout(180)
def test_the_api_is_what_its_openapi_document_says(database_url: str) -> None:
    # A bucket no run of this test empties: 429 is documented, but it would hide the rest.
    harness = start_harness(database_url, api_rate_per_minute=10_000)
    try:
        load_directory(
            harness,
            "name,crm_id,tier,contract_value,csm\nAcme Inc,0015A,enterprise,$120k,U0CSM0001\n"
            "Globex,0015B,growth,$80k,U0VPSALES\n",
        )
        token = tokens.create(harness.components.engine, "schemathesis", list(tokens.SCOPES))
        config = SchemathesisConfig.from_dict(
            {
                "seed": 21,  # the same requests in every run (CI runs it on SQLite and PostgreSQL)
                "headers": {"Authorization": f"Bearer {token}"},
                "workers": 1,
                "continue-on-failure": True,
                # Valid and invalid requests both; no example database left behind between runs.
                "generation": {"max-examples": 15, "mode": "all", "database": "none"},
                # Every check schemathesis has.
                "checks": {
                    # A body can be well formed and still name someone Slack does not know, or an
                    # account the directory does not have: the content's 422 is an answer too.
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    },
                },
            }
        )
        schema = schemathesis.openapi.from_url(f"{harness.server.url}/api/v1/openapi.json", config=config)
        requests = 0
        outcomes: Counter[str] = Counter()
        answered: Counter[int] = Counter()
        failures: list[str] = []
        problems: list[str] = []
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
                requests += len(event.recorder.interactions)
                for interaction in event.recorder.interactions.values():
                    if interaction.response is not None:
                        answered[interaction.response.status_code] += 1
                for case_id, checks in event.recorder.checks.items():
                    for check in checks:
                        outcomes[f"{check.name}:{check.status.value}"] += 1
                        if check.status == Status.FAILURE:
                            case = event.recorder.cases[case_id].value
                            info = check.failure_info
                            said = f"{info.failure.title}: {info.failure.message[:300]}" if info else ""
                            body = str(case.body)[:200] if case.body is not None else ""
                            failures.append(
                                f"{check.name}: {case.method} {case.formatted_path} {case.query or ''} "
                                f"{case.headers or ''} {body} — {said}"
                            )
            elif isinstance(event, events.NonFatalError | events.FatalError):
                problems.append(repr(event))
        print(f"schemathesis: {requests} requests, answers {dict(sorted(answered.items()))}")
        print(f"checks {dict(sorted(outcomes.items()))}")
        assert not problems, problems
        assert not failures, "\n".join(sorted(set(failures)))
        assert requests > 300
        assert outcomes["not_a_server_error:success"] > 300
    finally:
        harness.stop()
