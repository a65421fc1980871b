"""Comment-to-order parsing: buyers' livestream comments, pasted by the secretary, become draft orders.

Pure text work (no web, no database); each draft lists in ``problems`` what it guessed or could not read.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["DraftItem", "DraftOrder", "LineupProduct", "MatchedBy", "parse_comments"]

MatchedBy = Literal["short_code", "keyword", "pinned"]


@dataclass(frozen=True)
class LineupProduct:
    """One product in tonight's run-of-show, as buyers may refer to it."""

    product_id: int
    name: str
    short_code: str
    keywords: tuple[str, ...]
    unit: str
    pinned: bool = False


@dataclass(frozen=True)
class DraftItem:
    """A product a comment asks for. ``quantity`` is None when no whole number of units could be read."""

    product_id: int
    quantity: int | None
    matched_by: MatchedBy


@dataclass
class DraftOrder:
    """What one comment seems to order; nothing is recorded until the secretary confirms it.

    ``line_number`` counts from 1 in the pasted text. ``buyer_phone`` is 11 digits, without spaces, dashes or +86.
    ``problems`` are short Chinese sentences for the secretary; they never repeat a phone number.
    """

    raw: str
    line_number: int
    buyer_name: str | None = None
    buyer_phone: str | None = None
    address: str | None = None
    items: list[DraftItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# Sentinels written over text already read, so later steps neither read it again nor join what it separated.
_PHONE_MARK = "\ue000"
_TAKEN = "\ue001"
_SEPARATORS = " ,;:!?、。~…()[]{}<>【】「」『』《》\"'|/\\" + _PHONE_MARK
_SEP = "[" + re.escape(_SEPARATORS) + "]"
_BOUNDARY = rf"(?=$|{_SEP}|{_TAKEN})"
_SEGMENT = re.compile(f"[^{re.escape(_SEPARATORS)}]+")
_GAP_SEPARATOR = re.compile(_SEP)
_PUNCTUATION_GAP = "[ ,;:、。]*"
_ONLY_GAP = re.compile(_PUNCTUATION_GAP)
_GAP_THEN_PHONE = re.compile(_PUNCTUATION_GAP + _PHONE_MARK)
_PHONE_THEN_GAP = re.compile(_PHONE_MARK + _PUNCTUATION_GAP + "$")

# Symbols some phones offer as emoji where a buyer means an operator: "A1➕2".
_SYMBOL_ALIASES = str.maketrans({"➕": "+", "✖": "×", "✕": "×"})
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Douyin and Kuaishou copy their stickers as bracketed words: "[比心][玫瑰]".
_PLATFORM_STICKER = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")
_DECORATION = frozenset({"So", "Sk", "Mn", "Me", "Cf", "Cc", "Co", "Cs", "Zl", "Zp"})

_NICKNAME_AT = re.compile(r"@[^\s@:]+")
# A comment copied from the live console reads "昵称：内容"; the nickname is not the buyer's real name.
_NICKNAME_PREFIX = re.compile(r"^\s*([^\s:]{1,20})\s*:")

_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)")
_NON_DIGIT = re.compile(r"\D")
# A mobile number with a digit missing or doubled: worth a draft so the secretary can ask again.
_MISTYPED_PHONE = re.compile(r"1\d{9,11}")
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:-?\d){6,}(?!\d)")

_NAME_LABEL = re.compile(r"(?:收件人|收货人|联系人|姓名|名字)\s*(?:是|叫|:)?\s*")
_NAME_VALUE = re.compile(r"[\u4e00-\u9fff·]+")
_PHONE_LABEL = re.compile(r"(?:联系)?(?:电话号码|手机号码|电话|手机号|手机|联系方式)\s*(?:是|:)?|(?<![a-z])tel\s*:?")
_ADDRESS_LABEL = re.compile(r"(?:(?:收货|收件|详细|邮寄|寄送)?地址|住址)\s*(?:是|在|:)?\s*")

_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|"
    "海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
# A province name opens an address only when a prefecture or county follows: "宁夏枸杞" is a product.
_PROVINCE_START = re.compile(
    rf"(?:{_PROVINCES})(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区|"
    r"(?=[\u4e00-\u9fff]{1,8}?(?:市|州|盟|县|区|旗)))"
)
# Without a province, an address must start a segment with a place word: "朝阳市…", "凌河路12号".
_PLACE_START = re.compile(
    rf"(?:^|(?<={_SEP}))[\u4e00-\u9fff]{{2,6}}?"
    r"(?:市(?!场|民|价|值|面)|自治州|州|盟|县(?!城)|区(?!别|域)|旗|镇|乡(?!下|亲)|村|屯|路|街|巷|胡同|小区|社区)"
)
_NOT_A_PLACE = re.compile(r"[我你他她咱俺们这那]")
_ADDRESS_MARKERS = re.compile(r"[省市区县旗镇乡村屯路街巷号楼栋单元室组院]|小区|社区|胡同")

