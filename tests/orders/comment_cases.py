"""Tonight's lineup and real-looking livestream comments with the draft each must give."""

from __future__ import annotations

from dataclasses import dataclass

from shop.orders.comments import LineupProduct, MatchedBy

MILLET, FUNGUS, HAZEL_MUSHROOM, GIFT_BOX, PAPER_CUT, HONEY, SHIITAKE = 101, 102, 103, 104, 105, 106, 107

# 蘑菇 is a keyword of both mushrooms on purpose: buyers say it and it is ambiguous.
LINEUP = (
    LineupProduct(MILLET, "朝阳小米 5斤装", "A1", ("小米", "黄小米"), "袋"),
    LineupProduct(FUNGUS, "东北黑木耳 250克", "A2", ("木耳", "黑木耳"), "包"),
    LineupProduct(HAZEL_MUSHROOM, "野生榛蘑", "A3", ("榛蘑", "蘑菇"), "斤"),
    LineupProduct(GIFT_BOX, "小米礼盒", "A4", (), "盒"),
    LineupProduct(PAPER_CUT, "手工剪纸 生肖", "A5", ("剪纸", "窗花"), "件", pinned=True),
    LineupProduct(HONEY, "农家蜂蜜 2斤装", "A6", ("蜂蜜",), "瓶"),
    LineupProduct(SHIITAKE, "干香菇", "A7", ("香菇", "蘑菇"), "斤"),
)

PHONE = "13812345678"


@dataclass(frozen=True)
class Case:
    """One comment and the draft it must give; ``problems`` says whether the secretary must be warned."""

    id: str
    comment: str
    items: tuple[tuple[int, int | None, MatchedBy], ...]
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    problems: bool = False


