"""Cue patterns for recognising what a citizen wants, one table per intent.

Patterns are general Chinese phrasings (with common Sichuanese, homophone typos and voice
filler already in mind), not copies of test sentences. Each cue has a weight; the intent
with the highest total wins if it clears 1.0, and anything else that reads like a question
goes to catalog search. `PINYIN_CUES` are matched against messages typed in pinyin.
"""

from __future__ import annotations

# Staff and window references: a sentiment about them is an evaluation (好差评).
_STAFF = r"(窗口|工作人员|导办员|办事员|小伙子|小姑娘|大姐|大哥|师傅|阿姨|他们|那个人|服务员|柜台|中心的人|的人)"
_PLACE = r"(大厅|政务中心|服务中心|政务服务|便民服务|服务点|服务站|办事的地方|能办事的地方|哪里可以办事|办事处)"
_WHERE = r"(在哪|在那里|在哪里|在哪儿|咋个走|怎么走|怎么去|咋走|咋去|地址|位置|导航|远不远|多远|几路车|哪条街|路线|定位|哪个)"

CUES: dict[str, list[tuple[str, float]]] = {
    "handoff": [
        (r"人工(?!种|造|林|授|智能|湿地|繁|降)|人[公功](客服|服务|坐席)|转人[公功]|真人|活人|坐席|接线员", 1.2),
        (r"转接|转个人|找个人|喊个|叫个.{0,4}(人|工作人员)|管事的|(找|要|叫|喊|接).{0,2}工作人员", 1.0),
        (r"(?<![0-9])12345(?![0-9])|一二三四五|幺二三四五|热线", 1.1),
        (r"客服电话|打电话问|电话.{0,4}(人|问)|(有没有|找).{0,3}客服", 1.0),
        (r"机器人.{0,6}(笨|没用|听不懂|答非所问)|答非所问|听不懂|没用|浪费时间|问不出来|说不清楚", 0.6),
        (r"工作人员.{0,6}(沟通|来|解答|回我|联系)|(跟|和|与).{0,4}工作人员.{0,4}(说|讲|沟通)", 1.0),
        (r"智能客服|在线客服", 0.6),
    ],
    "review": [
        (r"满意|满以|差评|好评|点赞|点个赞|评价|评个价|评分|打分|打个分|五星|五颗星|[1-5一二三四五]颗?星", 1.2),
        (r"投诉|投素|举报.{0,4}" + _STAFF + r"|表扬|点名表扬|感谢信|锦旗", 1.2),
        (r"^[1-5]\s*分?$|^[一二三四五]分$|打[1-5一二三四五]分", 1.2),
        (_STAFF + r".{0,14}(态度|耐心|热情|好得很|周到|负责|冷漠|凶|冲|差劲|太差|不理|耍手机|玩手机|推诿|刁难|一问三不知|不耐烦)", 1.2),
        (r"态度(好|差|恶劣|不好|很好)|服务(太差|很差|不好|很好|真好|周到)|差劲|不安逸|一般般|还行吧|感动|安逸得很|主动帮", 1.2),
        (r"(跑了|跑).{0,2}[三四五六3-6几]趟|排队.{0,6}(钟头|小时)|等了.{0,4}(钟头|小时)", 0.9),
        (r"提.{0,2}意见|意见建议|建议你们", 1.0),
    ],
    "nearby": [
        (_PLACE + r".{0,12}" + _WHERE, 1.2),
        (_WHERE + r".{0,8}" + _PLACE, 1.0),
        (r"(附近|最近|离我|周边|旁边).{0,8}" + _PLACE, 1.2),
        (r"(附近|最近的|离我近).{0,6}(大厅|中心|服务点|地方)", 1.2),
        (_PLACE + r".{0,3}(有没有|有吗|有不)|(有没有|有吗).{0,6}" + _PLACE, 1.2),
        (r"导航到|我在.{1,8}(镇|乡|村|县|市).{0,10}(哪|附近|最近)", 0.9),
        (r"(大厅|中心)$", 0.5),
    ],
    "hours": [
        (r"上不上班|上班(吗|没|不|时间)|开始上班|几点上班|几点下班|下班(吗|没|时间|了吗)|什么时候下班|开门|开们|关门|开不开|开没开", 1.2),
        (r"工作时间|办公时间|营业时间|作息|对外办公|上班时间", 1.2),
        (r"(中午|午休).{0,4}(休息|上班|办)|几点", 1.0),
        (r"(周六|周日|周末|星期六|星期天|礼拜六|礼拜天|双休|节假日|放假|过年|春节|国庆|元旦|五一|清明|端午|中秋|藏历新年|藏历年|假期).{0,8}(能不能办|能办|可以办|能去|办事|开不开|开门|上班|休息|放假|对外办公|上不上|有人|办不办)", 1.1),
        (r"来得及|还能去|赶得到", 0.8),
        (r"(快|已经|现在|马上).{0,3}[0-9一二三四五六七八九十两]+点", 0.6),
    ],
    "greeting": [
        (r"^(你好|您好|你号|妳好|哈喽|嗨|hi|hello|在吗|在不在|在么|早上好|上午好|中午好|下午好|晚上好|早安|晚安)", 1.2),
        (r"^(谢谢|多谢|感谢|辛苦|好的|晓得了|知道了|明白了|收到|拜拜|再见|回见|好嘞|ok|嗯好|好)", 1.1),
        (r"谢谢|多谢|帮大忙|辛苦了|再见|拜拜", 0.8),
        (r"你是谁|你是机器人|你是人|你是真人|扎西德勒|这里是.{0,14}(吗|么)$|是不是官方", 1.5),
    ],
    "help": [
        (r"(能|会|可以)(干|做|帮)(些|点)?(啥|什么)|会什么|能办些|能办啥|能办什么|能帮我.{0,2}什么|有啥用|干啥的", 1.2),
        (r"菜单|功能|帮助|使用说明|用法|怎么用|咋用|咋个用|不.{0,2}会用(这个|你|公众号)|教我|怎么问|咋个问|咋问|提供哪些服务|哪些服务|有什么服务|主菜单|返回菜单|^menu$|^help$", 1.2),
    ],
    "language": [
        (r"藏语|藏文|藏话|藏汉|双语|བོད|藏族语言|用藏|说藏", 1.3),
        (r"切换.{0,4}(中文|汉语|汉文|语言)|^(中文|汉语|汉文|说汉语|说中文)$|ཀྲུང་", 1.3),
    ],
    "case_status": [
        (r"办件|(查|看|我的|申请|办理|审批|审核|业务).{0,6}进度|进度.{0,4}(查|怎么|如何|到哪)|办到哪|到哪一步|办好了没|办完了没|审批到哪|审核到哪|受理编号|申请编号|查件|办理状态|状态查询|有没有结果|什么时候能好|办好没有|批下来没", 1.2),
    ],
}

# Typed pinyin, toneless and without spaces (pypinyin would read 藏 as "cang", not "zang").
PINYIN_CUES: dict[str, list[str]] = {
    "handoff": ["rengong", "zhenren", "kefu", "zhuanjie"],
    "review": ["pingjia", "manyi", "tousu", "chaping", "haoping", "biaoyang"],
    "nearby": ["dating", "zhengwuzhongxin", "fuwuzhongxin", "fujin", "zuijinde", "zainali", "zainar"],
    "hours": ["shangban", "gongzuoshijian", "bangongshijian", "xiaban", "kaimen", "jidian"],
    "greeting": ["nihao", "ninhao", "xiexie", "zaijian", "zaima"],
    "help": ["bangzhu", "caidan", "gongneng", "zenmeyong"],
    "language": ["zangwen", "zangyu", "zanghua", "shuangyu"],
    "case_status": ["jindu", "banjian"],
}

# Without at least one of these, a pinyin "nearby" cue is just a word (在哪里 alone is an item question).
PINYIN_NEEDS = {"nearby": ["dating", "zhengwuzhongxin", "fuwuzhongxin", "fujin", "zuijinde"]}
