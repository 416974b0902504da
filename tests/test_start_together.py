"""Start-up order never matters (issue 25, part 4): three instances started at once on an empty
PostgreSQL migrate it exactly once (an advisory lock: the others wait) and all serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from slack_standin import StandIn
from tests.conftest import private_database
from tests.harness import ROOT, app_env, free_port, wait_for


def test_three_instances_started_at_once_migrate_an_empty_database_once_and_all_serve(
    standin: StandIn, postgres_url: str, tmp_path: Path
) -> None:
    with private_database(postgres_url, "together") as url:
        env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
        env.update(app_env(standin, url), PYTHONPATH=str(ROOT), DIGEST_ENABLED="false", LOG_LEVEL="INFO")
        ports = [free_port() for _ in range(3)]
        logs = [tmp_path / f"app-{n}.log" for n in range(3)]
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log.open("wb"),
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def ready(port: int) -> bool:
            try:
                with opener.open(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        try:
            for process, port in zip(processes, ports, strict=True):

                def serving(p: subprocess.Popen[bytes] = process, n: int = port) -> bool:
                    return process_alive(p) and ready(n)

                wait_for(serving, timeout=60, what=f"the app on {port}")
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
        # The schema was built once: one instance ran the migrations, the others found them done.
        ran = [sum("Running upgrade" in line for line in log.read_text().splitlines()) for log in logs]
        assert sorted(ran)[:2] == [0, 0] and sorted(ran)[2] > 20, ran
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        from assistant.database import head_revision

        assert versions == [head_revision()]


def process_alive(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"an instance exited with {process.returncode}")
    return True
