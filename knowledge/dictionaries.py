"""jieba's word list and pypinyin's readings, held compactly and cached on disk.

jieba's Tokenizer keeps every prefix of its 349,000 words in one dict (about 62 MB) and
re-reads it at each start; importing pypinyin builds a phrase segmenter Banshi never uses
(about 55 MB). Search needs much less: the words with their frequencies, to segment
questions exactly as `jieba.lcut(text, HMM=False)` does, one reading per character, and the
few thousand phrases that read differently from their characters (调解 tiaojie, 银行 yinhang).
Both are read straight from the packages' data files, without importing the packages, and
cached in a directory the caller names: each deploy parses them once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import marshal
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMAT = 3  # bump when what a cache file holds changes: old files are then ignored

# jieba 0.42's own patterns (tests/test_text.py checks they still equal the installed jieba's)
RE_ENG = re.compile("[a-zA-Z0-9]", re.U)
RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
RE_SKIP = re.compile("(\r\n|\\s)", re.U)
TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def package_dir(name: str) -> Path:
    """A package's directory, found without importing the package."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(name)
    return Path(next(iter(spec.submodule_search_locations)))


def cached(cache_dir: Path | None, stem: str, sources: list[Path], build: Callable[[], Any]) -> Any:
    """build(), or its earlier result from `cache_dir`.

    The file name carries a digest of the sources' paths, sizes and modification times (and
    FORMAT), so an upgraded package misses the cache instead of reading stale data. Files are
    written to a temporary name and renamed: processes starting together each either find a
    whole file or build their own; files of earlier versions are removed. No cache_dir:
    build every time, write nothing.
    """
    if cache_dir is None:
        return build()
    digest = hashlib.sha1(f"{FORMAT}".encode())
    for src in sources:
        st = src.stat()
        digest.update(f"\0{src.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    path = Path(cache_dir) / f"{stem}-{digest.hexdigest()[:16]}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = build()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            marshal.dump(value, f)
        os.replace(tmp, path)
        for old in path.parent.glob(f"{stem}-*.marshal"):  # earlier versions' files
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError:  # a read-only cache dir only costs the next start the parse again
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return value


# -- jieba -------------------------------------------------------------------------------


def jieba_dictionary() -> Path:
    return package_dir("jieba") / "dict.txt"


def read_jieba_words(path: Path) -> tuple[dict[str, int], int, set[str]]:
    """(word → frequency, total) as jieba's gen_pfdict reads them (a repeated word keeps its
    last frequency, the total counts every line), without the prefix entries it adds and
    without words of frequency 0, which jieba never cuts out either; and, from the same lines,
    the words of two or more characters it tags as place names (ns: 台湾, 重庆, 法国, 德阳 …
    about 17,000)."""
    freq: dict[str, int] = {}
    places: set[str] = set()
    total = 0
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip().decode("utf-8")
            parts = line.split(" ")
            try:
                word, count = parts[:2]
                n = int(count)
            except ValueError:
                raise ValueError(f"invalid dictionary entry in {path} at line {lineno}: {line}") from None
            freq[word] = n
            total += n
            if len(parts) > 2 and parts[2] == "ns" and len(word) > 1:
                places.add(word)
    return {w: n for w, n in freq.items() if n}, total, places


class Segmenter:
    """`jieba.Tokenizer().lcut(text, HMM=False)` with the same words, frequencies and total,
    hence the same cuts, in half the memory: instead of walking stored prefixes it looks a
    word up at every length that a word starting there can have (up to `reach` of its first
    character, and beyond 4 only if its first 4 characters begin a longer word)."""

    def __init__(
        self,
        freq: dict[str, int],
        total: int,
        reach: dict[str, int] | None = None,
        long_starts: set[str] | None = None,
        places: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.freq = freq
        self.total = total
        self.places = frozenset(places)  # jieba's place names (read_jieba_words)
        # first character → length of the longest word starting with it (most have 1 to 4),
        # and the first 4 characters of the few longer words: together they bound the lookups
        # (both derived from freq; pass them only as an earlier Segmenter computed them)
        self.reach: dict[str, int] = {} if reach is None else reach
        self.long_starts: set[str] = set() if long_starts is None else long_starts
        # jieba's own total and the words added since (catalog names): what is left is how
        # often a word occurs in general Chinese, which says how telling it is anywhere
        self.general_total = total
        self.added: set[str] = set()
        if reach is None or long_starts is None:
            for w in freq:
                self._index(w)

    @classmethod
    def load(cls, cache_dir: Path | None) -> Segmenter:
        """jieba's own dictionary, parsed once per cache_dir and jieba version."""
        source = jieba_dictionary()

        def parse() -> tuple[dict[str, int], int, dict[str, int], set[str], frozenset[str]]:
            freq, total, places = read_jieba_words(source)
            seg = cls(freq, total, places=places)
            return seg.freq, seg.total, seg.reach, seg.long_starts, seg.places

        return cls(*cached(cache_dir, "jieba-words", [source], parse))

    def add_word(self, word: str, freq: int) -> None:
        """jieba's add_word: the word gets `freq`, and the total grows by it."""
        self.freq[word] = freq
        self.total += freq
        self.added.add(word)
        self._index(word)

    def salience(self, word: str) -> float:
        """How telling a word is in general Chinese, 0 to 1: log(total / frequency) in jieba's
        dictionary over the rarest word's (a word jieba lacks counts as rarest); catalog words
        added since do not change it, so it means the same for every catalog."""
        top = math.log(self.general_total)
        f = 0 if word in self.added else self.freq.get(word, 0)
        return math.log(self.general_total / f) / top if f else 1.0

    def _index(self, word: str) -> None:
        if self.reach.get(word[0], 0) < len(word):
            self.reach[word[0]] = len(word)
        if len(word) > 4:
            self.long_starts.add(word[:4])

    def lcut(self, sentence: str) -> list[str]:
        out: list[str] = []
        for blk in RE_HAN.split(sentence):
            if not blk:
                continue
            if RE_HAN.match(blk):
                self._cut_block(blk, out)
            else:
                for x in RE_SKIP.split(blk):
                    if RE_SKIP.match(x):
                        out.append(x)
                    else:
                        out.extend(x)
        return out

    def _cut_block(self, sentence: str, out: list[str]) -> None:
        """jieba's get_DAG + calc + __cut_DAG_NO_HMM: the most probable route (the greatest
        (log probability, end) pair, as jieba's max() picks it), then runs of single latin
        letters and digits joined."""
        freq, reach, long_starts = self.freq, self.reach, self.long_starts
        n = len(sentence)
        log = math.log
        logtotal = log(self.total)
        route: list[tuple[float, int]] = [(0, 0)] * (n + 1)
        for idx in range(n - 1, -1, -1):
            best: tuple[float, int] | None = None
            r = reach.get(sentence[idx], 1)  # the longest word that can start here
            if r > 4 and sentence[idx : idx + 4] not in long_starts:
                r = 4
            for x in range(idx, min(n, idx + r)):
                f = freq.get(sentence[idx : x + 1])
                if f:
                    cand = (log(f) - logtotal + route[x + 1][0], x)
                    if best is None or cand > best:
                        best = cand
            # no word starts here: the character alone, counted as frequency 1
            route[idx] = best or (log(1) - logtotal + route[idx + 1][0], idx)
        x = 0
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if len(word) == 1 and RE_ENG.match(word):
                buf += word
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            out.append(buf)


# -- pypinyin ----------------------------------------------------------------------------


def pinyin_sources() -> list[Path]:
    base = package_dir("pypinyin")
    return [base / "pinyin_dict.json", base / "phrases_dict.json"]


def read_pinyin(chars_file: Path, phrases_file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(toneless first reading of every character pypinyin knows, toneless readings, space
    separated, of the phrases that need them: those with a character of several readings
    whose phrase reading differs from their characters' first readings)."""
    readings: dict[str, str] = json.loads(chars_file.read_text(encoding="utf-8"))
    chars = {chr(int(c)): py.split(",")[0].translate(TONELESS) for c, py in readings.items()}
    several = frozenset(chr(int(c)) for c, py in readings.items() if "," in py)
    del readings
    phrases: dict[str, list[list[str]]] = json.loads(phrases_file.read_text(encoding="utf-8"))
    special: dict[str, str] = {}
    for word, rs in phrases.items():
        if not rs or len(rs) != len(word) or several.isdisjoint(word):
            continue
        sounds = [r[0].translate(TONELESS) for r in rs]
        if any(s != chars.get(c, c) for s, c in zip(sounds, word, strict=True)):
            special[word] = " ".join(sounds)
    return chars, special


def load_pinyin(cache_dir: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    sources = pinyin_sources()
    return tuple(cached(cache_dir, "pinyin", sources, lambda: read_pinyin(*sources)))  # type: ignore[return-value]
