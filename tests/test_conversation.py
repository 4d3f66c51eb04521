"""Whole dialogues through the dispatcher: the demo catalog (若尔盖县) plus the reference halls,
a hand-written search fake (so these tests don't move when search is retuned), a fake clock
and the memory store and journal."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.dispatcher import BotConfig, Dispatcher
from bot.journal import MemoryJournal
from bot.state import MemoryStore
from bot.testing import FakeClock, StaticCatalog
from bot.types import Inbound, Location, Options, Reply, Text, UserRef
from intents import build_router
from knowledge.catalog import Catalog, Item, Material, Situation
from knowledge.formats import read_catalog_files
from knowledge.workdays import WorkCalendar
from tests.conftest import SHARED_KB, demo_files

CHINA = timezone(timedelta(hours=8))
WEDNESDAY_10AM = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA).timestamp()


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    kind: str = "item"
    score: float = 1.0


@dataclass
class Result:
    decision: str
    answer: str | None = None
    results: list[Hit] = field(default_factory=list)
    options: list[Hit] = field(default_factory=list)


class FakeIndex:
    """Answers the questions these dialogues ask; records every search."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.queries: list[str] = []
        self.answers = {
            "换身份证要带啥子": "RZ-GA-002", "社保卡怎么办": "RZ-RS-001", "公积金买房提取": "RZ-GJJ-002",
            "驾驶证换证": "RZ-GA-006", "开饭馆要办哪些证": "RZ-YJS-002", "测试事项": "T-001",
            "身份证补办要多久": "RZ-GA-003", "ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།": "RZ-GA-002",
        }
        self.options = {"身份证": ["RZ-GA-001", "RZ-GA-002", "RZ-GA-003"]}

    async def asearch(self, query: str, k: int = 5) -> Result:
        return self.search(query, k)

    def search(self, query: str, k: int = 5) -> Result:
        self.queries.append(query)
        if query in self.answers:
            code = self.answers[query]
            return Result("answer", code, [Hit(code, self.catalog.name_of(code) or "")])
        if query in self.options:
            hits = [Hit(c, self.catalog.name_of(c) or "") for c in self.options[query]]
            return Result("options", None, hits, hits)
        return Result("none")


def demo_catalog() -> Catalog:
    catalog = read_catalog_files([*demo_files(), SHARED_KB / "halls.json"])
    # One item whose second question matters only for adults (so minors skip it) …
    test_item = Item(
        code="T-001", name="测试事项", summary="用来测试情形跳过。",
        situations=(Situation("age", "申请人多大？", (("adult", "成年人"), ("minor", "未成年人"))),
                    Situation("applicant", "谁来办？", (("self", "本人"), ("agent", "代办"))),
                    Situation("color", "证件颜色？", (("red", "红色"), ("blue", "蓝色")))),
        materials=(Material("居民身份证"), Material("监护人身份证", when=(("age", "minor"),)),
                   Material("授权委托书", when=(("age", "adult"), ("applicant", "agent")))),
    )
    # … and a larger copy count in one bundle item, to see the merge keep it.
    sw = catalog.items["RZ-SW-001"]
    more = tuple(replace(m, copies=2) if m.name == "经营场所使用证明" else m for m in sw.materials)
    items = {**catalog.items, "T-001": test_item, "RZ-SW-001": replace(sw, materials=more)}
    return replace(catalog, items=items)


class Chat:
    def __init__(self, idle_minutes: float = 30, calendar: WorkCalendar | None = None,
                 now: float = WEDNESDAY_10AM) -> None:
        self.catalog = demo_catalog()
        self.index = FakeIndex(self.catalog)
        self.source = StaticCatalog(self.catalog, self.index)
        self.clock = FakeClock(now)
        self.journal = MemoryJournal()
        self.bot = Dispatcher(build_router(), MemoryStore(), self.source, self.journal, clock=self.clock,
                              calendar=calendar or WorkCalendar(),
                              config=BotConfig(idle_seconds=idle_minutes * 60, public_url="https://b.example"))
        self.user = UserRef("wechat", "o-herder")

    async def say(self, text: str) -> list[Reply]:
        return await self.bot.feed(Inbound(self.user, "text", text))

    async def send(self, inbound: Inbound) -> list[Reply]:
        return await self.bot.feed(inbound)


