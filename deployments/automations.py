"""Create the alerting automations that deployments/automations.yaml declares (replacing any of the
same names), notifying through the notification block named by MQL_ALERT_BLOCK (default `mql-alerts`):

    .venv/bin/python deployments/automations.py

Run it after `prefect deploy` (docs/operations.md, Alerts); PREFECT_API_URL names the server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.settings import Settings  # noqa: E402

AUTOMATIONS_YAML = Path(__file__).resolve().parent / "automations.yaml"


def declared() -> list[dict[str, Any]]:
    """The automations of automations.yaml."""
    return yaml.safe_load(AUTOMATIONS_YAML.read_text())["automations"]


def notification_block_id(name: str) -> Any:
    """The id of the saved notification block `name` (of any notification type)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        found = [doc for doc in client.read_block_documents(include_secrets=False) if doc.name == name]
    notifying = [doc for doc in found if "notify" in (doc.block_schema.capabilities if doc.block_schema else [])]
    if not notifying:
        raise SystemExit(f"error: MQL_ALERT_BLOCK: no notification block named {name!r} on the Prefect server "
                         "(save a Custom Webhook, Slack Webhook or email block under that name first)")
    return notifying[0].id


def automations(block_id: Any) -> list[Any]:
    """automations.yaml's automations, each sending its message through the block."""
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    return [Automation(name=spec["name"], description=spec.get("description", ""), enabled=True,
                       trigger=EventTrigger(posture=Posture.Reactive, threshold=1, **spec["trigger"]),
                       actions=[SendNotification(block_document_id=block_id, subject=spec["subject"],
                                                 body=spec["body"])])
            for spec in declared()]


def create(block_name: str | None = None) -> list[Any]:
    """Create (or replace) the automations; returns them as created."""
    from prefect.client.orchestration import get_client

    block_id = notification_block_id(block_name or Settings().alert_block)
    wanted = automations(block_id)
    with get_client(sync_client=True) as client:
        for automation in wanted:
            for old in client.read_automations_by_name(name=automation.name):
                client.delete_automation(old.id)
    return [automation.create() for automation in wanted]


if __name__ == "__main__":
    for made in create():
        print(f"automation {made.name!r} created ({made.id})", file=sys.stdout)
