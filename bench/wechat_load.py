"""Load test of POST /wechat: signed text questions under concurrency, msg/s and p50/p99.

Starts two servers on this machine and drives both the same way in one run:
- Banshi: `app.py serve` as deployed (the full path: middleware, signature check,
  wechatpy parsing, shared dedup in the database or Redis, the bot under its budget with
  its state and transcript, rendering), with `--workers` processes. `--fake-bot` measures
  the channel alone: one process whose bot is an instant echo.
- WeRoBot: an empty echo bot (bench/werobot_echo.py) under gunicorn, one worker, from a
  separate virtualenv (default /tmp/werobot-venv).

    .venv/bin/python bench/wechat_load.py [--client wrk|aiohttp] [--seconds 15] [--rounds 3]
        [--messages 5000] [--concurrency 10]
        [--dedup sqlite|postgresql|redis] [--state sql|redis|memory] [--workers 2]
        [--database sqlite|postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--fake-bot]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.wechat.codec import signature  # noqa: E402

TOKEN = "spamtest"
DEV_QUESTIONS = ROOT.parent / "shared" / "kb" / "questions-dev.jsonl"


def load_questions() -> list[str]:
    """Questions as citizens type them (the labelled dev set: colloquial, dialect, typos, long
    voice messages …), so each message costs the search what real traffic costs; a short
    fixed list if the shared data is not there."""
    if DEV_QUESTIONS.exists():
        lines = DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["q"].replace("\n", " ").replace("]]>", "") for line in lines if line.strip()]
    return ["身份证丢了怎么补办", "居住证需要什么材料", "营业执照在哪里办", "社保卡怎么挂失", "户口迁移流程"]


QUESTIONS = load_questions()


@dataclass
class Result:
    name: str
    rate: float  # messages a second
    p50: float  # ms
    p99: float  # ms
    errors: int  # not 200 with an XML reply, or a socket error

    @classmethod
    def of(cls, name: str, seconds: float, latencies: list[float], errors: int) -> Result:
        ordered = sorted(latencies)

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        return cls(name, len(latencies) / seconds, pct(0.50), pct(0.99), errors)

    def line(self) -> str:
        return (f"{self.name:<48} {self.rate:6.0f} msg/s   p50 {self.p50:6.1f} ms   "
                f"p99 {self.p99:6.1f} ms   errors {self.errors}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message(msg_id: int, user: str, text: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def signed_query() -> dict[str, str]:
    ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    return {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


async def drive(name: str, url: str, messages: int, concurrency: int, first_id: int) -> Result:
    latencies: list[float] = []
    errors = 0
    ids = iter(range(first_id, first_id + messages))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(msg_id: int) -> None:
            nonlocal errors
            body = message(msg_id, f"user{msg_id % 500}", QUESTIONS[msg_id % len(QUESTIONS)])
            started = time.perf_counter()
            try:
                async with session.post(url, params=signed_query(), data=body) as response:
                    text = await response.text()
                    ok = response.status == 200 and text.strip().startswith("<xml>")
            except aiohttp.ClientError:
                ok = False
            latencies.append(time.perf_counter() - started)
            if not ok:
                errors += 1

        async def worker() -> None:
            for msg_id in ids:
                await one(msg_id)

        for _ in range(200):  # warm-up, not measured
            await one(next(ids))
        latencies.clear()
        errors = 0
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result.of(name, seconds, latencies, errors)


def drive_wrk(name: str, url: str, seconds: int, concurrency: int, first_id: int) -> Result:
    """The same messages from wrk (C, one thread), which leaves the CPUs to the servers."""
    query = "&".join(f"{k}={v}" for k, v in signed_query().items())
    script = str(ROOT / "bench" / "wechat_wrk.lua")

    questions = Path(tempfile.mkdtemp(prefix="banshi-wrk-")) / "questions.txt"
    questions.write_text("".join(q + "\n" for q in QUESTIONS), encoding="utf-8")

    def run(duration: str, first: int) -> dict[str, float]:
        done = subprocess.run(["wrk", "-t", "1", "-c", str(concurrency), "-d", duration, "-s", script, url,
                               "--", str(first), query, str(questions)], check=True, capture_output=True, text=True)
        report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return report

    run("2s", first_id)  # warm-up, not measured
    report = run(f"{seconds}s", first_id + 5_000_000_000)
    return Result(name, report["requests"] / report["seconds"], report["p50_ms"], report["p99_ms"],
                  int(report["bad"] + report["socket_errors"]))


async def wait_up(url: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url, params={**signed_query(), "echostr": "up"}) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server at {url} did not start")
            await asyncio.sleep(0.2)


def fresh_pg(server_url: str, name: str = "banshi_bench") -> str:
    """An empty database `name` on the server of `server_url` (dropped and made again)."""
    import asyncpg

    async def make() -> None:
        conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    from adapters.settings import normalise_database_url

    asyncio.run(make())
    return normalise_database_url(server_url.rpartition("/")[0] + "/" + name)


def ensure_werobot(venv: Path) -> None:
    """The comparison bot lives in its own virtualenv so it never touches Banshi's."""
    if (venv / "bin" / "gunicorn").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "werobot", "gunicorn"], check=True)