def text_of(replies: list[Reply]) -> str:
    out = []
    for r in replies:
        if isinstance(r, Text):
            out.append(r.text)
        elif isinstance(r, Options):
            out.append(r.prompt + "\n" + "\n".join(f"{n}. {o.label}" for n, o in enumerate(r.options, 1)))
    return "\n".join(out)


def options_of(replies: list[Reply]) -> list[str]:
    return [o.label for r in replies if isinstance(r, Options) for o in r.options]


def materials_in(replies: list[Reply]) -> list[str]:
    """Material names from the numbered list message."""
    for r in replies:
        if isinstance(r, Text) and "请带齐" in r.text:
            return [line.split(". ", 1)[1].split("：")[0] for line in r.text.splitlines()[1:]]
    raise AssertionError(f"no material list in {text_of(replies)}")


@pytest.fixture
def chat() -> Chat:
    return Chat()


# -- situations and material lists ------------------------------------------------------


async def test_one_question_then_free_text_answer_gives_the_complete_list(chat: Chat) -> None:
    asked = await chat.say("换身份证要带啥子")
    assert "【居民身份证换领】" in text_of(asked)
    assert "户口是否在若尔盖县" in text_of(asked)
    assert options_of(asked) == ["本地户口", "外地户口（在若尔盖县异地办理）"]
    done = await chat.say("我是外地户口")
    assert materials_in(done) == ["居民身份证", "居民户口簿", "居民身份证申领登记表"]
    body = text_of(done)
    assert "可以不带" in body  # the out-of-county 户口簿 is optional
    for fact in ("要多久：15个工作日", "收费：工本费20元", "在哪儿办：", "网上办：不行", "最多跑1次"):
        assert fact in body
    assert "https://b.example/notice/RZ-GA-002?place=elsewhere" in body


async def test_questions_that_change_nothing_are_skipped(chat: Chat) -> None:
    await chat.say("测试事项")
    asked = await chat.say("要带什么材料")
    assert "申请人多大" in text_of(asked)
    done = await chat.say("2")  # 未成年人: who applies no longer matters, nor does the colour
    assert materials_in(done) == ["居民身份证", "监护人身份证"]
    await chat.say("测试事项")
    await chat.say("1")
    asked = await chat.say("成年人")
    assert "谁来办" in text_of(asked)  # for adults it does matter
    done = await chat.say("代办")
    assert materials_in(done) == ["居民身份证", "授权委托书"]
    assert "证件颜色" not in text_of(done)


async def test_an_item_without_situations_lists_at_once(chat: Chat) -> None:
    await chat.say("驾驶证换证")
    done = await chat.say("1")
    assert len(materials_in(done)) == 4


async def test_two_questions_for_social_security_card(chat: Chat) -> None:
    await chat.say("社保卡怎么办")
    assert "已满16周岁" in text_of(await chat.say("要带什么材料"))
    assert "本人办理" in text_of(await chat.say("第二个"))  # 未满16周岁
    done = await chat.say("委托他人代办")
    assert materials_in(done) == ["居民户口簿", "监护人居民身份证", "近期免冠证件照", "授权委托书", "代办人居民身份证"]
    assert "电子版" in text_of(done)


async def test_housing_fund_list_for_a_single_person_buying_second_hand(chat: Chat) -> None:
    await chat.say("公积金买房提取")
    await chat.say("1")
    await chat.say("二手房")
    done = await chat.say("未婚、离异或丧偶")
    assert materials_in(done) == ["居民身份证", "不动产权证书", "契税完税证明", "银行卡"]


async def test_after_the_list_a_changed_situation_gives_a_new_list(chat: Chat) -> None:
    await chat.say("换身份证要带啥子")
    await chat.say("本地户口")
    again = await chat.say("我是外地户口")
    assert "place=elsewhere" in text_of(again)


