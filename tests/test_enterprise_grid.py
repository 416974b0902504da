"""An org-wide install on Enterprise Grid: people's ids start with W, payloads carry team: null."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slack_standin.workspace import User, Workspace
from tests.harness import FlowButton, Harness, in_hours, seed_workspace, start_harness, wait_for

GRID_CSM = "W0GRIDCSM1"
GRID_OWNER = "W0GRIDOWN1"


def grid_seed(workspace: Workspace) -> None:
    seed_workspace(workspace)
    workspace.org_wide_install = True
    workspace.add_user(User(GRID_CSM, "gina", "Gina Rossi", "Customer Success Manager", "Europe/Rome", 3600))
    workspace.add_user(User(GRID_OWNER, "omar", "Omar Haddad", "Head of Support", "Asia/Dubai", 14400))
    workspace.channel_named("general").members += [GRID_CSM, GRID_OWNER]  # type: ignore[union-attr]


@pytest.fixture
def grid(database_url: str) -> Iterator[Harness]:
    running = start_harness(database_url, seed=grid_seed)
    yield running
    running.stop()


def test_a_case_runs_with_enterprise_grid_ids_and_an_org_wide_install(grid: Harness) -> None:
    case = grid.escalate(GRID_CSM, owner=GRID_OWNER, stakeholders=[])
    channel = grid.channel_of(case)
    assert {GRID_CSM, GRID_OWNER} <= set(channel.members)
    owner_dm = wait_for(lambda: grid.workspace.dm_messages(GRID_OWNER), what="the owner's DM")
    assert "ESC-1" in owner_dm[0].text
    view = grid.open_flow(GRID_OWNER, case, FlowButton.ACKNOWLEDGE)
    grid.submit(GRID_OWNER, view, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: grid.case(case.id).status == "acknowledged", what="the acknowledgement")
    assert grid.case(case.id).acknowledged_by == GRID_OWNER
