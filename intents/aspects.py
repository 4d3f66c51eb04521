"""What a question asks about an item: materials, time, fee, place, online, FAQ.

"要多久", "收费吗", "在哪儿办" alone (only aspect and filler words) refer to the item
already being discussed, so they are answered from the state without a new search.
"""

from __future__ import annotations

import re

_ASPECT_CUES = {
    "materials": r"材料|带什么|带啥|要啥|要什么|需要什么|准备什么|准备啥|资料|证件|手续|要些什么|提交什么|哪些东西|什么东西|啥子东西|dai shenme|cailiao",
    "time": r"多久|几天|多少天|多长时间|时限|好久|好多天|什么时候能|多快|办结|拿到|shijian|duojiu",
    "fee": r"收费|收钱|多少钱|好多钱|费用|要钱|花钱|免费|工本费|交钱|给钱|shoufei|duoshaoqian",
    "where": r"在哪|哪里办|去哪|哪儿|哪点|地点|哪个窗口|哪个部门|什么地方|zai nali|zainali",
    "online": r"网上|网办|手机上|线上|天府通办|app|小程序|不用跑|wangshang",
    "faq": r"常见问题|其他问题|注意什么|注意事项",
}
_FILLER = re.compile(
    r"请问|那个|这个|那|还|要|需要|吗|嘛|呢|的|了|啊|呀|哦|得|办理|办|能不能|可以|可不可以|是不是|是|不|有没有|有|"
    r"我|它|这|个|一下|大概|一般|么|咋个|怎么|啥子|什么|多少|几|[\s，。？?！!、,.]"
)


def aspect_of(text: str) -> str | None:
    t = text.lower()
    for aspect, cue in _ASPECT_CUES.items():
        if re.search(cue, t):
            return aspect
    return None


def is_follow_up(text: str) -> bool:
    """Only the aspect and filler words: "那要多久嘛" refers to the item being discussed."""
    rest = text.lower()
    for cue in _ASPECT_CUES.values():
        rest = re.sub(cue, "", rest)
    return len(_FILLER.sub("", rest)) <= 1