_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAME = re.compile("欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|司徒|夏侯")
# Characters that put a word in the chat rather than on an ID card.
_NOT_IN_GIVEN_NAMES = frozenset(
    "要买拍来吗的了呢啊吧哦呀嘛这那我你他她们您咱俺呗啦哈嗯么啥谁哪几个份袋盒瓶斤箱单号链邮货款车关注播谢钱价多少上排"
)
_PLACE_SUFFIXES = frozenset("家村屯庄营堡沟店岭坡镇乡区县市省路街巷号楼")
_NOT_NAMES = frozenset(
    {"明天", "今天", "高兴", "方便", "单独", "全部", "全都", "时间", "马上", "路过", "支持", "和我", "和你"}
)

_CN_DIGITS = "零一二两三四五六七八九十百"
_NUMBER = rf"(?:(?:\d+(?:\.\d+)?|[{_CN_DIGITS}几]+)(?:来|多)?|俩|仨)"
_WEIGHT_GRAMS = {"斤": 500, "公斤": 1000, "千克": 1000, "kg": 1000, "克": 1, "g": 1, "两": 50}
_CONTAINER_UNITS = tuple("袋包盒瓶罐箱件提桶套只条张把捆串枚听支根")
_GENERIC_UNITS = frozenset({"份", "个", "单"})
# A case or a carry-pack holds several of the product's own units, so "两箱" is not simply two.
_BULK_UNITS = frozenset({"箱", "提"})
# Counting words that show buying intent on their own; "一个人", "三条街" are only chat.
_ORDER_UNITS = frozenset({*_WEIGHT_GRAMS, "袋", "包", "盒", "瓶", "罐", "箱", "件", "提", "桶", "套", "份", "单"})
_UNIT = "(?:" + "|".join(sorted([*_WEIGHT_GRAMS, *_CONTAINER_UNITS, "份", "个"], key=len, reverse=True)) + "|单(?!元))"
_VERB = r"(?:再|多|给我|帮我|我)?(?:来|要|买|拍|整|订|带)(?:了|上)?"
_COUNTED = re.compile(rf"(?P<verb>{_VERB})?\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})(?P<half>半)?(?!装)")
_HALF = re.compile(rf"(?P<verb>{_VERB})?\s*半\s*(?P<unit>{_UNIT})(?!装)")
_TIMES = re.compile(rf"(?<![a-z])[x×*+]\s*(?P<num>{_NUMBER})(?:\s*(?P<unit>{_UNIT}))?")
_VERB_NUMBER = re.compile(rf"(?P<verb>{_VERB})\s*(?P<num>{_NUMBER}){_BOUNDARY}")
_BARE_NUMBER = re.compile(rf"\s*(?P<num>\d+|[{_CN_DIGITS}]+|俩|仨){_BOUNDARY}")
_SPREAD = re.compile(r"(?:各|每样|每种|每个)\s*$")
_EACH_NUMBER = re.compile(rf"(?<=各|样|种)\s*(?P<num>{_NUMBER}){_BOUNDARY}")
_CHINESE_NUMERAL = re.compile(
    r"(?:(?P<h>[一二两三四五六七八九])百(?P<z>零)?)?(?:(?P<t>[一二三四五六七八九])?(?P<ten>十))?(?P<o>[一二三四五六七八九])?"
)
_RANGES = ("一两", "两三", "三四", "四五", "五六", "六七", "七八", "八九", "三五")
_CN_VALUES = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Quantities above this are far more often a typo or a stray number than a real livestream order.
_LARGE_QUANTITY = 50

_CODE_TOKEN = re.compile(r"(?<![a-z0-9])([a-z]{1,3}\d{1,3})(?!\d)")
_POSITION = re.compile(
    rf"(?:第\s*(?P<a>{_NUMBER})\s*(?:号|个|款)?\s*(?:链接|商品|宝贝|产品)|(?P<nth>第)?\s*(?P<b>\d+|[{_CN_DIGITS}]+)\s*号"
    r"(?!楼|院|门|线|房|室|单元|地铁|店)\s*(?P<link>链接|商品|宝贝|产品)?)"
)

