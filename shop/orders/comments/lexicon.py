"""The words of live-stream chat: patterns for phones, labels, places, names, numbers, units and order talk;
text tidying; Chinese numerals; tonight's lineup as buyers name it; a comment line being read.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LineupProduct:
    """One product in tonight's run-of-show, as buyers may refer to it."""

    product_id: int
    name: str
    short_code: str
    keywords: tuple[str, ...]
    unit: str
    pinned: bool = False


# Sentinels written over text already read, so later steps neither read it again nor join what it separated.
PHONE_MARK = "\ue000"
TAKEN = "\ue001"
_SEPARATORS = " ,;:!?、。~…()[]{}<>【】「」『』《》\"'|/\\" + PHONE_MARK
_SEP = "[" + re.escape(_SEPARATORS) + "]"
_BOUNDARY = rf"(?=$|{_SEP}|{TAKEN})"
_SEGMENT = re.compile(f"[^{re.escape(_SEPARATORS)}]+")
GAP_SEPARATOR = re.compile(_SEP)
_PUNCTUATION_GAP = "[ ,;:、。]*"
ONLY_GAP = re.compile(_PUNCTUATION_GAP)
GAP_THEN_PHONE = re.compile(_PUNCTUATION_GAP + PHONE_MARK)
PHONE_THEN_GAP = re.compile(PHONE_MARK + _PUNCTUATION_GAP + "$")

# Symbols some phones offer as emoji where a buyer means an operator: "A1➕2".
_SYMBOL_ALIASES = str.maketrans({"➕": "+", "✖": "×", "✕": "×"})
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Douyin and Kuaishou copy their stickers as bracketed words: "[比心][玫瑰]".
_PLATFORM_STICKER = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")
_DECORATION = frozenset({"So", "Sk", "Mn", "Me", "Cf", "Cc", "Co", "Cs", "Zl", "Zp"})

NICKNAME_AT = re.compile(r"@[^\s@:]+")
# A comment copied from the live console reads "昵称：内容"; the nickname is not the buyer's real name.
NICKNAME_PREFIX = re.compile(r"^\s*([^\s:]{1,20})\s*:")

PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)")
NON_DIGIT = re.compile(r"\D")
# A mobile number with a digit missing or doubled: worth a draft so the secretary can ask again.
MISTYPED_PHONE = re.compile(r"1\d{9,11}")
DIGIT_RUN = re.compile(r"(?<!\d)\d(?:-?\d){6,}(?!\d)")

NAME_LABEL = re.compile(r"(?:收件人|收货人|联系人|姓名|名字)\s*(?:是|叫|:)?\s*")
NAME_VALUE = re.compile(r"[\u4e00-\u9fff·]+")
PHONE_LABEL = re.compile(r"(?:联系)?(?:电话号码|手机号码|电话|手机号|手机|联系方式)\s*(?:是|:)?|(?<![a-z])tel\s*:?")
ADDRESS_LABEL = re.compile(r"(?:(?:收货|收件|详细|邮寄|寄送)?地址|住址)\s*(?:是|在|:)?\s*")

_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|"
    "海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
# A province name opens an address only when a prefecture or county follows: "宁夏枸杞" is a product.
PROVINCE_START = re.compile(
    rf"(?:{_PROVINCES})(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区|"
    r"(?=[\u4e00-\u9fff]{1,8}?(?:市|州|盟|县|区|旗)))"
)
# Without a province, an address must start a segment with a place word: "朝阳市…", "凌河路12号".
PLACE_START = re.compile(
    rf"(?:^|(?<={_SEP}))[\u4e00-\u9fff]{{2,6}}?"
    r"(?:市(?!场|民|价|值|面)|自治州|州|盟|县(?!城)|区(?!别|域)|旗|镇|乡(?!下|亲)|村|屯|路|街|巷|胡同|小区|社区)"
)
NOT_A_PLACE = re.compile(r"[我你他她咱俺们这那]")
ADDRESS_MARKERS = re.compile(r"[省市区县旗镇乡村屯路街巷号楼栋单元室组院]|小区|社区|胡同")

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAME = re.compile("欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|司徒|夏侯")
# Characters that put a word in the chat rather than on an ID card.
NOT_IN_GIVEN_NAMES = frozenset(
    "要买拍来吗的了呢啊吧哦呀嘛这那我你他她们您咱俺呗啦哈嗯么啥谁哪几个份袋盒瓶斤箱单号链邮货款车关注播谢钱价多少上排"
)
PLACE_SUFFIXES = frozenset("家村屯庄营堡沟店岭坡镇乡区县市省路街巷号楼")
NOT_NAMES = frozenset(
    {"明天", "今天", "高兴", "方便", "单独", "全部", "全都", "时间", "马上", "路过", "支持", "和我", "和你"}
)

