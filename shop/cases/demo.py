"""The demo village's questions and disputes, one in each state, raised and answered through the real
services at the times they would have happened: a fresh one nobody answered yet, one waiting for the
villager's scale slip, a weigh-in corrected (the lot's sales split again) and rated satisfied, a payment
that never arrived (reversed and paid again) waiting for a rating, one lifted to the township after the
village let its deadline pass, one the villager rated badly twice (now at the county), and one answered
long ago and never rated (未评价). The township officer and the county supervisor who answer them are demo logins too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import UserService, principal_for_household, principal_for_user
from shop.cases import corrections, services
from shop.catalogue.models import Contribution, Lot, Product
from shop.catalogue.services import ContributionInput
from shop.ledger.models import LedgerEntry, Payout
from shop.timeutil import as_utc, utcnow
from shop.villages.models import Household

DEMO_TOWNSHIP_OFFICER = ("ddd-xiang", "xiang-demo-2026", "东大道乡农经站 李站长")
DEMO_COUNTY_SUPERVISOR = ("chaoyang-xian", "xian-demo-2026", "朝阳县农业农村局 张科长")


async def _household(session: AsyncSession, code: str) -> Principal:
    household = (await session.execute(select(Household).where(Household.code == code))).scalar_one()
    return principal_for_household(household)


async def _contribution(session: AsyncSession, code: str, merchant_code: str) -> int:
    return int(
        (
            await session.execute(
                select(Contribution.id)
                .join(Household, Household.id == Contribution.household_id)
                .join(Lot, Lot.id == Contribution.lot_id)
                .join(Product, Product.id == Lot.product_id)
                .where(Household.code == code, Product.merchant_code == merchant_code)
                .order_by(Lot.id)
                .limit(1)
            )
        ).scalar_one()
    )


async def _sale_entry(session: AsyncSession, household_id: int) -> int | None:
    return (
        await session.execute(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.household_id == household_id, LedgerEntry.account_kind == "household", LedgerEntry.units > 0
            )
            .order_by(LedgerEntry.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def seed_cases_demo(
    session: AsyncSession, hasher: SecretHasher, secretary: Principal, township: str, county: str
) -> None:
    officers = await _demo_officers(session, hasher, township, county)
    now = utcnow()

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    await _weigh_in_corrected_and_rated(session, secretary, ago)
    await _payout_repaid_in_cash(session, secretary, ago)
    await _price_waiting_for_a_screenshot(session, secretary, ago)
    await _lifted_to_the_township(session, officers, ago)
    await _rated_badly_twice(session, secretary, officers, ago)
    await _answered_never_rated(session, secretary, ago)
    await _raised_this_morning(session, ago)


async def _demo_officers(
    session: AsyncSession, hasher: SecretHasher, township: str, county: str
) -> dict[str, Principal]:
    """The township officer and the county supervisor who answer the cases lifted to them (made once)."""
    system = Principal.system()
    users = UserService(session=session)
    officers: dict[str, Principal] = {}
    for (username, password, name), role in ((DEMO_TOWNSHIP_OFFICER, "township"), (DEMO_COUNTY_SUPERVISOR, "county")):
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        if user is None:
            user = await users.create_user(
                system,
                hasher,
                username=username,
                password=password,
                role=role,
                display_name=name,
                township=township if role == "township" else "",
                county=county,
            )
        officers[role] = principal_for_user(user)
    return officers


async def _weigh_in_corrected_and_rated(
    session: AsyncSession, secretary: Principal, ago: Callable[[float], datetime]
) -> None:
    """A weigh-in of mushrooms: 周秀英's neighbour 孙国强 says he brought 12 bags, not 10. The lot's sales
    are split again, 张玉芬 gives back what he gains, and he is satisfied."""
    sun = await _household(session, "CJD-006")
    zhang = await _household(session, "CJD-003")
    case = await services.raise_case(
        session,
        sun,
        topic="weight",
        text="我那天交了12袋榛蘑，收据上写的是10袋，少记了2袋。",
        claimed="12袋",
        contribution_id=await _contribution(session, "CJD-006", "ZM-250"),
        now=ago(9),
    )
    await services.add_reply(session, secretary, case.id, "收到，我翻一下当天的过秤记录。", now=ago(8.8))
    await corrections.correct_weights(
        session,
        secretary,
        case.id,
        [ContributionInput(zhang.id, 20), ContributionInput(sun.id, 12)],
        now=ago(8),
    )
    await services.resolve_case(
        session, secretary, case.id, "corrected", "过秤记录是12袋，已按12袋重新分账，差额已记到您家账上。", now=ago(8)
    )
    await services.rate_case(session, sun, case.id, solved=True, satisfaction="satisfied", now=ago(7.5))


async def _payout_repaid_in_cash(session: AsyncSession, secretary: Principal, ago: Callable[[float], datetime]) -> None:
    """A payment that never arrived: reversed and paid again in cash, waiting for the villager's rating."""
    payout = (await session.execute(select(Payout).order_by(Payout.id).limit(1))).scalar_one_or_none()
    if payout is not None:
        payee = principal_for_household(await session.get_one(Household, payout.household_id))
        case = await services.raise_case(
            session,
            payee,
            topic="payout",
            text="上周说微信转过来了，我一直没收到。",
            claimed="没收到",
            payout_id=payout.id,
            now=ago(3),
        )
        await corrections.reverse_payout(
            session, secretary, case.id, repay_method="cash", reference="村委会当面付现金", now=ago(2.9)
        )
        await services.resolve_case(
            session, secretary, case.id, "corrected", "微信转账退回了，已当面付现金，请您确认。", now=ago(2.9)
        )


