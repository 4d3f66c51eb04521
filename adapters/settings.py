"""Settings read once from BANSHI_* environment variables into a frozen object.

Nothing else in Banshi reads the environment: the composition root (app.py) builds a
Settings and hands pieces of it to adapters. A bad value stops start-up with a message
that names the variable, and secrets never show up in logs or reprs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SettingsError(ValueError):
    """A BANSHI_* variable holds a value Banshi cannot use."""


class Secret:
    """A value that prints as stars: settings are logged, secrets must not be."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError("must be between 1 and 65535")
    return port


def _non_negative(text: str) -> int:
    number = int(text)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _workers(text: str) -> int:
    workers = int(text)
    if not 1 <= workers <= 64:
        raise ValueError("must be 1..64")
    return workers


def _positive_float(text: str) -> float:
    number = float(text)
    if number <= 0:
        raise ValueError("must be more than 0")
    return number


def _aes_key(text: str) -> Secret:
    if text and len(text) != 43:
        raise ValueError("an EncodingAESKey has exactly 43 characters")
    return Secret(text)


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return text.rstrip("/")


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as e:
        raise ValueError(f"not a regular expression: {e}") from None
    return text


def _cases_backend(text: str) -> str:
    if text not in ("local", "http"):
        raise ValueError("must be local or http")
    return text


def _url_template(text: str) -> str:
    """A URL that may hold {number}, e.g. https://host/api/cases/{number}."""
    return _url(text)


