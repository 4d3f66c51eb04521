"""The inverted index's storage: heaviest field wins, membership, and the name-only sum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from knowledge.postings import Postings, PostingsBuilder


def _built() -> Postings:
    b = PostingsBuilder(named=0.9)
    b.add([(0.45, ["c狗", "w犬只"]), (1.0, ["w犬只", "b犬只"])])  # doc 0: 犬只 in name and summary
    b.add([(0.45, ["c狗"])])  # doc 1: only a summary mentions 狗
    b.add([(1.0, ["w户口"])])  # doc 2
    return b.finish()


def test_a_key_in_several_fields_counts_at_the_heaviest() -> None:
    p = _built()
    found = p.accumulate({"w犬只": 1.0})
    assert found is not None
    acc, named, potential, unknown = found
    idf = p.key_idf("w犬只")
    assert acc[0] == pytest.approx(1.0 * idf)  # the name's 1.0, not the summary's 0.45
    assert acc[1] == 0.0 and acc[2] == 0.0
    assert named[0] == pytest.approx(idf)
    assert potential == pytest.approx(idf) and unknown == 0.0


def test_membership_is_per_document() -> None:
    p = _built()
    assert p.has("c狗", 0) and p.has("c狗", 1) and not p.has("c狗", 2)
    assert not p.has("w猫", 0)
    assert "w户口" in p and "w猫" not in p


def test_summary_matches_are_not_counted_as_name_matches() -> None:
    p = _built()
    found = p.accumulate({"c狗": 0.8})
    assert found is not None
    acc, named, _, _ = found
    assert acc[1] == pytest.approx(0.45 * 0.8 * p.key_idf("c狗"))
    assert named[1] == 0.0


def test_words_the_catalog_lacks_lower_the_known_share() -> None:
    p = _built()
    found = p.accumulate({"w户口": 0.8, "w护照": 0.8})
    assert found is not None
    _, _, potential, unknown = found
    assert 0.0 < unknown < 1.0
    assert unknown * potential == pytest.approx(0.8 * p.unknown_idf)
    assert p.accumulate({"w护照": 0.8}) is None


def test_idf_is_the_bm25_form_and_rarer_keys_weigh_more() -> None:
    p = _built()
    assert p.key_idf("w户口") == pytest.approx(math.log(1.0 + (3 - 1 + 0.5) / 1.5), rel=1e-6)
    assert p.key_idf("w户口") > p.key_idf("c狗")
    assert p.key_idf("w猫", default=7.0) == 7.0


def test_document_numbers_use_the_narrowest_type() -> None:
    p = _built()
    assert p.post_doc.dtype == np.uint8 and p.post_code.dtype == np.uint8
    assert p.docs == 3 and len(p.post_doc) == 5  # a key once per document, however many fields have it


def test_an_empty_index_matches_nothing() -> None:
    assert Postings().accumulate({"w户口": 1.0}) is None
    assert PostingsBuilder(named=0.9).finish().accumulate({"w户口": 1.0}) is None


def test_a_builder_is_used_once() -> None:
    b = PostingsBuilder(named=0.9)
    b.add([(1.0, ["w户口"])])
    b.finish()
    with pytest.raises(RuntimeError):
        b.add([(1.0, ["w护照"])])
    with pytest.raises(RuntimeError):
        b.finish()