_CN_DIGITS = "零一二两三四五六七八九十百"
_NUMBER = rf"(?:(?:\d+(?:\.\d+)?|[{_CN_DIGITS}几]+)(?:来|多)?|俩|仨)"
WEIGHT_GRAMS = {"斤": 500, "公斤": 1000, "千克": 1000, "kg": 1000, "克": 1, "g": 1, "两": 50}
_CONTAINER_UNITS = tuple("袋包盒瓶罐箱件提桶套只条张把捆串枚听支根")
GENERIC_UNITS = frozenset({"份", "个", "单"})
# A case or a carry-pack holds several of the product's own units, so "两箱" is not simply two.
BULK_UNITS = frozenset({"箱", "提"})
# Counting words that show buying intent on their own; "一个人", "三条街" are only chat.
ORDER_UNITS = frozenset({*WEIGHT_GRAMS, "袋", "包", "盒", "瓶", "罐", "箱", "件", "提", "桶", "套", "份", "单"})
_UNIT = "(?:" + "|".join(sorted([*WEIGHT_GRAMS, *_CONTAINER_UNITS, "份", "个"], key=len, reverse=True)) + "|单(?!元))"
_VERB = r"(?:再|多|给我|帮我|我)?(?:来|要|买|拍|整|订|带)(?:了|上)?"
COUNTED = re.compile(rf"(?P<verb>{_VERB})?\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})(?P<half>半)?(?!装)")
HALF = re.compile(rf"(?P<verb>{_VERB})?\s*半\s*(?P<unit>{_UNIT})(?!装)")
TIMES = re.compile(rf"(?<![a-z])[x×*+]\s*(?P<num>{_NUMBER})(?:\s*(?P<unit>{_UNIT}))?")
VERB_NUMBER = re.compile(rf"(?P<verb>{_VERB})\s*(?P<num>{_NUMBER}){_BOUNDARY}")
BARE_NUMBER = re.compile(rf"\s*(?P<num>\d+|[{_CN_DIGITS}]+|俩|仨){_BOUNDARY}")
SPREAD = re.compile(r"(?:各|每样|每种|每个)\s*$")
EACH_NUMBER = re.compile(rf"(?<=各|样|种)\s*(?P<num>{_NUMBER}){_BOUNDARY}")
_CHINESE_NUMERAL = re.compile(
    r"(?:(?P<h>[一二两三四五六七八九])百(?P<z>零)?)?(?:(?P<t>[一二三四五六七八九])?(?P<ten>十))?(?P<o>[一二三四五六七八九])?"
)
RANGES = ("一两", "两三", "三四", "四五", "五六", "六七", "七八", "八九", "三五")
_CN_VALUES = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Quantities above this are far more often a typo or a stray number than a real livestream order.
LARGE_QUANTITY = 50

CODE_TOKEN = re.compile(r"(?<![a-z0-9])([a-z]{1,3}\d{1,3})(?!\d)")
POSITION = re.compile(
    rf"(?:第\s*(?P<a>{_NUMBER})\s*(?:号|个|款)?\s*(?:链接|商品|宝贝|产品)|(?P<nth>第)?\s*(?P<b>\d+|[{_CN_DIGITS}]+)\s*号"
    r"(?!楼|院|门|线|房|室|单元|地铁|店)\s*(?P<link>链接|商品|宝贝|产品)?)"
)

KOU_ONE = re.compile(r"扣\s*个?\s*1(?!\d)")
LONE_ONE = re.compile(r"^\s*\+?1\s*$")
_THIS_ONE = "(?:这个|这款|这种|这一款)"
PINNED_WORDS = re.compile(
    rf"上车|同款|安排|下单|(?:要|来|拍|买|就){_THIS_ONE}"
    rf"|{_THIS_ONE}(?=\s*(?:$|{_SEP}|要|来|拍|买|给我|\d|[一二两三四五六七八九十俩仨]))"
    rf"|(?:我也?要|要了|要啦)(?=\s*(?:$|{_SEP}))"
)
WANT = re.compile(r"要|来|买|拍|订|留|整|带|下单|上车|安排")
ALREADY_ORDERED = re.compile(r"已拍|拍了|拍下|已下单|下单了|已付|付款了")
# "多少钱一袋" asks a price; its "一袋" is not an order for one bag.
PRICE_QUESTION = re.compile(
    rf"(?:多少钱|几块钱?|啥价|什么价)\s*一\s*{_UNIT}|一\s*{_UNIT}\s*(?:多少钱|几块|啥价|什么价)"
)
QUESTION = re.compile(r"\?|吗|多少钱|怎么卖|几块|什么价|啥价|价格|有没有|还有没|怎么买|怎么下单|能不能|什么时候")
CANCEL = re.compile(r"不要了|不要啦|不买了|取消|退了|退掉|退款|算了")
FILLERS = re.compile(
    r"谢谢(?:主播|老板|姐姐|哥哥|你|您|啦|了|大家)?|多谢|感谢|麻烦(?:主播|老板|你|您)?了?|辛苦(?:了|啦)?"
    r"|你好|您好|主播|老板|家人们|宝宝们?|老铁们?|哈{2,}|嘿{2,}"
)
_NAME_SPEC = re.compile(r"[【\[(（].*?[】\])）]|\d+(?:\.\d+)?\s*(?:斤|公斤|千克|kg|克|g|袋|盒|瓶|包|件)?装?")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
CJK_BEFORE = re.compile(r"[\u4e00-\u9fff]{2,}$")
# Words around a number made only of these are talk ("我也要", "帮我留"), not the name of a product.
NOT_IN_PRODUCT_WORDS = frozenset(
    "我你他也就都还先共总给帮再来要买拍订整带留这那个的了吧啊呀哦呢嘛一二两三四五六七八九十"
)