def _json_object(text: str) -> str:
    """Kept as text (settings stay flat and printable); checked here so start-up fails early."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return text


def _state_backend(text: str) -> str:
    if text not in ("sql", "redis", "memory"):
        raise ValueError("must be sql, redis or memory")
    return text


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgresql://, sqlite:///) and pick the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain):]
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError("must be a postgresql:// or sqlite:/// URL")
    return url


def _channels(text: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in text.lower().split(",") if n.strip() and n.strip() != "none")
    unknown = names - {"wechat", "web", "terminal"}
    if unknown:
        raise ValueError(f"unknown channel(s) {', '.join(sorted(unknown))}; use wechat, web, terminal")
    return names


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything configurable; field metadata names the variable and its parser."""

    data_dir: Path = field(default=Path("var"), metadata={"env": "BANSHI_DATA_DIR", "parse": Path})
    database_url: str = field(
        default="", metadata={"env": "BANSHI_DATABASE_URL", "parse": normalise_database_url}
    )
    redis_url: str = field(default="", metadata={"env": "BANSHI_REDIS_URL", "parse": str})
    host: str = field(default="127.0.0.1", metadata={"env": "BANSHI_HOST", "parse": str})
    port: int = field(default=8080, metadata={"env": "BANSHI_PORT", "parse": _port})
    workers: int = field(default=1, metadata={"env": "BANSHI_WORKERS", "parse": _workers})
    log_level: str = field(default="INFO", metadata={"env": "BANSHI_LOG_LEVEL", "parse": _log_level})
    public_url: str = field(default="", metadata={"env": "BANSHI_PUBLIC_URL", "parse": _url})
    catalog_poll_seconds: float = field(
        default=2.0, metadata={"env": "BANSHI_CATALOG_POLL_SECONDS", "parse": _positive_float}
    )
    # the optional semantic search stage (the `semantic` extra): OpenMP threads its embedding
    # model may use per question; 0 turns it off
    semantic_threads: int = field(default=0, metadata={"env": "BANSHI_SEMANTIC_THREADS", "parse": _non_negative})
    wechat_token: Secret = field(default=Secret(""), metadata={"env": "BANSHI_WECHAT_TOKEN", "parse": Secret})
    wechat_aes_key: Secret = field(
        default=Secret(""), metadata={"env": "BANSHI_WECHAT_AES_KEY", "parse": _aes_key}
    )
    wechat_appid: str = field(default="", metadata={"env": "BANSHI_WECHAT_APPID", "parse": str})
    wechat_secret: Secret = field(
        default=Secret(""), metadata={"env": "BANSHI_WECHAT_SECRET", "parse": Secret}
    )
    wechat_api_base: str = field(
        default="https://api.weixin.qq.com", metadata={"env": "BANSHI_WECHAT_API_BASE", "parse": _url}
    )
    wechat_max_skew: int = field(
        default=300, metadata={"env": "BANSHI_WECHAT_MAX_SKEW", "parse": _non_negative}
    )
    # -- cases (办件) and reviews (好差评) --
    cases_secret: Secret = field(default=Secret(""), metadata={"env": "BANSHI_CASES_SECRET", "parse": Secret})
    cases_pepper: Secret = field(default=Secret(""), metadata={"env": "BANSHI_CASES_PEPPER", "parse": Secret})
    cases_max_skew: int = field(
        default=300, metadata={"env": "BANSHI_CASES_MAX_SKEW", "parse": _non_negative}
    )
    case_number_pattern: str = field(
        default=r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,8}-?)?\d{12,32}(?![A-Za-z0-9])",
        metadata={"env": "BANSHI_CASE_NUMBER_PATTERN", "parse": _regex},
    )
    cases_backend: str = field(default="local", metadata={"env": "BANSHI_CASES_BACKEND", "parse": _cases_backend})
    cases_url: str = field(default="", metadata={"env": "BANSHI_CASES_URL", "parse": _url_template})
    cases_auth_header: str = field(
        default="Authorization", metadata={"env": "BANSHI_CASES_AUTH_HEADER", "parse": str}
    )
    cases_auth_value: Secret = field(
        default=Secret(""), metadata={"env": "BANSHI_CASES_AUTH_VALUE", "parse": Secret}
    )
    cases_field_map: str = field(default="", metadata={"env": "BANSHI_CASES_FIELD_MAP", "parse": _json_object})
    cases_timeout: float = field(
        default=3.0, metadata={"env": "BANSHI_CASES_TIMEOUT", "parse": _positive_float}
    )
    cases_retries: int = field(default=2, metadata={"env": "BANSHI_CASES_RETRIES", "parse": _non_negative})
    case_template_id: str = field(default="", metadata={"env": "BANSHI_CASE_TEMPLATE_ID", "parse": str})
    service_phone: str = field(default="12345", metadata={"env": "BANSHI_SERVICE_PHONE", "parse": str})
    rectification_days: int = field(
        default=5, metadata={"env": "BANSHI_RECTIFICATION_DAYS", "parse": _non_negative}
    )
    staff_token: Secret = field(default=Secret(""), metadata={"env": "BANSHI_STAFF_TOKEN", "parse": Secret})
    wechat_budget_seconds: float = field(
        default=4.0, metadata={"env": "BANSHI_WECHAT_BUDGET", "parse": _positive_float}
    )
    wechat_max_body: int = field(
        default=64 * 1024, metadata={"env": "BANSHI_WECHAT_MAX_BODY", "parse": _non_negative}
    )
    wechat_menu_file: Path = field(
        default=Path(__file__).parent / "wechat" / "menu.json", metadata={"env": "BANSHI_WECHAT_MENU", "parse": Path}
    )
    # -- dialogue (issue 5) --
    state_backend: str = field(default="sql", metadata={"env": "BANSHI_STATE_BACKEND", "parse": _state_backend})
    idle_minutes: float = field(default=30.0, metadata={"env": "BANSHI_IDLE_MINUTES", "parse": _positive_float})
    holidays_file: str = field(default="", metadata={"env": "BANSHI_HOLIDAYS_FILE", "parse": str})
    center_name: str = field(default="政务服务中心", metadata={"env": "BANSHI_CENTER_NAME", "parse": str})
    # channels whose "转人工" also transfers to live agents (WeChat 多客服); "none" turns it off
    handoff_channels: frozenset[str] = field(
        default=frozenset({"wechat"}), metadata={"env": "BANSHI_HANDOFF_CHANNELS", "parse": _channels}
    )
    reminder_interval_seconds: float = field(
        default=3600.0, metadata={"env": "BANSHI_REMINDER_INTERVAL_SECONDS", "parse": _positive_float}
    )

    def __post_init__(self) -> None:
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{self.data_dir / 'banshi.db'}"
            object.__setattr__(self, "database_url", url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment; `overrides` (command-line flags) win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            parse: Callable[[str], Any] = f.metadata["parse"]
            try:
                values[f.name] = parse(raw.strip())
            except ValueError as e:
                shown = "(hidden)" if isinstance(f.default, Secret) else repr(raw)
                raise SettingsError(f"{name}={shown} is not valid: {e}") from None
        parsers = {f.name: (f.metadata["env"], f.metadata["parse"]) for f in fields(cls)}
        for key, value in overrides.items():
            if value is None:
                continue
            flag, parse = parsers[key]
            try:  # a flag is checked like the variable it stands for
                values[key] = parse(str(value)) if isinstance(value, int | float | str) else value
            except ValueError as e:
                raise SettingsError(f"{flag} (from the command line) {value!r} is not valid: {e}") from None
        return cls(**values)

    def __repr__(self) -> str:
        return f"Settings({self.describe()})"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def describe(self) -> dict[str, str]:
        """Every setting by variable name, secrets masked: safe to print or log."""
        return {
            f.metadata["env"]: _mask_password(str(getattr(self, f.name))) for f in fields(self)
        }


def _mask_password(text: str) -> str:
    """postgresql://user:pw@host → postgresql://user:***@host."""
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", text)