_KOU_ONE = re.compile(r"扣\s*个?\s*1(?!\d)")
_LONE_ONE = re.compile(r"^\s*\+?1\s*$")
_THIS_ONE = "(?:这个|这款|这种|这一款)"
_PINNED_WORDS = re.compile(
    rf"上车|同款|安排|下单|(?:要|来|拍|买|就){_THIS_ONE}"
    rf"|{_THIS_ONE}(?=\s*(?:$|{_SEP}|要|来|拍|买|给我|\d|[一二两三四五六七八九十俩仨]))"
    rf"|(?:我也?要|要了|要啦)(?=\s*(?:$|{_SEP}))"
)
_WANT = re.compile(r"要|来|买|拍|订|留|整|带|下单|上车|安排")
_ALREADY_ORDERED = re.compile(r"已拍|拍了|拍下|已下单|下单了|已付|付款了")
# "多少钱一袋" asks a price; its "一袋" is not an order for one bag.
_PRICE_QUESTION = re.compile(
    rf"(?:多少钱|几块钱?|啥价|什么价)\s*一\s*{_UNIT}|一\s*{_UNIT}\s*(?:多少钱|几块|啥价|什么价)"
)
_QUESTION = re.compile(r"\?|吗|多少钱|怎么卖|几块|什么价|啥价|价格|有没有|还有没|怎么买|怎么下单|能不能|什么时候")
_CANCEL = re.compile(r"不要了|不要啦|不买了|取消|退了|退掉|退款|算了")
_FILLERS = re.compile(
    r"谢谢(?:主播|老板|姐姐|哥哥|你|您|啦|了|大家)?|多谢|感谢|麻烦(?:主播|老板|你|您)?了?|辛苦(?:了|啦)?"
    r"|你好|您好|主播|老板|家人们|宝宝们?|老铁们?|哈{2,}|嘿{2,}"
)
_NAME_SPEC = re.compile(r"[【\[(（].*?[】\])）]|\d+(?:\.\d+)?\s*(?:斤|公斤|千克|kg|克|g|袋|盒|瓶|包|件)?装?")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_CJK_BEFORE = re.compile(r"[\u4e00-\u9fff]{2,}$")
# Words around a number made only of these are talk ("我也要", "帮我留"), not the name of a product.
_NOT_IN_PRODUCT_WORDS = frozenset(
    "我你他也就都还先共总给帮再来要买拍订整带留这那个的了吧啊呀哦呢嘛一二两三四五六七八九十"
)


def parse_comments(text: str, lineup: Sequence[LineupProduct]) -> list[DraftOrder]:
    """Read pasted comments, one per line, into drafts; lines with no order intent give none."""
    catalogue = _Catalogue.build(lineup)
    drafts: list[DraftOrder] = []
    for number, line in enumerate(text.splitlines(), start=1):
        draft = _parse_line(line, number, catalogue)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _tidy(text: str) -> str:
    """Full-width forms to ASCII, platform stickers and emoji to spaces; Chinese text untouched."""
    text = unicodedata.normalize("NFKC", text.translate(_SYMBOL_ALIASES))
    text = _PLATFORM_STICKER.sub(" ", text)
    return "".join(" " if ch.isspace() or unicodedata.category(ch) in _DECORATION else ch for ch in text)


def _normalise(text: str) -> str:
    """What matching reads: tidied, with Latin in lower case so "A1" and "a1" are one code."""
    return _tidy(text).translate(_ASCII_LOWER)


def _chinese_number(text: str) -> int | None:
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
class _Amount:
    whole: int | None
    fault: Literal["half", "vague", "unreadable", "zero"] | None = None


def _read_amount(number: str | None, half: bool = False) -> _Amount:
    if number is None:
        return _Amount(None, "half") if half else _Amount(None, "unreadable")
    if half:
        return _Amount(None, "half")
    if number in ("俩", "仨"):
        return _Amount(2 if number == "俩" else 3)
    if "几" in number or number.endswith(("来", "多")) or any(number.startswith(r) for r in _RANGES):
        return _Amount(None, "vague")
    if number[0].isdigit():
        if "." in number:
            value = float(number)
            if not value.is_integer():
                return _Amount(None, "half")
            number = str(int(value))
        whole = int(number)
    else:
        parsed = _chinese_number(number)
        if parsed is None:
            return _Amount(None, "unreadable")
        whole = parsed
    return _Amount(whole, "zero") if whole == 0 else _Amount(whole)


@dataclass
class _Quantity:
    start: int
    end: int
    text: str
    amount: _Amount
    unit: str | None
    kind: Literal["counted", "half", "times", "verb", "each", "bare"]
    verb: bool
    spread: bool = False

    @property
    def shows_intent(self) -> bool:
        """Whether this number alone says "I want to buy": "要一个", "两袋", "x2" do; "一个人" does not."""
        return self.verb or self.kind in ("times", "verb", "each") or (self.unit in _ORDER_UNITS)


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    products: tuple[LineupProduct, ...]
    matched_by: MatchedBy
    problem: str | None = None
    quantities: list[_Quantity] = field(default_factory=list)


@dataclass(frozen=True)
class _Catalogue:
    products: tuple[LineupProduct, ...]
    codes: dict[str, tuple[LineupProduct, ...]]
    code_letters: frozenset[str]
    keywords: tuple[tuple[str, LineupProduct], ...]
    pinned: tuple[LineupProduct, ...]
    numbered: bool

    @classmethod
    def build(cls, lineup: Sequence[LineupProduct]) -> _Catalogue:
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
            code_letters=frozenset(_code_letters(code) for code in codes if _CODE_TOKEN.fullmatch(code)),
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
    head = _CJK_RUN.search(_NAME_SPEC.sub(" ", _normalise(name)))
    if head is None:
        return ()
    words = head.group()
    return (words, words[-2:]) if len(words) > 2 else (words,)


