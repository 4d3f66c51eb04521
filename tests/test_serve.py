"""What `make run` does, as a newcomer would: migrate, load the demo, serve, /healthz 200;
and the same with several worker processes behind one port."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REDIS_URL, free_port
from tests.fakes_wechat import TOKEN, Signer, text_xml

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


def test_a_worker_finishes_its_shutdown_when_stop_signals_pile_up(tmp_path: Path) -> None:
    """systemd signals every process of the unit and the supervisor passes the signal on:
    the second must not cut the first one's graceful shutdown short."""
    env = _prepare(tmp_path)
    server = subprocess.Popen([sys.executable, "app.py", "serve", "--workers", "2"], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE)
    try:
        worker = _healthz(env)["pid"]
        for _ in range(3):
            os.kill(worker, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while worker in _workers_of(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        logs = _stop(server)  # rc 0: no worker ended in a failure
    died = [entry for entry in logs if entry["msg"] == "worker died; starting another"]
    assert died and died[0]["pid"] == worker and died[0]["exit_code"] == 0
    assert not [entry for entry in logs if entry["msg"] == "worker failed"]


def test_serve_refuses_a_bad_workers_flag(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANSHI_")}
    env.update(BANSHI_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "app.py", "serve", "--workers", "0"], cwd=ROOT, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 2 and b"BANSHI_WORKERS" in done.stderr


@pytest.mark.skipif(not REDIS_URL, reason="BANSHI_TEST_REDIS_URL not set")
def test_workers_answer_a_retried_wechat_message_once_through_redis(tmp_path: Path) -> None:
    """The deployed path end to end: forked workers on uvloop, the Redis line for dedup
    and state, three copies of one signed message at once → one handling, one reply."""
    env = _prepare(tmp_path, BANSHI_REDIS_URL=REDIS_URL, BANSHI_STATE_BACKEND="redis", BANSHI_WECHAT_TOKEN=TOKEN,
                   BANSHI_LOG_LEVEL="WARNING")
    server = subprocess.Popen([sys.executable, "app.py", "serve", "--workers", "2"], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE)
    user = f"o-serve-{uuid.uuid4().hex[:10]}"
    xml = text_xml("身份证丢了咋个补办", msg_id=random.randrange(10**18, 9 * 10**18), user=user)
    try:
        _healthz(env)
        query, body = Signer().sign(xml)
        url = f"http://127.0.0.1:{env['BANSHI_PORT']}/wechat?{urllib.parse.urlencode(query)}"

        def deliver() -> str:
            with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
                return str(r.read().decode())

        with ThreadPoolExecutor(3) as pool:
            replies = list(pool.map(lambda _: deliver(), range(3)))
    finally:
        _stop(server)
    assert len(set(replies)) == 1
    assert "身份证" in Signer().open_reply(replies[0])["Content"]
    with sqlite3.connect(tmp_path / "banshi.db") as db:  # the transcript: one turn, not three
        turns = db.execute("SELECT count(*) FROM transcripts WHERE user_key = ?", (f"wechat:{user}",)).fetchone()
    assert turns == (1,)
