"""The message catalog: every fixed string the bot says, in Chinese and Tibetan.

Strings live in `zh.toml` and `bo.toml` (one flat table each, same keys) so translators
and reviewers edit text, not code. A key missing in Tibetan falls back to Chinese rather
than failing: a half-translated bot still helps. `bo.toml` lists in `needs_review` the
keys a native speaker has not checked yet.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LANGS = ("zh", "bo")


@dataclass(frozen=True)
class Texts:
    strings: dict[str, dict[str, str]]
    needs_review: frozenset[str] = frozenset()

    @classmethod
    def load(cls, folder: Path = HERE) -> Texts:
        strings: dict[str, dict[str, str]] = {}
        review: set[str] = set()
        for lang in LANGS:
            data: dict[str, Any] = tomllib.loads((folder / f"{lang}.toml").read_text(encoding="utf-8"))
            review.update(data.pop("needs_review", []))
            strings[lang] = {k: str(v) for k, v in data.get("strings", {}).items()}
        return cls(strings, frozenset(review))

    def get(self, lang: str, key: str, **values: Any) -> str:
        table = self.strings.get(lang) or self.strings["zh"]
        template = table.get(key) or self.strings["zh"][key]
        return template.format(**values) if values else template

    def missing(self, lang: str) -> set[str]:
        return set(self.strings["zh"]) - set(self.strings.get(lang, {}))


@functools.cache
def default_texts() -> Texts:
    return Texts.load()
