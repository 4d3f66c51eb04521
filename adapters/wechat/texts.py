"""Channel-level texts the WeChat edge says itself, without asking the bot.

They answer things the core cannot act on (a photo, an unrecognised voice note) and the
late-reply notice. Kept in one place so the conversation's message catalog
(bot/texts/) can take them over later; the keys are the names to keep.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "voice_unrecognised": (
        "抱歉，没能听清这段语音。请直接打字提问，或点下方菜单选择要办的事。\n"
        "སྐད་འཕྲིན་གོ་མ་སོང་། ཡི་གེ་བྲིས་ནས་དྲི་བ་གཏོང་རོགས།"
    ),
    "please_type": (
        "暂时看不懂图片、视频和链接。请用文字描述您要办的事，例如“身份证补办要带什么”，"
        "或点下方菜单。\n"
        "པར་དང་བརྙན་པར་ཀློག་མི་ཐུབ། ཡི་གེ་བྲིས་ནས་དྲི་བ་གཏོང་རོགས།"
    ),
    "reply_by_number": "回复序号也可以，例如“1”。",
    "more_in_next_message": "（内容较长，接下页）",
}


def text(key: str) -> str:
    return TEXTS[key]