async def test_bundle_merges_duplicates_and_asks_a_shared_question_once(chat: Chat) -> None:
    intro = await chat.say("开饭馆要办哪些证")
    body = text_of(intro)
    assert "开办餐馆一件事" in body
    body = body[body.index("这件事包括"):]
    assert body.index("个体工商户设立登记") < body.index("食品经营许可") < body.index("新办纳税人信息确认")
    asked = await chat.say("1")
    assert "本人办理还是委托他人代办" in text_of(asked)
    done = await chat.say("本人办理")  # one answer serves both items that ask it
    names = materials_in(done)
    assert names.count("居民身份证") == 1 and names.count("营业执照") == 1
    assert "授权委托书" not in names
    listed = next(r.text for r in done if isinstance(r, Text) and "请带齐" in r.text)
    assert "经营场所使用证明：复印件 2份" in listed  # the larger copy count is kept
    assert "1. 个体工商户设立登记" in text_of(done)
    assert "/notice/RZ-YJS-002?applicant=self" in text_of(done)


# -- follow-ups, options, menus ---------------------------------------------------------


async def test_follow_ups_answer_from_the_item_without_searching_again(chat: Chat) -> None:
    await chat.say("换身份证要带啥子")
    assert "15个工作日" in text_of(await chat.say("要多久"))
    assert "工本费20元" in text_of(await chat.say("收费吗"))
    assert "公安户政窗口" in text_of(await chat.say("在哪儿办"))
    assert "网上办" in text_of(await chat.say("能不能网上办嘛"))
    assert chat.index.queries == ["换身份证要带啥子"]


async def test_a_question_naming_another_item_searches_again(chat: Chat) -> None:
    await chat.say("换身份证要带啥子")
    replies = await chat.say("身份证补办要多久")
    assert "要多久" in text_of(replies) and chat.index.queries[-1] == "身份证补办要多久"


async def test_options_picked_by_number_word_and_by_tapping(chat: Chat) -> None:
    offered = await chat.say("身份证")
    assert options_of(offered) == ["居民身份证首次申领", "居民身份证换领", "居民身份证补领", "都不是，找人工"]
    assert "【居民身份证换领】" in text_of(await chat.say("第二个"))
    await chat.say("身份证")
    assert "【居民身份证补领】" in text_of(await chat.say("三"))
    await chat.say("身份证")
    assert "【居民身份证首次申领】" in text_of(await chat.say("居民身份证首次申领"))  # a tap sends the label
    assert chat.index.queries.count("居民身份证首次申领") == 0


async def test_none_of_the_options_records_the_question_and_hands_over_to_a_person(chat: Chat) -> None:
    question = "我身份证号513225199001011234 身份证"
    chat.index.options[question] = chat.index.options["身份证"]
    offered = await chat.say(question)
    assert options_of(offered)[-1] == "都不是，找人工"
    replies = await chat.say("4")
    assert "12345" in text_of(replies)
    assert [q for _, q, _, _ in chat.journal.unanswered] == ["我身份证号5132**********1234 身份证"]
    assert chat.index.queries.count("4") == 0
    await chat.say("身份证")
    await chat.say("都不是，找人工")  # a tap sends the label
    assert [q for _, q, _, _ in chat.journal.unanswered][-1] == "身份证"


async def test_an_item_picked_from_search_options_is_recorded_with_the_question(chat: Chat) -> None:
    await chat.say("身份证")
    assert "【居民身份证换领】" in text_of(await chat.say("第二个"))
    # the citizen's words for the item they meant: for staff to add as an alias or synonym
    assert chat.journal.unanswered == [("wechat:o-herder", "身份证", WEDNESDAY_10AM, "RZ-GA-002")]
    bundles = await chat.send(Inbound(chat.user, "event", event="click", event_key="MENU_BUNDLES"))
    assert options_of(bundles)[0] in text_of(await chat.say("1"))
    assert len(chat.journal.unanswered) == 1  # a menu's options are no search's


async def test_zero_and_menu_return_to_the_main_menu_and_forget_the_item(chat: Chat) -> None:
    await chat.say("换身份证要带啥子")
    menu = await chat.say("0")
    assert "找附近的办事大厅" in options_of(menu)
    assert "找附近的办事大厅" in options_of(await chat.say("菜单"))
    nearby = await chat.say("2")
    assert "发送您的位置" in text_of(nearby)


async def test_help_is_a_numbered_menu_and_a_bare_number_means_the_main_menu(chat: Chat) -> None:
    assert len(options_of(await chat.say("你能干啥"))) == 7
    assert "12345" in text_of(await chat.say("5"))


