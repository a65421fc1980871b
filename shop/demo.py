"""The demo village 从家店村 (东大道乡, 朝阳县): invented people for trying the product locally.

``shop demo`` seeds it once; ``make run`` seeds it on an empty database. The logins are printed in
the README and are for local use only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import UserService
from shop.events import DomainEvents
from shop.villages.models import Village
from shop.villages.services import HouseholdService, VillageService

DEMO_VILLAGE = ("从家店村", "东大道乡", "朝阳县")
DEMO_ADMIN = ("admin", "admin-demo-2026", "县运营中心")
DEMO_SECRETARY = ("cjd-shuji", "shuji-demo-2026", "王书记")
DEMO_TRAINEES = (("cjd-xueyuan1", "xueyuan-demo-2026", "李小红"), ("cjd-xueyuan2", "xueyuan-demo-2026", "赵小军"))

# code, head of household, phone, PIN, other members
DEMO_HOUSEHOLDS = (
    ("CJD-001", "王德顺", "13904210001", "202601", ("李秀芝", "王小东")),
    ("CJD-002", "李桂兰", "13904210002", "202602", ("张福来",)),
    ("CJD-003", "张玉芬", "13904210003", "202603", ("刘长江", "刘佳")),
    ("CJD-004", "刘宝山", "13904210004", "202604", ("陈淑华",)),
    ("CJD-005", "赵春梅", "13904210005", "202605", ("孙立新", "孙悦", "孙阳")),
    ("CJD-006", "孙国强", "13904210006", "202606", ("周玉兰",)),
    ("CJD-007", "周秀英", "13904210007", "202607", ()),
    ("CJD-008", "吴建华", "13904210008", "202608", ("郑桂芳", "吴磊")),
)


# name, category, unit, price (fen), merchant code, heritage, low-stock warning, description, story,
# lots: (days ago, grade, [(household code, units)])
DEMO_PRODUCTS = (
    (
        "朝阳小米 5kg装",
        "grain",
        "袋",
        7500,
        "XM-50",
        False,
        10,
        "今年新米，5公斤真空袋装，颗粒小、色金黄，熬粥出米油。",
        "朝阳县地处辽西丘陵，昼夜温差大，谷子只种一季。从家店村的谷子种在坡地上，不上化肥催，秋后碾成米，"
        "家家户户都拿它熬粥。",
        ((20, "一级 新米", (("CJD-001", 25), ("CJD-002", 15))), (6, "一级 新米", (("CJD-005", 20),))),
    ),
    (
        "野生榛蘑 250g",
        "mushroom",
        "袋",
        6800,
        "ZM-250",
        False,
        5,
        "秋季山上采的榛蘑，晒干后挑选装袋，每袋250克。泡发后炖小鸡最香。",
        "榛蘑长在榛子树丛的根部，一场秋雨后才出。村里老人天不亮上山，一朵一朵采回来，在院子里晾干。",
        ((15, "干品 精选", (("CJD-003", 20), ("CJD-006", 10))),),
    ),
    (
        "黑木耳 250g",
        "mushroom",
        "袋",
        3600,
        "MEB-250",
        False,
        8,
        "椴木黑木耳，肉厚无根，250克装。",
        "木耳挂在村东头的林下，山泉水浇，春秋两季采收。",
        ((12, "春耳", (("CJD-004", 50),)),),
    ),
    (
        "红松籽 500g",
        "mountain",
        "袋",
        8800,
        "SZ-500",
        False,
        5,
        "开口红松籽，手工挑选，500克装。",
        "松塔要等到秋天自然成熟再打，晒开后一颗颗剥出来，再炒制开口。",
        ((10, "", (("CJD-007", 12), ("CJD-008", 8))),),
    ),
    (
        "剪纸·福字",
        "craft",
        "件",
        5800,
        "JZ-FU",
        True,
        3,
        "手工剪纸福字，30厘米见方，红宣纸，附装裱卡纸。",
        "辽西剪纸是市级非物质文化遗产。村里的剪纸手艺一代传一代，福字用一张纸一把剪刀剪成，不打底稿。",
        ((8, "", (("CJD-005", 15),)),),
    ),
)


@dataclass
class DemoResult:
    created: bool
    village_id: int


async def seed_demo(session: AsyncSession, hasher: SecretHasher, events: DomainEvents) -> DemoResult:
    name, township, county = DEMO_VILLAGE
    existing = (
        await session.execute(select(Village).where(Village.name == name, Village.township == township))
    ).scalar_one_or_none()
    if existing is not None:
        return DemoResult(created=False, village_id=existing.id)

    users = UserService(session=session)
    admin = Principal.system()
    if (await session.execute(select(User).where(User.username == DEMO_ADMIN[0]))).scalar_one_or_none() is None:
        await users.create_user(
            admin, hasher, username=DEMO_ADMIN[0], password=DEMO_ADMIN[1], role="admin", display_name=DEMO_ADMIN[2]
        )

    village = await VillageService(session=session).create_village(
        admin, name=name, township=township, county=county, code_prefix="CJD"
    )
    await users.create_user(
        admin,
        hasher,
        username=DEMO_SECRETARY[0],
        password=DEMO_SECRETARY[1],
        role=Role.SECRETARY.value,
        village_id=village.id,
        display_name=DEMO_SECRETARY[2],
        phone="13904210000",
    )
    for username, password, display in DEMO_TRAINEES:
        await users.create_user(
            admin,
            hasher,
            username=username,
            password=password,
            role=Role.TRAINEE.value,
            village_id=village.id,
            display_name=display,
        )
    households = HouseholdService(session=session)
    for code, head, phone, pin, members in DEMO_HOUSEHOLDS:
        await households.register(
            admin, hasher, code=code, head_name=head, phone=phone, pin=pin, members=members, village_id=village.id
        )
    product_ids = await _seed_catalogue(session, admin, village.id)
    host, past = await _seed_streams(session, admin, village.id, product_ids)
    from shop.ledger.demo import seed_sales_demo

    await seed_sales_demo(session, events, host, village.id, product_ids, past.id, past.starts_at)
    from shop.training.demo import seed_training_demo

    await seed_training_demo(session, admin, village.id, hasher)
    from shop.cases.demo import seed_cases_demo

    await seed_cases_demo(session, hasher, host, township, county)
    return DemoResult(created=True, village_id=village.id)


DEMO_GUEST = (
    "孟凤兰",
    "市级非遗剪纸项目传承人",
    "剪纸",
    "从十二岁跟着奶奶学剪纸，剪了四十多年。擅长窗花、福字和十二生肖，一张红纸一把剪刀，不打底稿。",
)


async def _seed_streams(
    session: AsyncSession, admin: Principal, village_id: int, product_ids: dict[str, int]
) -> tuple[Principal, Any]:
    """A past stream (ended) and an upcoming one with the paper-cut inheritor and a three-product lineup;
    the host and the past stream are returned for the sales."""
    from datetime import datetime, time, timedelta

    from shop.streams.models import StreamStatus
    from shop.streams.services import GuestService, GuestSlot, LineupEntry, StreamPlan, StreamService
    from shop.timeutil import SHANGHAI, local_today

    secretary = (await session.execute(select(User).where(User.username == DEMO_SECRETARY[0]))).scalar_one()
    host = Principal(kind="user", id=secretary.id, role="secretary", village_id=village_id, name=secretary.name)
    name, title, craft, bio = DEMO_GUEST
    guest = await GuestService(session=session).create_guest(
        host, name=name, title=title, craft=craft, bio=bio, phone="13904219999"
    )
    streams = StreamService(session=session)
    today = local_today()

    def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today + timedelta(days=day_offset), time(hour, minute), tzinfo=SHANGHAI)

    past = await streams.plan_stream(
        host,
        StreamPlan(
            title="从家店村秋收直播 · 新小米上市",
            platform="douyin",
            starts_at=at(-14, 19, 30),
            ends_at=at(-14, 21, 0),
            lineup=[
                LineupEntry(product_ids["XM-50"], 6990, "今年的新米，颗粒饱满；现场熬一锅粥给大家看米油。", 15),
                LineupEntry(product_ids["MEB-250"], None, "椴木木耳，泡发率高，肉厚。", 10),
                LineupEntry(product_ids["ZM-250"], 6500, "秋雨后采的榛蘑，炖小鸡最香。", 10),
            ],
        ),
    )
    await streams.move_to(past, StreamStatus.LIVE.value, now=past.starts_at)
    await streams.move_to(past, StreamStatus.ENDED.value, now=past.ends_at)
    await streams.plan_stream(
        host,
        StreamPlan(
            title="剪纸传承人进直播间 · 福字和新米",
            platform="douyin",
            starts_at=at(2, 19, 30),
            ends_at=at(2, 21, 0),
            guests=[GuestSlot(guest.id, 20, "现场剪一张福字，讲辽西剪纸的来历")],
            lineup=[
                LineupEntry(product_ids["JZ-FU"], None, "孟老师现场剪的同款福字，每张都不一样。", 15, 10),
                LineupEntry(product_ids["XM-50"], 6990, "直播间专享价，熬粥出米油。", 12),
                LineupEntry(product_ids["SZ-500"], 8500, "开口红松籽，手工挑选。", 10),
            ],
        ),
    )
    return host, past


async def _seed_catalogue(session: AsyncSession, admin: Principal, village_id: int) -> dict[str, int]:
    from datetime import timedelta

    from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
    from shop.timeutil import local_today
    from shop.villages.models import Household

    codes = {h.code: h.id for h in (await session.execute(select(Household))).scalars()}
    products = ProductService(session=session)
    lots = LotService(session)
    ids: dict[str, int] = {}
    for name, category, unit, price, code, heritage, low, description, story, batches in DEMO_PRODUCTS:
        product = await products.create_product(
            admin,
            ProductFields(
                name=name,
                category=category,
                unit=unit,
                price_fen=price,
                merchant_code=code,
                description=description,
                story=story,
                heritage=heritage,
                low_stock_threshold=low,
            ),
            village_id=village_id,
        )
        ids[code] = product.id
        for days_ago, grade, contributions in batches:
            await lots.receive_lot(
                admin,
                product.id,
                quantity=sum(units for _code, units in contributions),
                contributions=[ContributionInput(codes[c], units) for c, units in contributions],
                received_on=local_today() - timedelta(days=days_ago),
                grade=grade,
                show_names=True,
            )
    return ids