async def _price_waiting_for_a_screenshot(
    session: AsyncSession, secretary: Principal, ago: Callable[[float], datetime]
) -> None:
    """A price question the village answered by asking for the buyer's screenshot: the clock is paused."""
    li = await _household(session, "CJD-002")
    entry = await _sale_entry(session, li.id)
    if entry is not None:
        case = await services.raise_case(
            session,
            li,
            topic="price",
            text="直播间说的是69.9元一袋，怎么按75算的？",
            claimed="¥69.90",
            ledger_entry_id=entry,
            now=ago(2),
        )
        await services.add_reply(
            session, secretary, case.id, "请把您看到的直播间价格截图发上来，我们对一下。", needs_info=True, now=ago(1.8)
        )


async def _lifted_to_the_township(
    session: AsyncSession, officers: dict[str, Principal], ago: Callable[[float], datetime]
) -> None:
    """Nobody answered this one in time: the township took it up, and answers (the village still may)."""
    liu = await _household(session, "CJD-004")
    case = await services.raise_case(
        session,
        liu,
        topic="weight",
        text="木耳交了50袋，结算的时候好像只算了一部分。",
        contribution_id=await _contribution(session, "CJD-004", "MEB-250"),
        now=ago(10),
    )
    lifted_at = as_utc(case.respond_by) + timedelta(minutes=1)
    if lifted_at < ago(1):  # always, but for a holiday longer than a week
        await services.escalate_overdue(session, lifted_at)
        await services.add_reply(
            session,
            officers["township"],
            case.id,
            "乡农经站收到了，正在和村里核对木耳的结算单。",
            now=lifted_at + timedelta(hours=3),
        )


async def _rated_badly_twice(
    session: AsyncSession, secretary: Principal, officers: dict[str, Principal], ago: Callable[[float], datetime]
) -> None:
    """Rated badly at the village and at the township: the county holds it now."""
    wu = await _household(session, "CJD-008")
    case = await services.raise_case(
        session,
        wu,
        topic="other",
        text="村集体提留10%，这个比例是谁定的？我们没开过会。",
        now=ago(12),
    )
    await services.resolve_case(session, secretary, case.id, "upheld", "提留比例是村民代表大会定的。", now=ago(11))
    await services.rate_case(session, wu, case.id, solved=False, satisfaction="dissatisfied", now=ago(10.5))
    await services.resolve_case(
        session, officers["township"], case.id, "upheld", "乡里查了会议记录，比例经过村民代表会议。", now=ago(8)
    )
    await services.rate_case(session, wu, case.id, solved=False, satisfaction="dissatisfied", now=ago(7))
    await services.add_reply(
        session, officers["county"], case.id, "县里收到了，下周到村里开个说明会，请您参加。", now=ago(6)
    )


async def _answered_never_rated(session: AsyncSession, secretary: Principal, ago: Callable[[float], datetime]) -> None:
    """Answered long ago and never rated: 未评价 (still answered: it closes only when the villager is satisfied)."""
    wang = await _household(session, "CJD-001")
    case = await services.raise_case(
        session, wang, topic="other", text="下一场直播什么时候？我家还有小米。", now=ago(20)
    )
    await services.resolve_case(
        session, secretary, case.id, "upheld", "下周六晚上有一场，小米可以先送到村委会。", now=ago(19)
    )
    await services.mark_unrated(session, ago(11))


async def _raised_this_morning(session: AsyncSession, ago: Callable[[float], datetime]) -> None:
    """Just raised this morning: waiting for the village's first answer."""
    zhao = await _household(session, "CJD-005")
    await services.raise_case(
        session,
        zhao,
        topic="weight",
        text="剪纸福字交了15张，我记得是16张，麻烦再核对一下。",
        claimed="16张",
        contribution_id=await _contribution(session, "CJD-005", "JZ-FU"),
        now=ago(0.1),
    )