async def test_a_long_unanswered_question_is_recorded_as_its_options_would_carry_it(chat: Chat) -> None:
    from intents.ask_item import UNANSWERED_CHARS

    await chat.say("挖虫草" * 200)
    assert [len(q) for _, q, _, _ in chat.journal.unanswered] == [UNANSWERED_CHARS]


async def test_unanswered_questions_are_logged_with_tips_and_the_hotline(chat: Chat) -> None:
    replies = await chat.say("挖虫草的采集证在哪儿办")
    assert "暂时没有答案" in text_of(replies) and "12345" in text_of(replies)
    assert [q for _, q, _, _ in chat.journal.unanswered] == ["挖虫草的采集证在哪儿办"]


# -- halls ---------------------------------------------------------------------------------


async def test_nearby_by_location_gives_three_halls_with_details(chat: Chat) -> None:
    replies = await chat.send(Inbound(chat.user, "location", location=Location(33.41, 102.47, "唐克")))
    halls = [r.text for r in replies if isinstance(r, Text) and r.text[:2] in ("1.", "2.", "3.")]
    assert len(halls) == 3
    assert "唐克镇便民服务中心" in halls[0] and "公里" in halls[0]
    assert "地址：" in halls[0] and "电话：" in halls[0] and "时间：" in halls[0] and "双语窗口" in halls[0]


async def test_nearby_by_place_name_and_after_asking_for_it(chat: Chat) -> None:
    replies = await chat.say("红原的大厅在哪儿")
    assert "1. 红原县政务服务中心" in text_of(replies)
    assert "邛溪镇安多路41号" in text_of(replies)
    await chat.say("附近有没有办事大厅")
    assert "四姑娘山镇便民服务中心" in text_of(await chat.say("四姑娘山"))


async def test_hours_today_on_a_working_day_and_after_closing(chat: Chat) -> None:
    await chat.say("红原的大厅在哪儿")
    replies = await chat.say("今天上班吗")
    assert "红原县政务服务中心上班：9:00-12:00、13:30-17:30" in text_of(replies)
    assert "现在正在办公" in text_of(replies)
    chat.clock.advance(8 * 3600)  # 18:00
    assert "今天已经下班" in text_of(await chat.say("今天上班吗"))


async def test_hours_on_a_public_holiday_and_a_make_up_working_weekend() -> None:
    holiday = Chat(now=datetime(2026, 10, 2, 10, 0, tzinfo=CHINA).timestamp())
    replies = await holiday.say("今天上班吗")
    assert "不上班（国庆节）" in text_of(replies) and "10月8日" in text_of(replies)
    makeup = Chat(now=datetime(2026, 10, 10, 10, 0, tzinfo=CHINA).timestamp())  # a Saturday worked
    assert "上班：9:00-12:00" in text_of(await makeup.say("今天上班吗"))
    before = Chat(now=datetime(2026, 9, 1, 10, 0, tzinfo=CHINA).timestamp())
    body = text_of(await before.say("国庆节开不开"))
    assert "国庆节从10月1日到10月7日放假" in body and "9月20日" in body and "10月10日" in body


async def test_a_local_holiday_from_the_operators_file(tmp_path: Path) -> None:
    file = tmp_path / "holidays.json"
    file.write_text(json.dumps({"holidays": {"2027-02-08": "藏历新年"}}), encoding="utf-8")
    chat = Chat(calendar=WorkCalendar.load(file), now=datetime(2027, 2, 8, 10, 0, tzinfo=CHINA).timestamp())
    assert "不上班（藏历新年）" in text_of(await chat.say("今天开门没"))


# -- language, expiry, records -------------------------------------------------------------


async def test_language_switch_to_tibetan_and_back(chat: Chat) -> None:
    switched = await chat.say("བོད་ཡིག")
    assert "བོད་ཡིག་ཐོག་ལན་འདེབས" in text_of(switched)
    intro = text_of(await chat.say("换身份证要带啥子"))
    assert "སྡོད་དམངས་ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན" in intro and "只有中文" in intro
    assert "ཡིག་ཆ་གང་དགོས" in text_of(await chat.say("要多久"))  # the item menu, in Tibetan
    back = await chat.say("中文")
    assert "用中文回答" in text_of(back)
    assert "只有中文" not in text_of(await chat.say("要多久"))


