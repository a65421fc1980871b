"""Builds 抖店-shaped order exports for tests: the real column set, tab-prefixed ids, `-` blanks."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

DOUYIN_HEADERS = [
    "主订单编号",
    "子订单编号",
    "选购商品",
    "商品规格",
    "商品数量",
    "商品ID",
    "商家编码",
    "商品金额",
    "订单应付金额",
    "运费",
    "订单提交时间",
    "支付完成时间",
    "订单完成时间",
    "订单状态",
    "售后状态",
    "取消原因",
    "收件人",
    "省",
    "市",
    "区",
    "街道",
    "详细地址",
    "快递信息",
    "流量体裁",
    "达人昵称",
    "商家备注",
]

PRODUCTS = [
    ("朝阳小米 5kg", "5kg", "3700000000000000001", "XM-50", "75.00"),
    ("黑木耳 250g", "250g", "3700000000000000002", "MEB-250", "36.00"),
    ("剪纸·福字", "30cm", "3700000000000000003", "JZ-FU", "58.00"),
    ("榛蘑 500g", "500g", "3700000000000000004", "ZM-500", "49.90"),
    ("山核桃 1斤", "1斤", "3700000000000000005", "HT-1", "29.80"),
]
PLACES = [
    ("辽宁省", "沈阳市", "和平区"),
    ("北京市", "北京市", "朝阳区"),
    ("河北省", "石家庄市", "长安区"),
    ("广东省", "广州市", "天河区"),
]
# (订单状态, 售后状态) in rough proportion to a real evening's orders.
STATES = [("已完成", "-")] * 6 + [
    ("已发货", "-"),
    ("待发货", "-"),
    ("已关闭", "-"),
    ("已完成", "退款成功"),
    ("已完成", "售后关闭"),
    ("已发货", "售后中"),
]
_START = datetime(2026, 10, 18, 19, 30, 0)


def make_douyin_export(n_rows: int, *, encoding: str = "utf-8-sig", id_prefix: str = "\t", seed: int = 7) -> bytes:
    """A CSV of ``n_rows`` order lines as 抖店 exports them (one row per 子订单), in ``encoding``."""
    rng = random.Random(seed)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DOUYIN_HEADERS)
    order_no = rng.randrange(10**18, 6 * 10**18)
    line = 0
    for i in range(n_rows):
        # About one order in four has a second line.
        if i == 0 or rng.random() > 0.25:
            order_no += rng.randrange(1, 10**6)
            line = 0
        line += 1
        line_no = order_no * 10 + line
        name, spec, product_id, code, price = rng.choice(PRODUCTS)
        quantity = rng.choice((1, 1, 1, 2, 3))
        status, after_sale = rng.choice(STATES)
        created = _START + timedelta(seconds=i * 3 + rng.randrange(3))
        paid = "-" if status == "已关闭" else (created + timedelta(seconds=20)).strftime("%Y-%m-%d %H:%M:%S")
        done = (created + timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S") if status == "已完成" else "–"
        province, city, district = rng.choice(PLACES)
        tracking = f"{id_prefix}SF{rng.randrange(10**12, 10**13)}" if status in ("已完成", "已发货") else "-"
        writer.writerow(
            [
                f"{id_prefix}{order_no}",
                f"{id_prefix}{line_no}",
                name,
                spec,
                quantity,
                f"{id_prefix}{product_id}",
                code,
                price,
                _times(price, quantity),
                "0.00",
                created.strftime("%Y-%m-%d %H:%M:%S"),
                paid,
                done,
                status,
                after_sale,
                "超时未支付" if status == "已关闭" else "-",
                rng.choice("张王李赵刘陈") + "*",
                province,
                city,
                district,
                "-",
                "**路**号",
                tracking,
                "直播",
                "从家店村",
                "-",
            ]
        )
    return buffer.getvalue().encode(encoding)


def _times(price: str, quantity: int) -> str:
    # Text arithmetic on two-decimal prices keeps the factory honest about never touching floats.
    whole, cents = price.split(".")
    fen = (int(whole) * 100 + int(cents)) * quantity
    return f"{fen // 100}.{fen % 100:02d}"
