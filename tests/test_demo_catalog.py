"""The demo catalog (`make run`) as a newcomer tries it: everyday questions find their item,
and questions about something it lacks are not answered with a look-alike.

The catalog is ours, so a change to its items or aliases that hijacks other questions
(an alias 去澳门旅游办证 answering 去日本旅游 with 港澳通行证) fails here."""

from __future__ import annotations

import pytest

from knowledge.formats import read_catalog_files
from knowledge.search import SearchIndex
from tests.conftest import demo_files


@pytest.fixture(scope="module")
def demo() -> SearchIndex:
    return SearchIndex.build(read_catalog_files(demo_files()))


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("户口本丢了怎么补", "RZ-GA-008"),
        ("买房落户要啥子", "RZ-GA-009"),
        ("户口迁走要什么手续", "RZ-GA-013"),
        ("第一次办护照", "RZ-GA-010"),
        ("护照丢了", "RZ-GA-014"),
        ("港澳通行证续签", "RZ-GA-011"),
        ("车子年审去哪里", "RZ-GA-012"),
        ("结婚证丢了咋个补", "RZ-MZ-006"),
        ("80岁高龄补贴咋个领", "RZ-MZ-007"),
        ("身份证丢了咋个补", "RZ-GA-003"),
        ("养狗要办啥子证", "RZ-GA-007"),
    ],
)
def test_everyday_questions_find_their_item(demo: SearchIndex, question: str, code: str) -> None:
    assert demo.search(question).results[0].code == code


@pytest.mark.parametrize(
    ("question", "not_code"),
    [
        ("去日本旅游", "RZ-GA-011"),
        ("户口迁出", "RZ-GA-009"),  # out, not in
        ("老年证怎么办", "RZ-MZ-007"),  # 老年优待证 is not 高龄津贴
        ("交通违章罚款在哪交", "RZ-JT-002"),
    ],
)
def test_a_look_alike_is_not_given_as_the_answer(demo: SearchIndex, question: str, not_code: str) -> None:
    assert demo.search(question).answer != not_code