class _Line:
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


def _parse_line(raw: str, line_number: int, catalogue: _Catalogue) -> DraftOrder | None:
    """Phone first, then labels, address and name, then the order: so no house number is read as a quantity."""
    line = _Line(raw)
    draft = DraftOrder(raw=raw, line_number=line_number)
    _drop_nicknames(line, catalogue)
    draft.buyer_phone, gave_phone = _take_phone(line, draft.problems)
    labelled_name, labelled, address_start = _take_labels(line, draft.problems)
    draft.address, draft.buyer_name = _take_address_and_name(line, address_start, labelled_name, catalogue)
    for match in _FILLERS.finditer(line.text):
        # Not a separator: "这个主播真好看" must not become a bare "这个".
        line.blank(match.start(), match.end(), _TAKEN)
    reading = _read_order(line, catalogue)
    if not (gave_phone or labelled or reading.shows_intent):
        return None
    _fill_items(draft, reading, catalogue)
    return draft


def _drop_nicknames(line: _Line, catalogue: _Catalogue) -> None:
    """Platform nicknames ("@小红", "小红：…") name an account, not the person a parcel goes to."""
    for match in _NICKNAME_AT.finditer(line.text):
        line.blank(match.start(), match.end())
    prefix = _NICKNAME_PREFIX.match(line.text)
    if prefix is None:
        return
    word = prefix[1]
    says_something = any(
        pattern.search(word)
        for pattern in (_NAME_LABEL, _PHONE_LABEL, _ADDRESS_LABEL, _PHONE, _COUNTED, _TIMES, _PINNED_WORDS, _KOU_ONE)
    )
    names_a_product = catalogue.mentions_product(word) or any(
        m[1] in catalogue.codes for m in _CODE_TOKEN.finditer(word)
    )
    if not says_something and not names_a_product and not word.isdigit():
        line.blank(prefix.start(), prefix.end())


def _take_phone(line: _Line, problems: list[str]) -> tuple[str | None, bool]:
    """The first mobile number, normalised; and whether a number that was meant to be one was seen at all."""
    phones: list[str] = []
    for match in _PHONE.finditer(line.text):
        phones.append(_NON_DIGIT.sub("", match[1]))
        line.blank(match.start(), match.end(), _PHONE_MARK)
    if len(set(phones)) > 1:
        problems.append("有不止一个手机号，用了第一个，请核对")
    broken = list(_DIGIT_RUN.finditer(line.text))
    for match in broken:
        line.blank(match.start(), match.end(), _PHONE_MARK)
    if broken:
        # The digits themselves stay out of the message: problems may end up in logs, phone numbers must not.
        problems.append("有一串数字不像11位手机号（位数不对或写错了），请核对")
    mistyped = any(_MISTYPED_PHONE.fullmatch(_NON_DIGIT.sub("", match.group())) for match in broken)
    return (phones[0] if phones else None), bool(phones) or mistyped


def _take_labels(line: _Line, problems: list[str]) -> tuple[str | None, bool, int | None]:
    """Reads "收件人：", "电话：", "地址：" labels: the name after its label, where the address begins."""
    labelled = False
    for match in _PHONE_LABEL.finditer(line.text):
        line.blank(match.start(), match.end())
    address_start = None
    address_label = _ADDRESS_LABEL.search(line.text)
    if address_label is not None:
        labelled = True
        line.blank(address_label.start(), address_label.end())
        address_start = address_label.end()
    name = None
    for match in _NAME_LABEL.finditer(line.text):
        labelled = True
        line.blank(match.start(), match.end())
        value = _NAME_VALUE.match(line.text, match.end())
        if value is None or name is not None:
            continue
        candidate = _cut_name(value.group())
        if 2 <= len(candidate) <= 4 or ("·" in candidate and len(candidate) <= 12):
            name = candidate
            line.blank(value.start(), value.start() + len(candidate))
        else:
            problems.append("收件人后面的名字没认出来，请手填")
    return name, labelled, address_start


def _cut_name(value: str) -> str:
    """A labelled name ends where an address or another label begins: 张三辽宁省… → 张三."""
    cut = len(value)
    province = _PROVINCE_START.search(value, 2)
    if province is not None:
        cut = province.start()
    for word in ("电话", "手机", "地址", "收货", "联系"):
        found = value.find(word, 2)
        if found != -1:
            cut = min(cut, found)
    return value[:cut]


def _find_address_start(text: str, catalogue: _Catalogue) -> int | None:
    starts: list[int] = []
    province = _PROVINCE_START.search(text)
    if province is not None:
        starts.append(province.start())
    for place in _PLACE_START.finditer(text):
        if not _NOT_A_PLACE.search(place.group()) and not catalogue.mentions_product(place.group()):
            starts.append(place.start())
            break
    return min(starts) if starts else None