def serve_banshi(port: int, database_url: str, redis_url: str, fake_bot: bool, state: str) -> None:
    """The Banshi server process: the real app factory; its bot, or an echo bot if asked/none."""
    from aiohttp import web

    from adapters.keys import BOT
    from adapters.logs import setup_logging
    from adapters.settings import Secret, Settings
    from app import create_app
    from bot.types import Inbound, Reply, Text

    class EchoBot:
        async def feed(self, inbound: Inbound) -> list[Reply]:
            return [Text(f"echo: {inbound.text}")]

    settings = Settings(database_url=database_url, redis_url=redis_url, wechat_token=Secret(TOKEN), state_backend=state,
                        log_level="WARNING", data_dir=Path(tempfile.mkdtemp()))
    setup_logging(settings.log_level)
    app = create_app(settings)

    async def choose_bot(app: web.Application) -> None:  # runs after cleanup_ctx set app[BOT]
        if fake_bot or BOT not in app:
            app[BOT] = EchoBot()
            print("banshi: measuring with an instant echo bot (fake)", flush=True)
        else:
            print("banshi: measuring with the real bot from create_app", flush=True)

    app.on_startup.append(choose_bot)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=lambda *_: None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=("wrk", "aiohttp"), default="wrk" if shutil.which("wrk") else "aiohttp",
                        help="load generator (default wrk when installed: it leaves the CPUs to the servers)")
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument("--messages", type=int, default=5000, help="messages per aiohttp run")
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two servers this many times")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--dedup", choices=("sqlite", "postgresql", "redis"), default="sqlite")
    parser.add_argument("--database", choices=("sqlite", "postgresql"),
                        help="the app's database (default: postgresql when --dedup postgresql, else sqlite); "
                             "several workers should share PostgreSQL, as several instances do")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="server for --database postgresql: a fresh database banshi_bench is made on it")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--fake-bot", action="store_true", help="echo bot instead of the real dispatcher")
    parser.add_argument("--state", choices=("sql", "redis", "memory"), default="sql",
                        help="BANSHI_STATE_BACKEND of the measured app")
    parser.add_argument("--workers", type=int, default=1, help="BANSHI_WORKERS of the measured app")
    parser.add_argument("--werobot-venv", type=Path, default=Path("/tmp/werobot-venv"))
    parser.add_argument("--serve-banshi", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_banshi:
        redis_url = args.redis_url if "redis" in (args.dedup, args.state) else ""
        serve_banshi(args.serve_banshi, args.database_url, redis_url, args.fake_bot, args.state)
        return 0

    from adapters.db import migrate

    ensure_werobot(args.werobot_venv)
    tmp = Path(tempfile.mkdtemp(prefix="banshi-bench-"))
    database = args.database or ("postgresql" if args.dedup == "postgresql" else "sqlite")
    database_url = f"sqlite+aiosqlite:///{tmp / 'banshi.db'}" if database == "sqlite" else fresh_pg(args.pg_url)
    migrate.upgrade(database_url)
    subprocess.run([sys.executable, str(ROOT / "app.py"), "kb", "demo"], check=True, capture_output=True,
                   env={**os.environ, "BANSHI_DATABASE_URL": database_url, "BANSHI_DATA_DIR": str(tmp)})
    banshi_port, werobot_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.fake_bot:
        banshi = subprocess.Popen(
            [sys.executable, __file__, "--serve-banshi", str(banshi_port), "--database-url", database_url,
             "--dedup", args.dedup, "--state", args.state, "--redis-url", args.redis_url, "--fake-bot"],
            env=env, stderr=subprocess.DEVNULL,
        )
    else:
        redis_url = args.redis_url if "redis" in (args.dedup, args.state) else ""
        banshi = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "serve"],
            env={**env, "BANSHI_DATABASE_URL": database_url, "BANSHI_REDIS_URL": redis_url,
                 "BANSHI_STATE_BACKEND": args.state, "BANSHI_WECHAT_TOKEN": TOKEN, "BANSHI_LOG_LEVEL": "WARNING",
                 "BANSHI_PORT": str(banshi_port), "BANSHI_WORKERS": str(args.workers), "BANSHI_DATA_DIR": str(tmp)},
            stderr=subprocess.DEVNULL,
        )
    werobot = subprocess.Popen(
        [str(args.werobot_venv / "bin" / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{werobot_port}",
         "--chdir", str(ROOT / "bench"), "--log-level", "warning", "werobot_echo:app"],
        stderr=subprocess.DEVNULL,
    )
    try:
        first = int(time.time()) * 1_000_000
        banshi_url, werobot_url = f"http://127.0.0.1:{banshi_port}/wechat", f"http://127.0.0.1:{werobot_port}/"

        banshi_name = (f"banshi ({database}, dedup {args.dedup}, state {args.state}, "
                       f"{1 if args.fake_bot else args.workers} worker{'s' if args.workers > 1 else ''}"
                       f"{', echo bot' if args.fake_bot else ''})")
        asyncio.run(wait_up(banshi_url))
        asyncio.run(wait_up(werobot_url))
        rounds: list[tuple[Result, Result]] = []
        for n in range(args.rounds):
            start = first + n * 20_000_000_000
            if args.client == "wrk":
                pair = (drive_wrk("werobot (gunicorn, 1 worker)", werobot_url, args.seconds, args.concurrency, start),
                        drive_wrk(banshi_name, banshi_url, args.seconds, args.concurrency, start + 10_000_000_000))
            else:
                pair = (asyncio.run(drive("werobot (gunicorn, 1 worker)", werobot_url, args.messages,
                                          args.concurrency, start)),
                        asyncio.run(drive(banshi_name, banshi_url, args.messages, args.concurrency,
                                          start + 10_000_000_000)))
            rounds.append(pair)
    finally:
        for process in (banshi, werobot):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    load = f"{args.seconds} s per run" if args.client == "wrk" else f"{args.messages} messages per run"
    print(f"signed text messages from {args.client}, concurrency {args.concurrency}, {load}, "
          f"{args.rounds} alternating rounds, {os.cpu_count()} CPUs")
    for n, (werobot_result, banshi_result) in enumerate(rounds, 1):
        print(f"round {n}: {werobot_result.line()}")
        print(f"round {n}: {banshi_result.line()}   ratio {banshi_result.rate / werobot_result.rate:.2f}x")
    ratios = sorted(b.rate / w.rate for w, b in rounds)
    ratio = ratios[len(ratios) // 2]
    worst_p99 = max(b.p99 for _, b in rounds)
    errors = sum(b.errors for _, b in rounds)
    met = ratio >= 1.5 and worst_p99 < 50 and not errors
    print(f"banshi / werobot: median {ratio:.2f}x msg/s, banshi p99 worst {worst_p99:.1f} ms, errors {errors} "
          f"(target >= 1.5x, p99 < 50 ms, no errors: {'met' if met else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