async def test_a_question_in_tibetan_is_searched_and_answered_in_tibetan(chat: Chat) -> None:
    intro = text_of(await chat.say("ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།"))  # "identity card renewal"
    assert "སྡོད་དམངས་ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན" in intro and "只有中文" in intro
    assert chat.index.queries == ["ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན།"]
    # Tibetan no name matches is met as a language switch (a greeting, mostly), not "not found"
    replies = text_of(await chat.say("ཁྱེད་རང་སུ་ཡིན།"))
    assert "བོད་ཡིག་ཐོག་ལན་འདེབས" in replies and not chat.journal.unanswered
    assert [turn[1] for turn in chat.journal.turns][-1] == "language"


async def test_state_expires_after_the_idle_time_but_the_language_stays() -> None:
    chat = Chat(idle_minutes=30)
    await chat.say("有没有藏语服务")
    await chat.say("换身份证要带啥子")
    chat.clock.advance(29 * 60)
    assert "15" in text_of(await chat.say("要多久"))
    chat.clock.advance(31 * 60)
    replies = await chat.say("要多久")
    assert "15" not in text_of(replies)  # the item is forgotten: searched anew, nothing found
    assert chat.index.queries[-1] == "要多久"
    assert "ང་" in text_of(replies) or "ལ" in text_of(replies)  # still Tibetan


async def test_transcripts_and_logs_mask_id_and_phone_numbers(chat: Chat) -> None:
    await chat.say("我身份证号513230199001011234，电话13812345678，想问低保")
    await chat.say("我要投诉，窗口态度恶劣，电话13987654321")
    texts = [turn[2] for turn in chat.journal.turns]
    assert texts[0] == "我身份证号5132**********1234，电话138****5678，想问低保"
    assert all("13987654321" not in t and "199001011234" not in t for t in texts)
    assert chat.journal.unanswered[0][1].startswith("我身份证号5132****")
    assert chat.journal.reviews[0][1] == "我要投诉，窗口态度恶劣，电话139****4321"
    assert [turn[1] for turn in chat.journal.turns] == ["ask_item:none", "review"]


async def test_handoff_and_case_status_answer_with_where_to_go(chat: Chat) -> None:
    body = text_of(await chat.say("转人工"))
    assert "12345" in body and "电话" in body
    assert "办件编号" in text_of(await chat.say("我的申请办到哪一步了"))


async def test_review_wish_is_asked_for_then_recorded(chat: Chat) -> None:
    assert "满意或不满意" in text_of(await chat.say("我要评价"))
    assert "谢谢您的评价" in text_of(await chat.say("排队太久了"))
    assert [t for _, t, _ in chat.journal.reviews] == ["排队太久了"]


async def test_menu_events_and_subscribe(chat: Chat) -> None:
    welcome = await chat.send(Inbound(chat.user, "event", event="subscribe"))
    assert "办事助手" in text_of(welcome)
    assert "发送您的位置" in text_of(await chat.send(Inbound(chat.user, "event", event="click", event_key="MENU_NEARBY")))
    bundles = await chat.send(Inbound(chat.user, "event", event="click", event_key="MENU_BUNDLES"))
    assert "新生儿出生一件事" in options_of(bundles)
    assert "新生儿出生一件事" in text_of(await chat.say("1"))


async def test_live_catalog_updates_apply_to_the_next_message(chat: Chat) -> None:
    await chat.say("换身份证要带啥子")
    item = chat.catalog.items["RZ-GA-002"]
    chat.source.replace(replace(chat.catalog, items={**chat.catalog.items, "RZ-GA-002": replace(item, fee="不收费")}),
                        chat.index)
    assert "收费：不收费" in text_of(await chat.say("收费吗"))


async def test_a_failing_handler_still_answers_with_the_hotline(chat: Chat) -> None:
    class Broken:
        async def asearch(self, query: str, k: int = 5) -> Result:
            raise RuntimeError("index corrupt")

    chat.source.replace(chat.catalog, Broken())
    replies = await chat.say("换身份证要带啥子")
    assert "12345" in text_of(replies)
    assert chat.journal.turns[-1][1] == "error"