CASES = (
    Case(
        "name-order-phone-address",
        "张三 小米两袋 13812345678 辽宁省朝阳市双塔区凌河街道12号",
        ((MILLET, 2, "keyword"),),
        name="张三",
        phone=PHONE,
        address="辽宁省朝阳市双塔区凌河街道12号",
    ),
    Case("at-nickname-is-not-a-name", "@小红 要两袋", ((PAPER_CUT, 2, "pinned"),), problems=True),
    Case("console-nickname-prefix", "小红：小米两袋", ((MILLET, 2, "keyword"),)),
    Case("code-plus-quantity", "A1+2", ((MILLET, 2, "short_code"),)),
    Case("lower-case-code-space-quantity", "a1 2", ((MILLET, 2, "short_code"),)),
    Case("code-star-quantity", "A1*2", ((MILLET, 2, "short_code"),)),
    Case("two-codes-x-and-counter", "A1x3 A2 两包", ((MILLET, 3, "short_code"), (FUNGUS, 2, "short_code"))),
    Case("two-keywords-arabic", "小米2袋 木耳1包", ((MILLET, 2, "keyword"), (FUNGUS, 1, "keyword"))),
    Case("keyword-verb-counter", "黑木耳要两包", ((FUNGUS, 2, "keyword"),)),
    Case("weight-product-one-jin", "榛蘑一斤", ((HAZEL_MUSHROOM, 1, "keyword"),)),
    Case("half-jin", "榛蘑半斤", ((HAZEL_MUSHROOM, None, "keyword"),), problems=True),
    Case("pinned-from-counter", "来两袋", ((PAPER_CUT, 2, "pinned"),), problems=True),
    Case("pinned-shang-che", "上车", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case("pinned-kou-1", "扣1", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case("pinned-zhe-ge", "这个", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case("pinned-yao-yi-ge", "要一个", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case("ambiguous-keyword", "蘑菇两斤", (), problems=True),
    Case("phone-only-spaced", "138 1234 5678", (), phone=PHONE, problems=True),
    Case(
        "dashed-phone-county-address",
        "李四 138-1234-5678 辽宁省朝阳市建平县 小米3袋",
        ((MILLET, 3, "keyword"),),
        name="李四",
        phone=PHONE,
        address="辽宁省朝阳市建平县",
    ),
    Case(
        "plus-86-name-after-phone",
        "+86 13812345678 王五 A2×2",
        ((FUNGUS, 2, "short_code"),),
        name="王五",
        phone=PHONE,
    ),
    Case(
        "labelled-fields",
        "收件人：赵六 电话：13912345678 地址：辽宁省沈阳市和平区南京街5号 小米礼盒一盒",
        ((GIFT_BOX, 1, "keyword"),),
        name="赵六",
        phone="13912345678",
        address="辽宁省沈阳市和平区南京街5号",
    ),
    Case(
        "labelled-fields-spaced",
        "收货人 孙丽 电话 186 0000 2222 收货地址 辽宁省锦州市凌海市金城街道 蜂蜜两瓶",
        ((HONEY, 2, "keyword"),),
        name="孙丽",
        phone="18600002222",
        address="辽宁省锦州市凌海市金城街道",
    ),
    Case(
        "labelled-village-group-address",
        "姓名：王小二，电话：13700001111，地址：辽宁省朝阳市喀左县南哨街道北沟村二组 A5 两件",
        ((PAPER_CUT, 2, "short_code"),),
        name="王小二",
        phone="13700001111",
        address="辽宁省朝阳市喀左县南哨街道北沟村二组",
    ),
    Case("longer-keyword-wins", "小米礼盒两盒", ((GIFT_BOX, 2, "keyword"),)),
    Case("quantity-before-product", "两袋小米 一包木耳", ((MILLET, 2, "keyword"), (FUNGUS, 1, "keyword"))),
    Case("ge-each", "小米 木耳 各两包", ((MILLET, 2, "keyword"), (FUNGUS, 2, "keyword"))),
    Case("full-width-code-and-thanks", "Ａ１＋２　谢谢主播", ((MILLET, 2, "short_code"),)),
    Case("emoji-and-thanks", "🌸🌸小米两袋🌸 谢谢", ((MILLET, 2, "keyword"),)),
    Case("platform-stickers", "[比心]A2 3包[玫瑰][玫瑰]", ((FUNGUS, 3, "short_code"),)),
    Case("price-question", "小米多少钱一袋", ((MILLET, 1, "keyword"),), problems=True),
    Case("unknown-code", "A9 两袋", (), problems=True),
    Case("lone-one", "1", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case("er-shi", "小米二十袋", ((MILLET, 20, "keyword"),)),
    Case("lia", "小米俩", ((MILLET, 2, "keyword"),)),
    Case("sa", "蜂蜜仨", ((HONEY, 3, "keyword"),)),
    Case("cancel-is-flagged", "小米不要了", ((MILLET, 1, "keyword"),), problems=True),
    Case("already-paid-on-platform", "已拍", ((PAPER_CUT, 1, "pinned"),), problems=True),
    Case(
        "comma-separated-shipping-block",
        "陈晓明，13812345678，辽宁省朝阳市双塔区燕都新城3-2-501，小米2袋",
        ((MILLET, 2, "keyword"),),
        name="陈晓明",
        phone=PHONE,
        address="辽宁省朝阳市双塔区燕都新城3-2-501",
    ),
    Case("name-after-phone", "小米2袋 13812345678 刘洋", ((MILLET, 2, "keyword"),), name="刘洋", phone=PHONE),
    Case(
        "city-address-without-province",
        "小米两袋 张伟 13812345678 朝阳市双塔区凌河路5号",
        ((MILLET, 2, "keyword"),),
        name="张伟",
        phone=PHONE,
        address="朝阳市双塔区凌河路5号",
    ),
    Case(
        "address-first",
        "辽宁省朝阳市双塔区凌河路5号 小米两袋 张伟 13812345678",
        ((MILLET, 2, "keyword"),),
        name="张伟",
        phone=PHONE,
        address="辽宁省朝阳市双塔区凌河路5号",
    ),
    Case(
        "address-label-order-glued-on",
        "地址辽宁省朝阳市双塔区凌河路12号小米两袋",
        ((MILLET, 2, "keyword"),),
        address="辽宁省朝阳市双塔区凌河路12号",
    ),
    Case(
        "address-spaced-out",
        "13812345678 辽宁省 朝阳市 双塔区 凌河街道 红旗小区 3号楼2单元501",
        (),
        phone=PHONE,
        address="辽宁省 朝阳市 双塔区 凌河街道 红旗小区 3号楼2单元501",
        problems=True,
    ),
    Case(
        "other-province",
        "黑龙江省哈尔滨市南岗区 小米两袋 李丽 13812345678",
        ((MILLET, 2, "keyword"),),
        name="李丽",
        phone=PHONE,
        address="黑龙江省哈尔滨市南岗区",
    ),
    Case(
        "compound-surname",
        "欧阳娜娜 A1 2 13812345678",
        ((MILLET, 2, "short_code"),),
        name="欧阳娜娜",
        phone=PHONE,
    ),
    Case("not-in-lineup-no-pinned-guess", "宁夏枸杞两袋", (), problems=True),
    Case("ten-digit-number", "1381234567 小米两袋", ((MILLET, 2, "keyword"),), problems=True),
    Case("kilogram-converted-to-jin", "榛蘑1公斤", ((HAZEL_MUSHROOM, 2, "keyword"),), problems=True),
    Case("jin-of-a-bagged-product", "小米两斤", ((MILLET, None, "keyword"),), problems=True),
    Case("one-or-two-is-vague", "小米一两袋", ((MILLET, None, "keyword"),), problems=True),
    Case("code-and-name-together", "A1 小米 两袋", ((MILLET, 2, "short_code"),)),
    Case("code-contradicts-name", "A1 木耳", (), problems=True),
    Case("help-me-keep", "帮我留两袋小米", ((MILLET, 2, "keyword"),)),
    Case("full-width-commas", "小米2袋，木耳1包，谢谢！", ((MILLET, 2, "keyword"), (FUNGUS, 1, "keyword"))),
    Case("large-quantity", "小米100袋", ((MILLET, 100, "keyword"),), problems=True),
    Case("same-product-twice", "A1+2 A1+1", ((MILLET, 3, "short_code"),), problems=True),
    Case(
        "pinned-with-phone-and-name",
        "上车上车 13812345678 张三",
        ((PAPER_CUT, 1, "pinned"),),
        name="张三",
        phone=PHONE,
        problems=True,
    ),
    Case("counter-for-paper-cut", "剪纸两张", ((PAPER_CUT, 2, "keyword"),)),
    Case(
        "three-products",
        "小米礼盒一个 黑木耳两包 榛蘑三斤",
        ((GIFT_BOX, 1, "keyword"), (FUNGUS, 2, "keyword"), (HAZEL_MUSHROOM, 3, "keyword")),
    ),
    Case("order-with-question", "小米两袋 包邮吗", ((MILLET, 2, "keyword"),), problems=True),
    Case("platform-link-number", "1号链接来一单", (), problems=True),
    Case("spec-is-not-quantity", "小米5斤装的来两袋", ((MILLET, 2, "keyword"),)),
    Case("me-too", "我也要两袋", ((PAPER_CUT, 2, "pinned"),), problems=True),
    Case(
        "address-building-code-is-not-a-product",
        "辽宁省朝阳市双塔区凌河小区A1栋502 木耳一包",
        ((FUNGUS, 1, "keyword"),),
        address="辽宁省朝阳市双塔区凌河小区A1栋502",
    ),
    Case(
        "send-to-with-name-before-phone",
        "要三袋小米，两包木耳，寄到辽宁省朝阳市双塔区凌河街道 王丽 13812345678",
        ((MILLET, 3, "keyword"), (FUNGUS, 2, "keyword")),
        name="王丽",
        phone=PHONE,
        address="辽宁省朝阳市双塔区凌河街道",
    ),
    Case(
        "labels-after-the-order",
        "小米两袋，地址：朝阳市双塔区燕北路8号，电话13812345678，收件人刘备",
        ((MILLET, 2, "keyword"),),
        name="刘备",
        phone=PHONE,
        address="朝阳市双塔区燕北路8号",
    ),
    Case(
        "province-without-sheng",
        "木耳1包 13812345678 辽宁朝阳双塔区凌河街道",
        ((FUNGUS, 1, "keyword"),),
        phone=PHONE,
        address="辽宁朝阳双塔区凌河街道",
    ),
    Case(
        "no-spaces-at-all",
        "13812345678张三辽宁省朝阳市双塔区小米2袋",
        ((MILLET, 2, "keyword"),),
        name="张三",
        phone=PHONE,
        address="辽宁省朝阳市双塔区",
    ),
    Case(
        "send-to-beijing",
        "小米两袋发到北京市海淀区中关村大街1号",
        ((MILLET, 2, "keyword"),),
        address="北京市海淀区中关村大街1号",
    ),
    Case(
        "county-level-city",
        "A5 1件 A1 2袋 王建国 15912345678 辽宁省朝阳市北票市台吉镇",
        ((PAPER_CUT, 1, "short_code"), (MILLET, 2, "short_code")),
        name="王建国",
        phone="15912345678",
        address="辽宁省朝阳市北票市台吉镇",
    ),
    Case(
        "counters-before-three-products",
        "一袋小米 一袋木耳 两瓶蜂蜜",
        ((MILLET, 1, "keyword"), (FUNGUS, 1, "keyword"), (HONEY, 2, "keyword")),
    ),
    Case(
        "village-beside-phone-is-not-a-name",
        "小米两袋 辽宁省朝阳市建平县 王家营 13812345678",
        ((MILLET, 2, "keyword"),),
        phone=PHONE,
        address="辽宁省朝阳市建平县 王家营",
    ),
    Case("liang-as-weight-is-not-whole-jin", "榛蘑二两", ((HAZEL_MUSHROOM, None, "keyword"),), problems=True),
    Case("grams-converted-to-jin", "榛蘑500克", ((HAZEL_MUSHROOM, 1, "keyword"),), problems=True),
    Case("cases-of-bottles-are-flagged", "订两箱蜂蜜", ((HONEY, 2, "keyword"),), problems=True),
    Case("emoji-operator", "A2✖️2", ((FUNGUS, 2, "short_code"),)),
    Case("already-ordered-with-product", "刚拍了两单小米", ((MILLET, 2, "keyword"),), problems=True),
)

NO_INTENT = (
    "主播好漂亮",
    "666",
    "已关注",
    "来了来了",
    "[比心][比心]",
    "👍👍👍",
    "主播辛苦了",
    "一个人看直播",
    "这个好吃吗",
    "这个主播真好看",
    "怎么下单",
    "多少钱",
    "不要了",
    "5号发货吗",
    "王阿姨好",
    "老家朝阳市的",
    "2",
)