def _tidy(text: str) -> str:
    """Full-width forms to ASCII, platform stickers and emoji to spaces; Chinese text untouched."""
    text = unicodedata.normalize("NFKC", text.translate(_SYMBOL_ALIASES))
    text = _PLATFORM_STICKER.sub(" ", text)
    return "".join(" " if ch.isspace() or unicodedata.category(ch) in _DECORATION else ch for ch in text)


def _normalise(text: str) -> str:
    """What matching reads: tidied, with Latin in lower case so "A1" and "a1" are one code."""
    return _tidy(text).translate(_ASCII_LOWER)


def chinese_number(text: str) -> int | None:
    """一…九百九十九 as people write them, including 两 for 2 and 一百五 for 150; None when it is not one."""
    if text == "两":
        return 2
    if text == "零":
        return 0
    match = _CHINESE_NUMERAL.fullmatch(text)
    if not text or match is None or (match["z"] and match["ten"]):
        return None
    hundreds = _CN_VALUES[match["h"]] * 100 if match["h"] else 0
    tens = (_CN_VALUES[match["t"]] if match["t"] else 1) * 10 if match["ten"] else 0
    ones = _CN_VALUES[match["o"]] if match["o"] else 0
    if match["h"] and not match["ten"] and not match["z"] and match["o"]:
        # 一百五 is 150: a spoken hundred followed by one digit leaves out 十.
        ones *= 10
    return hundreds + tens + ones


@dataclass(frozen=True)
class LineupWords:
    products: tuple[LineupProduct, ...]
    codes: dict[str, tuple[LineupProduct, ...]]
    code_letters: frozenset[str]
    keywords: tuple[tuple[str, LineupProduct], ...]
    pinned: tuple[LineupProduct, ...]
    numbered: bool

    @classmethod
    def build(cls, lineup: Sequence[LineupProduct]) -> LineupWords:
        codes: dict[str, tuple[LineupProduct, ...]] = {}
        keywords: dict[tuple[str, int], LineupProduct] = {}
        for product in lineup:
            code = _normalise(product.short_code).strip()
            if code:
                codes[code] = (*codes.get(code, ()), product)
            for word in (*product.keywords, *_name_keywords(product.name)):
                word = _normalise(word).strip()
                if word:
                    keywords[(word, product.product_id)] = product
        return cls(
            products=tuple(lineup),
            codes=codes,
            code_letters=frozenset(code_letters(code) for code in codes if CODE_TOKEN.fullmatch(code)),
            keywords=tuple((word, product) for (word, _), product in keywords.items()),
            pinned=tuple(p for p in lineup if p.pinned),
            numbered=any(code.isdigit() for code in codes),
        )

    def keyword_spans(self, text: str) -> list[tuple[int, int, tuple[LineupProduct, ...]]]:
        """Where product words occur; a longer word wins over one it contains ("小米礼盒" over "小米")."""
        hits: list[tuple[int, int, LineupProduct]] = []
        for word, product in self.keywords:
            start = text.find(word)
            while start != -1:
                hits.append((start, start + len(word), product))
                start = text.find(word, start + 1)
        hits = [
            hit
            for hit in hits
            if not any(o[0] <= hit[0] and hit[1] <= o[1] and o[1] - o[0] > hit[1] - hit[0] for o in hits)
        ]
        hits.sort(key=lambda hit: (hit[0], hit[1]))
        spans: list[tuple[int, int, tuple[LineupProduct, ...]]] = []
        for start, end, product in hits:
            if spans and start < spans[-1][1]:
                last_start, last_end, products = spans[-1]
                merged = products if product in products else (*products, product)
                spans[-1] = (last_start, max(last_end, end), merged)
            else:
                spans.append((start, end, (product,)))
        return spans

    def mentions_product(self, text: str) -> bool:
        return bool(self.keyword_spans(text))


def _name_keywords(name: str) -> tuple[str, ...]:
    """The name's head noun phrase and its last two characters: "朝阳小米 5斤装" → 朝阳小米, 小米."""
    head = CJK_RUN.search(_NAME_SPEC.sub(" ", _normalise(name)))
    if head is None:
        return ()
    words = head.group()
    return (words, words[-2:]) if len(words) > 2 else (words,)


class CommentLine:
    """One normalised comment; parts are blanked out as they are read so nothing is read twice."""

    def __init__(self, raw: str) -> None:
        # Matching reads the lower-cased copy; names and addresses are cut from the tidied text as typed.
        self.shown = _tidy(raw)
        self.chars = list(self.shown.translate(_ASCII_LOWER))

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def blank(self, start: int, end: int, mark: str = " ") -> None:
        self.chars[start:end] = mark * (end - start)

    def segments(self, start: int = 0) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _SEGMENT.finditer(self.text, start)]


def code_letters(code: str) -> str:
    return code.rstrip(string.digits)
