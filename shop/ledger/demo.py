"""The demo village's money: a fee policy, the autumn stream's orders two weeks ago (most completed and
credited, two still on their way, one cancelled, one refunded in part and one in full), a payout batch a
week ago, a sale confirmed after it, and two orders taken today. Every figure on the villager's and the
secretary's pages then means something. Everything goes through the real services (the write path, the
lifecycle, the ledger) at the times it would have happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.events import DomainEvents
from shop.ledger.payouts import pay_batch
from shop.ledger.policy import set_policy
from shop.orders.placing import ItemRequest, OrderRequest, PlacedOrder, place_batch
from shop.orders.services import change_status, refund_units
from shop.timeutil import utcnow

# buyer, phone, address, [(merchant code, units)], minutes into the stream, what became of it
STREAM_ORDERS = (
    ("张女士", "13812345678", "辽宁省沈阳市和平区南京北街 12 号 3 单元 501", [("XM-50", 2)], 6, "completed"),
    ("刘先生", "13998761234", "辽宁省大连市中山区人民路 88 号", [("XM-50", 1), ("ZM-250", 1)], 9, "completed"),
    ("王阿姨", "15840123456", "北京市朝阳区望京西园 4 区 2 号楼 1102", [("ZM-250", 2)], 14, "completed"),
    ("陈先生", "18604211111", "辽宁省朝阳市双塔区龙山街 6 号", [("XM-50", 3)], 18, "refunded_part"),
    ("李女士", "13700001234", "天津市河西区友谊路 20 号", [("MEB-250", 2)], 22, "completed"),
    ("赵先生", "13604219876", "辽宁省锦州市古塔区北京路 5 段 3 号", [("XM-50", 1)], 25, "refunded"),
    ("孙女士", "13591234567", "上海市浦东新区张杨路 500 号", [("XM-50", 2), ("MEB-250", 1)], 31, "completed"),
    ("周先生", "18900007777", "河北省石家庄市长安区中山东路 9 号", [("ZM-250", 1)], 37, "cancelled"),
    ("吴女士", "13304215555", "辽宁省鞍山市铁东区胜利路 18 号", [("XM-50", 4)], 44, "completed_late"),
    ("郑先生", "15604212222", "吉林省长春市朝阳区人民大街 300 号", [("MEB-250", 3)], 52, "completed"),
    ("冯女士", "13840403333", "辽宁省沈阳市皇姑区黄河南大街 70 号", [("XM-50", 1), ("ZM-250", 1)], 63, "shipped"),
    ("何先生", "18842428888", "山东省青岛市市南区香港中路 10 号", [("XM-50", 2)], 78, "shipped"),
)
TODAY_ORDERS = (
    ("马女士", "13904216666", "辽宁省朝阳市龙城区新华路 3 号", [("XM-50", 1)]),
    ("高先生", "13504217777", "辽宁省营口市站前区渤海大街 2 号", [("JZ-FU", 1), ("SZ-500", 1)]),
)


async def seed_sales_demo(
    session: AsyncSession,
    events: DomainEvents,
    secretary: Principal,
    village_id: int,
    product_ids: dict[str, int],
    stream_id: int,
    stream_starts_at: datetime,
) -> None:
    now = utcnow()
    await set_policy(
        session,
        secretary,
        village_id,
        platform_bp={"douyin": 500, "kuaishou": 500, "weixin": 200, "direct": 0},
        operator_bp=300,
        collective_bp=1000,
        auto_complete_days=10,
        now=now - timedelta(days=30),
    )
    life = _OrderLife(session, events, secretary)
    late: list[int] = []
    for buyer, phone, address, items, minutes, fate in STREAM_ORDERS:
        placed_at = stream_starts_at + timedelta(minutes=minutes)
        request = OrderRequest(
            actor=secretary,
            items=[ItemRequest(product_ids[code], units) for code, units in items],
            buyer_name=buyer,
            buyer_phone=phone,
            address=address,
            stream_id=stream_id,
            source="douyin",
        )
        order_id = await life.place(request, placed_at)
        if fate == "completed_late":
            late.append(order_id)
        await life.follow(order_id, fate, placed_at, refund_one={product_ids["XM-50"]: 1})
    # A week ago the secretary paid everyone with at least ¥150 by WeChat …
    await pay_batch(
        session,
        secretary,
        village_id,
        min_balance_fen=15_000,
        method="wechat",
        reference="微信转账 第1批",
        now=now - timedelta(days=7),
    )
    # … and a buyer confirmed receipt afterwards: that sale is in the balances now.
    for order_id in late:
        await life.move(order_id, "completed", now - timedelta(days=4))
    for order in TODAY_ORDERS:
        buyer, phone, address, items = order
        request = OrderRequest(
            actor=secretary,
            items=[ItemRequest(product_ids[code], units) for code, units in items],
            buyer_name=buyer,
            buyer_phone=phone,
            address=address,
            source="manual",
        )
        await life.place(request, now - timedelta(hours=3))


class _OrderLife:
    """An order's life as the demo tells it, through the real write path and lifecycle."""

    def __init__(self, session: AsyncSession, events: DomainEvents, secretary: Principal) -> None:
        self.session = session
        self.events = events
        self.secretary = secretary

    async def place(self, request: OrderRequest, at: datetime) -> int:
        conn = await self.session.connection()
        (placed,) = await conn.run_sync(place_batch, [request], at)
        if not isinstance(placed, PlacedOrder):
            raise placed
        return placed.id

    async def move(self, order_id: int, status: str, at: datetime, **details: str) -> None:
        await change_status(self.session, self.secretary, order_id, status, now=at, events=self.events, **details)

    async def follow(self, order_id: int, fate: str, placed_at: datetime, refund_one: dict[int, int]) -> None:
        """Cancelled two hours later; or paid, shipped (the late ones still on their way), completed after
        five days and perhaps refunded in part or in full."""
        if fate == "cancelled":
            await self.move(order_id, "cancelled", placed_at + timedelta(hours=2))
            return
        await self.move(order_id, "paid", placed_at + timedelta(minutes=2))
        # the last two went out late: still on their way, their households' share still pending
        shipped_after = timedelta(days=6) if fate == "shipped" else timedelta(days=1, hours=15)
        await self.move(
            order_id, "shipped", placed_at + shipped_after, courier="中通", tracking_no=f"7531{order_id:08d}"
        )
        if fate in ("shipped", "completed_late"):
            return
        completed_at = placed_at + timedelta(days=5)
        await self.move(order_id, "completed", completed_at)
        if fate == "refunded_part":
            await refund_units(
                self.session,
                self.secretary,
                order_id,
                refund_one,
                now=completed_at + timedelta(days=1),
                note="一袋破损",
                events=self.events,
            )
        elif fate == "refunded":
            await self.move(order_id, "refunded", completed_at + timedelta(days=2))
