"""The demo village 从家店村 (东大道乡, 朝阳县): invented people for trying the product locally.

``shop demo`` seeds it once; ``make run`` seeds it on an empty database. The logins are printed in
the README and are for local use only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import UserService
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


@dataclass
class DemoResult:
    created: bool
    village_id: int


async def seed_demo(session: AsyncSession, hasher: SecretHasher) -> DemoResult:
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
    return DemoResult(created=True, village_id=village.id)
