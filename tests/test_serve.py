"""What `make run` does, as a newcomer would: migrate, load the demo, serve, /healthz 200;
and the same with several worker processes behind one port."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def _prepare(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANSHI_")}
    env.update(BANSHI_DATA_DIR=str(tmp_path), BANSHI_PORT=str(free_port()), **extra)
    for argv in (["db", "upgrade"], ["kb", "demo"]):
        subprocess.run([sys.executable, "app.py", *argv], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=120)
    return env


def _healthz(env: dict[str, str], within: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{env['BANSHI_PORT']}/healthz", timeout=2) as r:
                body: dict[str, Any] = json.loads(r.read())
                return body
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no /healthz answer within {within} s")


def _stop(server: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    server.terminate()
    _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err.decode()[-2000:]  # graceful shutdown on SIGTERM
    logs = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert logs and all("level" in entry and "msg" in entry for entry in logs)
    return logs


def _workers_of(parent: int) -> set[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(pid) for pid in children}


def test_serve_answers_healthz_with_the_demo_catalog(tmp_path: Path) -> None:
    env = _prepare(tmp_path)
    server = subprocess.Popen([sys.executable, "app.py", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        body = _healthz(env)
        assert body["status"] == "ok" and body["catalog"]["items"] >= 30
        assert body["pid"] == server.pid  # one worker: the process itself
    finally:
        _stop(server)


def test_serve_with_workers_shares_one_port_and_replaces_a_dead_worker(tmp_path: Path) -> None:
    env = _prepare(tmp_path)
    server = subprocess.Popen([sys.executable, "app.py", "serve", "--workers", "2"], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE)
    try:
        first = _healthz(env)
        assert first["status"] == "ok" and first["pid"] != server.pid
        workers = _workers_of(server.pid)
        assert len(workers) == 2 and first["pid"] in workers

        os.kill(first["pid"], signal.SIGKILL)  # a worker crashes
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _workers_of(server.pid)
            if len(now) == 2 and first["pid"] not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and first["pid"] not in now, "the dead worker was not replaced"
        for _ in range(5):  # and the port keeps answering
            assert _healthz(env, within=30)["status"] == "ok"
    finally:
        logs = _stop(server)
    assert any(entry["msg"] == "worker died; starting another" for entry in logs)
    assert all(not Path(f"/proc/{pid}").exists() for pid in now)


def test_serve_refuses_a_bad_workers_flag(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANSHI_")}
    env.update(BANSHI_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "app.py", "serve", "--workers", "0"], cwd=ROOT, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 2 and b"BANSHI_WORKERS" in done.stderr