def _is_order_fragment(segment: str, catalogue: _Catalogue) -> bool:
    """A segment after an address that belongs to the order: "A1", "A1x2", "两袋", "上车"."""
    code = _CODE_TOKEN.match(segment)
    if code is not None and (code[1] in catalogue.codes or _code_letters(code[1]) in catalogue.code_letters):
        rest = segment[code.end() :].strip()
        return not rest or any(p.fullmatch(rest) for p in (_COUNTED, _HALF, _TIMES, _BARE_NUMBER))
    if ("链接" in segment or segment.startswith("第")) and _POSITION.search(segment):
        return True
    return any(p.fullmatch(segment) for p in (_COUNTED, _HALF, _TIMES, _VERB_NUMBER, _PINNED_WORDS, _KOU_ONE))


def _code_letters(code: str) -> str:
    return code.rstrip(string.digits)


def _looks_like_name(word: str, catalogue: _Catalogue) -> bool:
    """A real name as buyers type it for shipping: 2–4 Chinese characters opening with a common surname."""
    if not 2 <= len(word) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    if word in _NOT_NAMES or word[-1] in _PLACE_SUFFIXES:
        return False
    compound = _COMPOUND_SURNAME.match(word) is not None
    given = word[2:] if compound else word[1:]
    if not (compound or word[0] in _SURNAMES) or not given or any(ch in _NOT_IN_GIVEN_NAMES for ch in given):
        return False
    chat = (_COUNTED, _PINNED_WORDS, _FILLERS, _QUESTION, _CANCEL, _ALREADY_ORDERED, _ADDRESS_MARKERS)
    return not catalogue.mentions_product(word) and not any(p.search(word) for p in chat)


def _next_to(text: str, start: int, end: int, position: int | None = None) -> bool:
    """Whether only punctuation lies between a segment and the phone number (or the given position after it)."""
    if position is None:
        return bool(_GAP_THEN_PHONE.match(text, end) or _PHONE_THEN_GAP.search(text, 0, start))
    return position >= end and _ONLY_GAP.fullmatch(text, end, position) is not None


def _take_address_and_name(
    line: _Line, labelled_start: int | None, labelled_name: str | None, catalogue: _Catalogue
) -> tuple[str | None, str | None]:
    """The address runs from its first place word to the end of the line, less the order, phone and name in it."""
    text = line.text
    start = labelled_start if labelled_start is not None else _find_address_start(text, catalogue)
    parts: list[tuple[int, int]] = []
    tail_names: list[tuple[int, int]] = []
    if start is not None:
        segments = [span for span in line.segments(start) if not _FILLERS.fullmatch(text[span[0] : span[1]])]
        after_order = False
        for index, (seg_start, seg_end) in enumerate(segments):
            segment = text[seg_start:seg_end]
            products = catalogue.keyword_spans(segment)
            if products:
                # Order text typed straight after the address: "…12号小米两袋".
                if products[0][0] > 0 and not after_order:
                    parts.append((seg_start, seg_start + products[0][0]))
                after_order = True
            elif _is_order_fragment(segment, catalogue):
                after_order = True
            elif _looks_like_name(segment, catalogue) and (
                index == len(segments) - 1 or _next_to(text, seg_start, seg_end)
            ):
                tail_names.append((seg_start, seg_end))
            elif after_order and not _ADDRESS_MARKERS.search(segment):
                # Once the order has started, only a place word brings the address back: "A1 2" keeps its 2.
                continue
            else:
                parts.append((seg_start, seg_end))
                after_order = False
    for part_start, part_end in parts:
        line.blank(part_start, part_end)

    name = labelled_name
    if name is None:
        name_span = _find_unlabelled_name(line, start, catalogue) or (tail_names[0] if tail_names else None)
        if name_span is not None:
            name = line.shown[name_span[0] : name_span[1]]
            line.blank(*name_span)
            tail_names = [span for span in tail_names if span != name_span]
    # A name-like word the name did not need is part of the address after all.
    for span in tail_names:
        line.blank(*span)
    address_spans = sorted(parts + tail_names)
    address = " ".join(line.shown[s:e] for s, e in address_spans).strip()
    return address or None, name


def _find_unlabelled_name(line: _Line, address_start: int | None, catalogue: _Catalogue) -> tuple[int, int] | None:
    """The shipping name: leading the comment, or right beside the phone number or the address."""
    text = line.text
    segments = [span for span in line.segments() if text[span[0] : span[1]].strip()]
    candidates = [span for span in segments if _looks_like_name(text[span[0] : span[1]], catalogue)]
    if not candidates:
        return None
    if candidates[0] == segments[0]:
        return candidates[0]
    for span in candidates:
        if _next_to(text, *span) or (address_start is not None and _next_to(text, *span, position=address_start)):
            return span
    return None


