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
        ("狗狗上牌要啥子", "RZ-GA-007"),  # 上牌 of a dog, not of a car
        ("车子上牌", "RZ-GA-015"),
        ("买了辆摩托车咋个上牌照", "RZ-GA-015"),
        ("刚买的小车要去哪里登记", "RZ-GA-015"),
        ("去台湾探亲要办啥子证", "RZ-GA-016"),
        ("公司注册", "RZ-SC-005"),
        ("想开个有限公司", "RZ-SC-005"),
        ("考驾照要多少钱", "RZ-GA-017"),
        ("摩托车驾照咋个考", "RZ-GA-017"),
        ("驾驶证丢了咋个补", "RZ-GA-018"),
        ("车牌掉了一块咋个补", "RZ-GA-019"),
        ("行驶证不见了", "RZ-GA-019"),
        ("公司不做了咋个注销", "RZ-SC-006"),
        ("医保卡丢了咋个补", "RZ-RS-007"),  # the medical insurance card is the social security card
        ("社保卡密码锁了", "RZ-RS-007"),
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
        ("台湾通行证", "RZ-GA-011"),  # Taiwan, not Hong Kong and Macao
        ("去日本旅游", "RZ-GA-016"),
        ("车子上牌", "RZ-GA-012"),  # registering a new car, not its yearly inspection
        ("狗狗上牌", "RZ-GA-015"),
        ("电瓶车上牌", "RZ-GA-015"),  # an electric bicycle is not a 机动车
        ("二手车过户", "RZ-GA-015"),  # 转移登记, not 注册登记
        ("公司注册", "RZ-SC-001"),  # a company, not a 个体户
        ("营业执照咋个办", "RZ-SC-005"),  # most who ask open a 个体户, not a company
        ("公司注销", "RZ-SC-005"),  # closing a company, not opening one
        ("摩托车驾照咋个考", "RZ-GA-015"),  # a licence to ride, not a plate
        ("驾驶证丢了咋个补", "RZ-GA-006"),  # 补领, not 期满换证
        ("行驶证补领", "RZ-GA-018"),  # the car's papers, not the driver's
        ("机动车登记证书丢了", "RZ-GA-015"),  # a lost 登记证书 is not a first registration
        ("办社保卡", "RZ-RS-007"),  # a first card: an alias 补办社保卡 would hold 办社保卡 inside it
        ("个体户注销", "RZ-SC-006"),
    ],
)
def test_a_look_alike_is_not_given_as_the_answer(demo: SearchIndex, question: str, not_code: str) -> None:
    assert demo.search(question).answer != not_code
