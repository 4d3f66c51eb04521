"""Intent recognition on messages written for this test (not the dev set), numbered-choice
parsing, masking and the situation logic: the pure parts of the dialogue."""

from __future__ import annotations

import pytest

from bot.choice import number_of, pick
from bot.masking import mask
from intents.guide import choose_option, material_lines, next_question
from intents.nlu import classify, understand
from knowledge.catalog import Item, Material, Situation

UNSEEN = {
    "handoff": ["我要人工服务", "帮我转一下人工客服", "能不能让真人来回答", "rengong fuwu",
                "你们的热线电话是多少", "机器人听不懂 我要找工作人员", "麻烦接个人工", "打一二三四五问问"],
    "review": ["满意", "非常不满意", "给个好评", "我要给窗口打分", "那个窗口的大哥态度很好 表扬一下",
               "服务太差了", "投诉二号窗口", "四颗星", "haoping", "等了三个小时都没人理 太差劲了"],
    "nearby": ["最近的便民服务中心在哪里", "理县政务服务中心怎么走", "附近哪里有办事大厅", "茂县大厅地址",
               "我在米亚罗镇 最近的服务点在哪", "fujin de dating", "州政务中心在哪条路"],
    "hours": ["明天上班吗", "你们几点开门", "礼拜天开不开门", "端午节放假吗 大厅开不开", "下午几点下班",
              "中午休息不", "shangban shijian", "元旦能去办事不"],
    "greeting": ["您好", "早上好", "谢谢你", "再见啦", "在不在", "好的谢谢", "你是机器人还是真人呀"],
    "help": ["你会干什么", "有哪些服务", "使用说明", "我不知道该怎么问", "bangzhu wo", "主菜单"],
    "language": ["我要藏文", "切换成中文", "能说藏语吗", "བཀྲ་ཤིས་བདེ་ལེགས།", "zangyu fuwu", "བོད་སྐད་ཀྱིས་ཤོད།",
                 "རྒྱ་ཡིག"],
    "case_status": ["我的申请办到哪了", "查一下办件进度", "营业执照批下来没", "我交的材料审核到哪一步了"],
    "ask_item": ["ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།", "སྐྱེས་ཐོ་འགོད་པ།", "换身份证要带什么", "低保怎么申请", "结婚登记要多少钱", "公积金提取在哪里办",
                 "上班路上摔伤了算工伤吗", "娃娃上户口要啥子", "shenfenzheng buban", "残疾证年审",
                 "开个小卖部要办哪些证", "医保异地就医备案网上能办吗", "挖虫草的采集证"],
}


@pytest.mark.parametrize(("intent", "text"), [(i, q) for i, qs in UNSEEN.items() for q in qs])
def test_unseen_messages_are_recognised(intent: str, text: str) -> None:
    assert classify(text) == intent


def test_noise_is_fallback_and_understand_has_no_search_for_other_intents() -> None:
    assert classify("？？？") == "fallback"
    assert classify("😀") == "fallback"

    class Index:
        def search(self, q: str, k: int = 5) -> object:
            raise AssertionError("searched")

    assert understand("转人工", Index()) == {"q": "转人工", "intent": "handoff", "answer": None}


@pytest.mark.parametrize(("text", "n"), [("1", 1), ("一", 1), ("第一个", 1), ("第2个", 2), ("２", 2),
                                          ("选三", 3), ("③", 3), ("༤", 4), ("12345", None), ("一般般", None)])
def test_numbered_choices(text: str, n: int | None) -> None:
    assert number_of(text) == n


def test_pick_by_number_or_label() -> None:
    assert pick("第二个", ["甲", "乙"]) == 1
    assert pick("乙", ["甲", "乙"]) == 1
    assert pick("5", ["甲", "乙"]) is None


def test_masking_ids_and_phones_but_not_codes() -> None:
    assert mask("身份证51323019900101123X") == "身份证5132**********123X"
    assert mask("电话 138 1234 5678") == "电话 138****5678"
    assert mask("座机0837-3821000") == "座机0837-382****"
    assert mask("事项编码511A0138000000-511602000000") == "事项编码511A0138000000-511602000000"


AGE = Situation("age", "是否已满16周岁？", (("adult", "已满16周岁"), ("minor", "未满16周岁")))
PLACE = Situation("place", "户口在本县吗？", (("local", "本地户口"), ("elsewhere", "外地户口（异地办理）")))


@pytest.mark.parametrize(("text", "option"), [("我是外地户口", "elsewhere"), ("不是本地的", "elsewhere"),
                                              ("本地", "local"), ("2", "elsewhere"), ("啥子哦", None)])
def test_free_text_situation_answers(text: str, option: str | None) -> None:
    assert choose_option(PLACE, text) == option


def test_negated_age_answer() -> None:
    assert choose_option(AGE, "孩子还没满16岁") == "minor"
    assert choose_option(AGE, "已经满了16") == "adult"


def test_merge_keeps_the_larger_copy_count_and_skips_what_an_earlier_step_produces() -> None:
    a = Item("A", "出生医学证明签发", materials=(Material("居民身份证", copies=1),))
    b = Item("B", "出生登记", materials=(Material("居民身份证", copies=2, note="父母双方"),
                                       Material("出生医学证明"), Material("居民身份证", form="复印件")))
    lines = material_lines([a, b], {})
    assert [(m.name, m.form, m.copies) for m in lines] == [("居民身份证", "原件", 2), ("居民身份证", "复印件", 1)]
    assert lines[0].items == ("A", "B") and lines[0].note == "父母双方"


def test_only_questions_that_change_the_list_are_asked() -> None:
    item = Item("X", "x", situations=(AGE, PLACE), materials=(Material("户口簿", when=(("age", "minor"),)),))
    assert next_question([item], {}) == AGE
    assert next_question([item], {"age": "adult"}) is None  # PLACE changes nothing