@dataclass
class _Reading:
    """What the order part of a comment says, before it is turned into items."""

    mentions: list[_Mention] = field(default_factory=list)
    quantities: list[_Quantity] = field(default_factory=list)
    leftovers: list[_Quantity] = field(default_factory=list)
    asks_for_pinned: bool = False
    question: bool = False
    cancelled: bool = False
    already_ordered: bool = False
    wants: bool = False
    unknown_products: dict[int, str] = field(default_factory=dict)

    @property
    def shows_intent(self) -> bool:
        """Whether the comment asks for something at all; chat and bare questions do not."""
        if self.mentions:
            return True
        wants = any(q.shows_intent for q in self.quantities)
        # "这个好吃吗" points at the product on screen but asks rather than orders.
        return wants or ((self.asks_for_pinned or self.already_ordered) and not self.question)


def _read_order(line: _Line, catalogue: _Catalogue) -> _Reading:
    reading = _Reading(question=bool(_QUESTION.search(line.text)))
    for match in _CANCEL.finditer(line.text):
        # Blanked so that "不要了" is not read as "要了".
        reading.cancelled = True
        line.blank(match.start(), match.end())
    text = line.text
    reading.already_ordered = bool(_ALREADY_ORDERED.search(text))
    reading.asks_for_pinned = bool(_PINNED_WORDS.search(text))
    reading.wants = bool(_WANT.search(text))
    for pattern in (_LONE_ONE, _KOU_ONE):
        for match in pattern.finditer(line.text):
            # "扣1" and a lone "1" are how live chat says "me too", not a count of anything.
            reading.asks_for_pinned = True
            line.blank(match.start(), match.end())
    for match in _PRICE_QUESTION.finditer(line.text):
        line.blank(match.start(), match.end())
    reading.mentions = _merge_neighbours(_find_mentions(line, catalogue), text)
    reading.quantities = _find_quantities(line, reading.mentions, text)
    _bind_quantities(reading, text)
    unclaimed = reading.leftovers if reading.mentions else reading.quantities
    reading.unknown_products = {
        quantity.start: word for quantity in unclaimed if (word := _unknown_product_word(line.text, quantity))
    }
    return reading


def _unknown_product_word(text: str, quantity: _Quantity) -> str | None:
    """A word counted like a product that the lineup does not know: "宁夏枸杞两袋" on a night without 枸杞."""
    for found in (_CJK_BEFORE.search(text, 0, quantity.start), _CJK_RUN.match(text, quantity.end)):
        if found is not None and not any(ch in _NOT_IN_PRODUCT_WORDS for ch in found.group()):
            return found.group()
    return None


def _find_mentions(line: _Line, catalogue: _Catalogue) -> list[_Mention]:
    mentions: list[_Mention] = []
    for match in _CODE_TOKEN.finditer(line.text):
        code = match[1]
        products = catalogue.codes.get(code, ())
        if not products and (_code_letters(code) not in catalogue.code_letters or _code_letters(code) == "x"):
            continue
        mentions.append(_code_mention(match.start(), match.end(), code, products))
        line.blank(match.start(), match.end(), _TAKEN)
    for code, products in catalogue.codes.items():
        if _CODE_TOKEN.fullmatch(code) or code.isdigit():
            continue
        start = line.text.find(code)
        while start != -1:
            mentions.append(_code_mention(start, start + len(code), code, products))
            line.blank(start, start + len(code), _TAKEN)
            start = line.text.find(code, start + len(code))
    for match in _POSITION.finditer(line.text):
        if match["b"] and not (match["nth"] or match["link"] or catalogue.numbered):
            # A bare "5号" is a date or a house number unless tonight's products are numbered.
            continue
        amount = _read_amount(match["a"] or match["b"])
        products = catalogue.codes.get(str(amount.whole), ()) if amount.whole else ()
        said = match.group().strip()
        mention = _Mention(match.start(), match.end(), said, products, "short_code")
        if len(products) != 1:
            mention.problem = _ambiguous(said, products) if products else f"「{said}」对不上今晚的商品编号"
        mentions.append(mention)
        line.blank(match.start(), match.end(), _TAKEN)
    for start, end, products in catalogue.keyword_spans(line.text):
        said = line.text[start:end]
        mention = _Mention(start, end, said, products, "keyword")
        if len(products) > 1:
            mention.problem = _ambiguous(said, products)
        mentions.append(mention)
        line.blank(start, end, _TAKEN)
    return sorted(mentions, key=lambda m: m.start)


def _code_mention(start: int, end: int, code: str, products: tuple[LineupProduct, ...]) -> _Mention:
    mention = _Mention(start, end, code.upper(), products, "short_code")
    if not products:
        mention.problem = f"编号「{code.upper()}」不在今晚的商品里"
    elif len(products) > 1:
        mention.problem = _ambiguous(code.upper(), products)
    return mention


