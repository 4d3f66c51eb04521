"""The core (bot/, intents/, knowledge/) stays free of sockets, tables and the environment."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("aiohttp", "sqlalchemy", "redis", "asyncpg", "aiosqlite", "adapters", "app")


def test_core_modules_import_no_adapter_libraries_and_read_no_environment() -> None:
    offences = []
    for package in ("bot", "intents", "knowledge"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                offences += [f"{path.relative_to(ROOT)} imports {n}" for n in names if n.split(".")[0] in FORBIDDEN]
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                    offences.append(f"{path.relative_to(ROOT)} reads the environment")
    assert offences == []
