"""Run the stand-in: python -m slack_standin [--port 3001] [--latency-ms 0]."""

import argparse
import time

from slack_standin import StandIn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    standin = StandIn(port=args.port).start()
    standin.workspace.default_latency = args.latency_ms / 1000
    print(f"Slack stand-in: SLACK_API_URL={standin.api_url}", flush=True)
    print(f"bot token: {standin.workspace.bot_token}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
