"""What search indexes of an item or bundle: fields, weights, synonym variants, name forms."""

from __future__ import annotations

import pytest

from knowledge.catalog import Bundle, Catalog, Faq, Item, Synonym
from knowledge.coverage import Coverage
from knowledge.documents import (
    EXPANDED,
    FIELD_WEIGHT,
    DocumentAnalyzer,
    Synonyms,
    catalog_words,
    documents,
    first_issues,
    says_no,
)
from knowledge.postings import PostingsBuilder
from knowledge.text import Analyzer

CATALOG = Catalog.of(
    [
        Item(code="A", name="犬只登记", aliases=("办狗证",), department="公安局", summary="养犬须登记",
             faq=(Faq(q="藏獒能登记吗", a="能，按大型犬登记"), Faq(q="流浪狗能登记吗", a="不能，交收容所"))),
        Item(code="B", name="居民身份证换领", department="公安局"),
    ],
    bundles=[Bundle(code="X", name="养犬一件事", items=("A",), aliases=("养狗",))],
    synonyms=[Synonym(term="犬只", variants=("狗狗",))],
)


def test_items_then_bundles_with_the_fields_search_weighs() -> None:
    docs = documents(CATALOG)
    assert [(d.code, d.kind) for d in docs] == [("A", "item"), ("B", "item"), ("X", "bundle")]
    assert dict(docs[0].fields)["faq"] == "藏獒能登记吗"  # the question, not the answer
    assert "流浪狗能登记吗" not in dict(docs[0].fields).values()  # answered with a flat no (says_no)
    assert {f for f, _ in docs[0].fields} <= set(FIELD_WEIGHT)
    assert "department" not in {f for f, _ in docs[2].fields}  # a bundle has none


def test_an_faq_answered_with_a_flat_no_names_a_case_the_item_does_not_serve() -> None:
    assert says_no(Faq(q="拉危险品能用这个证吗？", a="不能。危险货物道路运输要单独申请危险货物运输经营许可。"))
    assert says_no(Faq(q="开周末兴趣班也在这里审批吗？", a="不是，由文化和旅游部门审批。"))
    assert not says_no(Faq(q="户口本丢了需要登报声明吗？", a="不需要。到派出所现场填写遗失说明即可补领。"))
    assert not says_no(Faq(q="能网上办吗？", a="能，登录天府通办。"))
    assert not says_no(Faq(q="要几天？", a="即办，但不能代办。"))  # a no later in the answer


def test_a_plain_name_beside_later_actions_is_a_first_issue() -> None:
    names = ["客运站经营许可", "客运站经营许可（注销）", "客运站经营许可（换发）", "公证员执业许可", "公证员执业变更许可",
             "教练车备案证办理（过户）", "教练车备案证办理（注销）", "犬只登记", "发票验旧（县级行使）"]
    assert first_issues(names) == {"客运站经营许可", "公证员执业许可"}  # （过户） is an action of its own
    assert first_issues(["残疾人证新办", "残疾人证换领"]) == set()  # it says it already
    docs = documents(Catalog.of([Item(code="A", name="公证员执业许可"), Item(code="B", name="公证员执业变更许可")]))
    assert ("action", "新办") in docs[0].fields and ("action", "新办") not in docs[1].fields


def test_staff_synonyms_work_both_ways_and_their_words_stay_whole() -> None:
    syn = Synonyms.of(CATALOG)
    assert ("犬只", ("狗狗",)) in syn.found("犬只登记")
    assert ("狗狗", ("犬只",)) in syn.found("狗狗要登记吗")
    assert {"犬只登记", "办狗证", "养犬一件事", "狗狗"} <= set(catalog_words(CATALOG))


def test_a_narrower_term_vetoes_a_broader_terms_variant() -> None:
    """Built-in 异地 → 外省 serves every 异地 item but 居民身份证省内异地办理, whose 省内异地
    vetoes it (!外省): otherwise 外省户口 ties the 省内 and 跨省 items."""
    syn = Synonyms.of(Catalog.of([]))
    variants = {v for _, vs in syn.found("居民身份证省内异地办理") for v in vs}
    assert "外地" in variants and not variants & {"外省", "省外", "!外省"}
    assert "外省" in {v for _, vs in syn.found("转诊转院到异地就医申请") for v in vs}
    assert Synonyms([("甲", ("!乙",))]).found("甲") == []  # a term left with vetoes only is none


def test_a_names_variants_are_names_and_weigh_a_little_less() -> None:
    an = Analyzer(catalog_words(CATALOG))
    analyzer = DocumentAnalyzer(an, Synonyms.of(CATALOG))
    texts, forms = analyzer.analyse(documents(CATALOG)[0])
    # the name, its first alias, then the name as citizens say it (built-in 犬 → 狗 comes first)
    assert forms[:2] == ("犬只登记", "办狗证") and forms[2].endswith("登记") and "狗" in forms[2]
    weights = sorted({w for w, _ in texts}, reverse=True)
    assert weights[0] == FIELD_WEIGHT["name"] and FIELD_WEIGHT["name"] * EXPANDED in weights
    # the one department is analysed once for both items: the very same keys serve both
    other, _ = analyzer.analyse(documents(CATALOG)[1])
    dept = [k for w, k in texts if w == FIELD_WEIGHT["department"]]
    assert dept and any(k is dept[0] for w, k in other if w == FIELD_WEIGHT["department"])


def test_a_one_character_word_must_outweigh_characters_and_synonyms() -> None:
    an = Analyzer()
    postings = PostingsBuilder(named=0.9).finish()
    assert Coverage(postings, an, 0.8).lacks_single({"c狗": 0.8}, 0) == 1.0
    with pytest.raises(ValueError):
        Coverage(postings, an, 0.45)  # a 词林 synonym's weight: it could not tell them apart