def _ambiguous(said: str, products: Sequence[LineupProduct]) -> str:
    names = "、".join(f"{p.short_code} {p.name}" for p in products)
    return f"「{said}」对得上好几个商品（{names}），没替买家选，请确认要哪个"


def _merge_neighbours(mentions: list[_Mention], text: str) -> list[_Mention]:
    """A code and a name written together ("A1小米", "小米 A1") are one product, or a contradiction."""
    merged: list[_Mention] = []
    for mention in mentions:
        previous = merged[-1] if merged else None
        if previous is None or text[previous.end : mention.start].strip() or (previous.problem and mention.problem):
            merged.append(mention)
            continue
        pair = (previous, mention)
        code = next((m for m in pair if m.matched_by == "short_code" and len(m.products) == 1), None)
        word = next((m for m in pair if m.matched_by == "keyword"), None)
        if previous.products == mention.products and not previous.problem:
            joined = previous.products
        elif code is not None and word is not None and code.products[0] in word.products:
            joined = code.products
        elif code is not None and word is not None and len(word.products) == 1:
            joined = ()
        else:
            merged.append(mention)
            continue
        said = text[previous.start : mention.end]
        matched_by: MatchedBy = "short_code" if code is not None else "keyword"
        combined = _Mention(previous.start, mention.end, said, joined, matched_by)
        if not joined and code is not None and word is not None:
            combined.problem = (
                f"编号{code.text}是「{code.products[0].name}」，但写的是「{word.text}」（{word.products[0].name}），"
                "不知道要哪个"
            )
        merged[-1] = combined
    return merged


def _find_quantities(line: _Line, mentions: list[_Mention], text: str) -> list[_Quantity]:
    found: list[_Quantity] = []
    kinds: tuple[tuple[re.Pattern[str], Literal["counted", "half", "times", "verb", "each"]], ...] = (
        (_COUNTED, "counted"),
        (_HALF, "half"),
        (_TIMES, "times"),
        (_VERB_NUMBER, "verb"),
        (_EACH_NUMBER, "each"),
    )
    for pattern, kind in kinds:
        for match in pattern.finditer(line.text):
            groups = match.groupdict()
            start = match.end() - len(match.group().lstrip())
            amount = _read_amount(groups.get("num"), half=kind == "half" or bool(groups.get("half")))
            said = text[start : match.end()].removeprefix(groups.get("verb") or "").strip()
            found.append(
                _Quantity(start, match.end(), said, amount, groups.get("unit"), kind, bool(groups.get("verb")))
            )
            line.blank(match.start(), match.end(), _TAKEN)
    for mention in mentions:
        bare = _BARE_NUMBER.match(line.text, mention.end)
        if bare is not None:
            start = bare.start("num")
            found.append(_Quantity(start, bare.end(), bare["num"], _read_amount(bare["num"]), None, "bare", False))
            line.blank(start, bare.end(), _TAKEN)
    for quantity in found:
        quantity.spread = bool(_SPREAD.search(text[: quantity.start]))
    return sorted(found, key=lambda q: q.start)


def _tight(gap: str) -> bool:
    """Nothing but a particle between a number and a product: "两袋小米", "两袋的小米"."""
    return len(gap) <= 2 and not _GAP_SEPARATOR.search(gap)


def _bind_quantities(reading: _Reading, text: str) -> None:
    """Gives each number to the product it counts: after it ("小米两袋"), else before it ("两袋小米")."""
    mentions = reading.mentions
    for quantity in reading.quantities:
        before = [m for m in mentions if m.end <= quantity.start]
        after = [m for m in mentions if m.start >= quantity.end]
        previous = before[-1] if before else None
        following = after[0] if after else None
        if quantity.spread and before:
            for mention in before:
                if not mention.quantities:
                    mention.quantities.append(quantity)
            continue
        backward_only = quantity.kind in ("times", "each", "bare")
        forward = (
            not backward_only
            and following is not None
            and not following.quantities
            and _tight(text[quantity.end : following.start])
            and (previous is None or bool(previous.quantities) or not _tight(text[previous.end : quantity.start]))
        )
        if not forward and previous is not None and not previous.quantities:
            previous.quantities.append(quantity)
        elif not backward_only and following is not None and not following.quantities:
            following.quantities.append(quantity)
        else:
            reading.leftovers.append(quantity)


