"""A bare Bolt app for bench/overhead.py: same slack_bolt, same waitress, no database, no rules.

    python bench/bare_app.py --port 3001 --view view.json

Answers `/escalate` as the real app does (ack, then views.open with the same modal,
read once from `--view`), so the difference in cost is everything the real app adds.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--view", required=True)
    args = parser.parse_args()
    with open(args.view, encoding="utf-8") as file:
        view = json.load(file)
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
        process_before_response=False,
    )

    @app.command("/escalate")
    def escalate(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)

    serve(SlackRequestHandler(app), host="127.0.0.1", port=args.port, threads=16, _quiet=True)


if __name__ == "__main__":
    main()
