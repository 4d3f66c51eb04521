"""Compact jieba and pypinyin data: the same cuts and sounds as the packages, cached safely."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from knowledge import dictionaries
from knowledge.dictionaries import RE_ENG, RE_HAN, RE_SKIP, TONELESS, Segmenter, cached
from knowledge.text import char_pinyin, fuzzy, word_pinyin

SENTENCES = [
    "我想办理居民身份证换领需要带什么材料",
    "犬类准养证核发要多久",
    "shenfenzheng补办 要带户口本吗",
    "第2代身份证 丢了 怎么办 abc123 x86_64 c++ 1.5% a-b #1 & ok",
    "我们公司前年因为统计数据造假被统计局列进了严重失信名单现在整改完了想申请移出名单修复信用",
    "中华人民共和国居民身份证法",
    " \t\r\n",
    "",
]


@pytest.fixture(scope="module")
def jieba_tokenizer():  # type: ignore[no-untyped-def]
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def test_patterns_are_jiebas() -> None:
    jieba = pytest.importorskip("jieba")
    assert (RE_ENG.pattern, RE_HAN.pattern, RE_SKIP.pattern) == (
        jieba.re_eng.pattern, jieba.re_han_default.pattern, jieba.re_skip_default.pattern
    )


def test_segmenter_holds_jiebas_words_and_cuts_the_same(jieba_tokenizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seg = Segmenter.load(tmp_path)
    assert seg.total == jieba_tokenizer.total
    assert seg.freq == {w: f for w, f in jieba_tokenizer.FREQ.items() if f}
    for w in ("犬类准养证", "准养证核发", "居民身份证换领", "x86"):
        seg.add_word(w, 2000)
        jieba_tokenizer.add_word(w, freq=2000)
    assert seg.total == jieba_tokenizer.total
    for s in SENTENCES:
        assert seg.lcut(s) == jieba_tokenizer.lcut(s, HMM=False), s


def test_jiebas_place_names_load_with_its_words(tmp_path: Path) -> None:
    """The words jieba tags ns (place names), cached with its dictionary: search counts a place
    the catalog does not serve among the words a hit lacks."""
    seg = Segmenter.load(tmp_path)
    assert {"台湾", "重庆", "法国", "德阳", "阿坝"} <= seg.places
    assert "身份证" not in seg.places and all(len(w) > 1 for w in seg.places)
    assert Segmenter.load(tmp_path).places == seg.places  # read back from the cache


def test_character_sounds_are_pypinyins_first_reading() -> None:
    lazy_pinyin = pytest.importorskip("pypinyin").lazy_pinyin
    for code in range(0x3400, 0xA000):
        ch = chr(code)
        assert char_pinyin(ch) == fuzzy(lazy_pinyin(ch)[0]), ch
    assert char_pinyin("a") == "a"


def test_word_sounds_follow_pypinyins_phrases_where_they_differ() -> None:
    pytest.importorskip("pypinyin")
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    several = {chr(c) for c, py in pinyin_dict.items() if "," in py}
    for word, readings in phrases_dict.items():
        if several.isdisjoint(word) or len(readings) != len(word):
            expected = "".join(map(char_pinyin, word))
        else:
            expected = "".join(fuzzy(r[0].translate(TONELESS)) for r in readings)
        assert word_pinyin(word) == expected, word


def test_cache_is_written_once_and_missed_when_its_source_changes(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    cache = tmp_path / "cache"
    assert cached(cache, "thing", [source], build) == {"n": 1}
    assert cached(cache, "thing", [source], build) == {"n": 1}  # read back, not rebuilt
    assert len(calls) == 1
    source.write_text("ab")  # a new package version: other size and time
    os.utime(source, ns=(1, 1))
    assert cached(cache, "thing", [source], build) == {"n": 2}
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 1 and files[0].startswith("thing-")  # the stale file is gone, no temp left
    assert cached(None, "thing", [source], build) == {"n": 3}  # no cache dir: nothing kept


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("a")
    cached(tmp_path, "thing", [source], lambda: [1, 2, 3])
    (file,) = tmp_path.glob("thing-*.marshal")
    file.write_bytes(b"\x00garbage")
    assert cached(tmp_path, "thing", [source], lambda: [4]) == [4]


def test_packages_are_found_without_importing_them() -> None:
    assert (dictionaries.package_dir("jieba") / "dict.txt").exists()
    with pytest.raises(ModuleNotFoundError):
        dictionaries.package_dir("no_such_package_here")