def _fill_items(draft: DraftOrder, reading: _Reading, catalogue: _Catalogue) -> None:
    items: dict[int, DraftItem] = {}
    repeated: set[int] = set()
    for mention in reading.mentions:
        if mention.problem:
            draft.problems.append(mention.problem)
            continue
        product = mention.products[0]
        quantity = _quantity_for(mention.quantities, product, draft.problems)
        if product.product_id in items:
            repeated.add(product.product_id)
            earlier = items[product.product_id].quantity
            quantity = None if earlier is None or quantity is None else earlier + quantity
        items[product.product_id] = DraftItem(product.product_id, quantity, mention.matched_by)
    for product_id in repeated:
        name = next(p.name for p in catalogue.products if p.product_id == product_id)
        draft.problems.append(f"「{name}」提到了不止一次，数量已合计，请核对")

    if reading.mentions:
        draft.problems.extend(_leftover_problem(reading, quantity) for quantity in reading.leftovers)
    elif reading.shows_intent or reading.asks_for_pinned:
        _fill_pinned(draft, reading, catalogue, items)
    draft.items = list(items.values())

    if not draft.items and not reading.mentions and not reading.shows_intent:
        draft.problems.append("没看出要买什么商品")
    elif reading.mentions and not (reading.wants or reading.quantities or draft.buyer_phone or draft.address):
        draft.problems.append("只提到了商品，没看出是要下单")
    if reading.cancelled:
        draft.problems.append("买家说了「不要了」「取消」之类的话，请核对是不是要下单")
    if reading.already_ordered:
        draft.problems.append("买家说已经在平台上拍下了，小心和平台订单重复")
    if reading.question:
        draft.problems.append("像是在提问，不一定是要下单")


def _fill_pinned(draft: DraftOrder, reading: _Reading, catalogue: _Catalogue, items: dict[int, DraftItem]) -> None:
    """No product named: "上车", "来两袋", "扣1" mean the product on screen now, if there is exactly one."""
    if not catalogue.pinned:
        draft.problems.append("没说要哪个商品，现在也没有正在讲解的商品，请手选")
        return
    if len(catalogue.pinned) > 1:
        names = "、".join(p.name for p in catalogue.pinned)
        draft.problems.append(f"没说要哪个商品，正在讲解的又不止一个（{names}），请手选")
        return
    if reading.unknown_products:
        words = "、".join(reading.unknown_products.values())
        draft.problems.append(f"「{words}」不在今晚的商品里，没按正在讲解的商品算，请手选")
        return
    product = catalogue.pinned[0]
    quantities = reading.leftovers
    if quantities:
        quantity = _quantity_for(quantities[:1], product, draft.problems)
        draft.problems.append(f"没说商品名，按正在讲解的「{product.name}」算")
        draft.problems.extend(_leftover_problem(reading, quantity) for quantity in quantities[1:])
    else:
        quantity = 1
        draft.problems.append(f"没说商品名也没写数量，按正在讲解的「{product.name}」1{product.unit}算")
    items[product.product_id] = DraftItem(product.product_id, quantity, "pinned")


def _leftover_problem(reading: _Reading, quantity: _Quantity) -> str:
    word = reading.unknown_products.get(quantity.start)
    if word is not None:
        return f"「{word}」不在今晚的商品里，「{quantity.text}」没算进订单"
    return f"「{quantity.text}」不知道是哪个商品的数量"


def _quantity_for(quantities: list[_Quantity], product: LineupProduct, problems: list[str]) -> int | None:
    """The whole number of the product's units the buyer asked for, or None with a problem saying why."""
    if not quantities:
        problems.append(f"「{product.name}」没写数量，先按1{product.unit}")
        return 1
    said = quantities[0]
    amount = said.amount
    if amount.fault == "half":
        problems.append(f"「{said.text}」带半个单位，「{product.name}」不能按半{product.unit}下单，数量请手填")
        return None
    if amount.fault == "vague":
        problems.append(f"「{said.text}」是个大概的数，数量请手填")
        return None
    if amount.fault == "zero":
        problems.append(f"「{said.text}」数量是0，请核对")
        return None
    if amount.whole is None:
        problems.append(f"「{said.text}」的数量没看懂，请手填")
        return None
    quantity = _in_product_units(amount.whole, said, product, problems)
    if quantity is not None and quantity > _LARGE_QUANTITY:
        problems.append(f"「{product.name}」要{quantity}{product.unit}，数量不小，请跟买家核实")
    return quantity


def _in_product_units(number: int, said: _Quantity, product: LineupProduct, problems: list[str]) -> int | None:
    unit = said.unit
    if unit is None or unit == product.unit or unit in _GENERIC_UNITS:
        return number
    said_grams = _WEIGHT_GRAMS.get(unit)
    product_grams = _WEIGHT_GRAMS.get(product.unit)
    if said_grams and product_grams:
        total = number * said_grams
        if total % product_grams:
            problems.append(f"「{said.text}」不是整{product.unit}，数量请手填")
            return None
        problems.append(f"买家说的是「{said.text}」，已换算成{total // product_grams}{product.unit}")
        return total // product_grams
    if said_grams:
        problems.append(f"买家说的是「{said.text}」，「{product.name}」按{product.unit}卖，数量请手填")
        return None
    if product_grams or unit in _BULK_UNITS:
        problems.append(
            f"买家说的是「{said.text}」，「{product.name}」按{product.unit}卖，先按{number}{product.unit}算"
        )
    # Otherwise a container word used loosely ("两包" of a product sold by the 袋) means that many units.
    return number
