"""What `make run` does, as a newcomer would: migrate, load the demo, serve, /healthz 200."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]



def test_serve_answers_healthz_with_the_demo_catalog(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANSHI_")}
    env.update(BANSHI_DATA_DIR=str(tmp_path), BANSHI_PORT=str(port))
    python = sys.executable
    for argv in (["db", "upgrade"], ["kb", "demo"]):
        subprocess.run([python, "app.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([python, "app.py", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None, "no /healthz answer within a minute"
        assert body["status"] == "ok" and body["catalog"]["items"] >= 30
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err.decode()[-2000:]  # graceful shutdown on SIGTERM
    logs = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert logs and all("level" in entry and "msg" in entry for entry in logs)
