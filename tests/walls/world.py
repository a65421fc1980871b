"""The records the walls test reaches for: in each village one of everything a route can name by id.

Villages a and b share a township (东大道乡); village c lies in another (七道泉子镇), for the township and
county roles. Everything is made through the JSON API as its owners would make it, except the few records
no door creates directly (a certificate, a payout batch, an import's record, inbox entries).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from shop.orders.imports.upload_stash import stash_upload
from shop.timeutil import local_today, utcnow

TOWNSHIPS = {"a": "东大道乡", "b": "东大道乡", "c": "七道泉子镇"}
COUNTY = "朝阳县"
PASSWORD = "correct-horse-42"


@dataclass
class VillageRecords:
    """One village's records, by the name of the path parameter that carries them."""

    key: str
    ids: dict[str, Any] = field(default_factory=dict)
    # Names that only the village's own staff (and the household itself) may ever see in an answer.
    household_markers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # household key → code, name
    buyer_markers: tuple[str, ...] = ()


@dataclass
class WallsWorld:
    villages: dict[str, VillageRecords]
    users: dict[str, int]  # admin, secretary_a, trainee_a, spare trainees …
    households: dict[str, int]  # a1, a2, b1 …
    tokens: dict[str, str]  # principal name → bearer token
    calendar_secrets: dict[str, str]
    notifications: dict[str, int]  # principal name → one inbox entry of theirs
    enrollments: dict[str, int]  # trainee's username → their enrolment
    pins: dict[str, str]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 160, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _mint_tokens(app: Litestar, users: dict[str, int], households: dict[str, int]) -> dict[str, str]:
    from shop.accounts.services import AuthService
    from shop.db import unit_of_work

    tokens: dict[str, str] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        service = AuthService(session, app.state.hasher)
        for kind, named in (("user", users), ("household", households)):
            for name, principal_id in named.items():
                principal = await service.load_principal(kind, principal_id)
                assert principal is not None
                token, _ = await service.issue_token(principal, 3600)
                tokens[name if kind == "user" else f"household_{name}"] = token
    return tokens


class _Api:
    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client
        self.token = ""

    async def __call__(self, method: str, path: str, body: Any = None, *, files: Any = None, status: int = 201) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        if files is not None:
            response = await self.client.request(method, path, files=files, data=body, headers=headers)
        else:
            response = await self.client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


async def build_walls_world(app: Litestar, client: AsyncTestClient[Litestar]) -> WallsWorld:
    from shop.accounts.principal import Principal
    from shop.accounts.services import UserService
    from shop.db import unit_of_work
    from shop.villages.services import HouseholdService, VillageService

    hasher = app.state.hasher
    system = Principal.system()
    users: dict[str, int] = {}
    households: dict[str, int] = {}
    pins: dict[str, str] = {}
    villages: dict[str, VillageRecords] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        user_service = UserService(session=session)
        users["admin"] = (
            await user_service.create_user(system, hasher, username="admin", password=PASSWORD, role="admin")
        ).id
        for key, name, prefix in (("a", "从家店村", "CJD"), ("b", "大平房村", "DPF"), ("c", "七道泉村", "QDQ")):
            village = await VillageService(session=session).create_village(
                system, name=name, township=TOWNSHIPS[key], county=COUNTY, code_prefix=prefix
            )
            records = villages[key] = VillageRecords(key)
            records.ids["village_id"] = village.id
            for username in (f"secretary_{key}", f"trainee_{key}", f"spare_trainee_{key}", f"spare2_trainee_{key}"):
                role = "secretary" if username.startswith("secretary") else "trainee"
                user = await user_service.create_user(
                    system, hasher, username=username, password=PASSWORD, role=role, village_id=village.id
                )
                users[username] = user.id
            for n in (1, 2):
                household_key, pin = f"{key}{n}", f"{n}{n}{n}{n}{n}1"
                household = await HouseholdService(session=session).register(
                    system,
                    hasher,
                    code=f"{prefix}-00{n}",
                    head_name=f"户主{household_key}",
                    phone=f"13900{ord(key):03d}{n:03d}",
                    pin=pin,
                    members=[],
                    village_id=village.id,
                )
                households[household_key] = household.id
                pins[household_key] = pin
                records.household_markers[household_key] = (f"{prefix}-00{n}", f"户主{household_key}")
            records.ids["practice_stream_id"] = await _practice_stream(session, village.id, users[f"trainee_{key}"])
        for username, role, township in (
            ("township_a", "township", TOWNSHIPS["a"]),
            ("township_c", "township", TOWNSHIPS["c"]),
            ("county", "county", ""),
        ):
            officer = await user_service.create_user(
                system, hasher, username=username, password=PASSWORD, role=role, township=township, county=COUNTY
            )
            users[username] = officer.id
    tokens = await _mint_tokens(app, users, households)
    api = _Api(client)
    enrollments: dict[str, int] = {}
    for records in villages.values():
        await _fill_village(api, tokens, records, users, households, enrollments)
        records.ids["upload_token"] = stash_upload(
            app.state.settings.var_dir,
            records.ids["village_id"],
            "douyin",
            "export.csv",
            "订单号,商品\n1,小米\n".encode(),
        )
    notifications, secrets = await _direct_records(app, villages, users, households)
    await _cases(app, villages, households)
    return WallsWorld(villages, users, households, tokens, secrets, notifications, enrollments, pins)


async def _practice_stream(session: Any, village_id: int, trainee_id: int) -> int:
    """A trainee's practice stream, live while the world is built (an order is placed on it), then ended."""
    from shop.streams.models import Stream

    stream = Stream(
        village_id=village_id,
        title="练习直播",
        platform="douyin",
        starts_at=utcnow() - timedelta(hours=1),
        ends_at=utcnow() + timedelta(hours=1),
        host_user_id=trainee_id,
        status="live",
        practice=True,
    )
    session.add(stream)
    await session.flush()
    return int(stream.id)


async def _fill_village(
    api: _Api,
    tokens: dict[str, str],
    records: VillageRecords,
    users: dict[str, int],
    households: dict[str, int],
    enrollments: dict[str, int],
) -> None:
    key, ids = records.key, records.ids
    api.token = tokens[f"secretary_{key}"]
    product = await api(
        "POST",
        "/api/v1/products",
        {"name": f"小米{key}", "category": "grain", "unit": "袋", "price_fen": 3990, "merchant_code": f"XM-{key}"},
    )
    ids["product_id"] = product["id"]
    lot = await api(
        "POST",
        f"/api/v1/products/{product['id']}/lots",
        {
            "quantity": 30,
            "received_on": (local_today() - timedelta(days=3)).isoformat(),
            "contributions": [
                {"household_id": households[f"{key}1"], "quantity": 20},
                {"household_id": households[f"{key}2"], "quantity": 10},
            ],
        },
    )
    ids["lot_id"], ids["lot_code"] = lot["id"], lot["public_code"]
    photo = await api(
        "POST", f"/api/v1/products/{product['id']}/photos", files={"photo": ("p.png", png_bytes(), "image/png")}
    )
    ids["photo_id"] = photo["id"]
    ids["path"] = photo["url"].removeprefix("/media/")
    guest = await api("POST", "/api/v1/guests", {"name": f"嘉宾{key}", "title": "剪纸传承人", "phone": "13700000000"})
    ids["guest_id"] = guest["id"]
    starts = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    stream = await api(
        "POST",
        "/api/v1/streams",
        {
            "title": f"直播{key}",
            "platform": "douyin",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "guest_ids": [guest["id"]],
            "lineup": [{"product_id": product["id"]}],
        },
    )
    ids["stream_id"] = stream["id"] if "id" in stream else stream["items"][0]["id"]
    buyer_name, buyer_phone = f"买家{key}某", f"1388{ord(key):03d}7777"
    records.buyer_markers = (buyer_name, buyer_phone)
    order = await api(
        "POST",
        "/api/v1/orders",
        {
            "items": [{"product_id": product["id"], "quantity": 3}],
            "buyer_name": buyer_name,
            "buyer_phone": buyer_phone,
            "address": f"辽宁省朝阳市{key}街1号",
            "stream_id": ids["stream_id"],
        },
    )
    ids["order_id"] = order["id"]
    await api(
        "POST",
        "/api/v1/orders",
        {
            "items": [{"product_id": product["id"], "quantity": 1}],
            "buyer_name": buyer_name,
            "buyer_phone": buyer_phone,
            "stream_id": ids["practice_stream_id"],
        },
    )
    course = await api(
        "POST",
        "/api/v1/courses",
        {
            "title": f"电商直播入门{key}",
            "lessons": [
                {"title": "用手机开播", "body_md": "面朝窗户。"},
                {"title": "拍好产品", "body_md": "自然光。"},
                {"title": "备用一课", "body_md": "删掉也无妨。"},
            ],
        },
    )
    ids["course_id"] = course["id"]
    ids["lesson_id"] = course["lessons"][0]["id"]
    ids["spare_lesson_id"] = course["lessons"][2]["id"]
    cohort = await api(
        "POST", "/api/v1/cohorts", {"course_id": course["id"], "name": "第1期", "starts_on": local_today().isoformat()}
    )
    ids["cohort_id"] = cohort["id"]
    for username in (f"trainee_{key}", f"spare_trainee_{key}", f"spare2_trainee_{key}"):
        enrollment = await api("POST", f"/api/v1/cohorts/{cohort['id']}/enrollments", {"user_id": users[username]})
        enrollments[username] = enrollment["id"]
    ids["user_id"] = users[f"trainee_{key}"]
    ids["spare_user_id"] = users[f"spare_trainee_{key}"]
    ids["spare2_user_id"] = users[f"spare2_trainee_{key}"]
    opens = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    training_class = await api(
        "POST",
        f"/api/v1/cohorts/{cohort['id']}/classes",
        {
            "topic": "试播",
            "place": "村委会",
            "starts_at": opens.isoformat(),
            "ends_at": (opens + timedelta(hours=2)).isoformat(),
        },
    )
    ids["class_id"] = training_class["id"]
    ids["household_id"] = households[f"{key}1"]
    ids["month"] = local_today().strftime("%Y-%m")
    ids["fmt"] = "csv"
    ids["file_path"] = "app.css"
    ids["checkin_code"] = "123456"


async def _direct_records(
    app: Litestar, villages: dict[str, VillageRecords], users: dict[str, int], households: dict[str, int]
) -> tuple[dict[str, int], dict[str, str]]:
    """Records that no door makes on its own: an issued certificate, a payout batch, an import's record,
    one inbox entry for each person."""
    from sqlalchemy import select

    from shop.accounts.models import User
    from shop.db import unit_of_work
    from shop.ledger.models import PayoutBatch
    from shop.notifications.models import Notification
    from shop.orders.models import OrderImport
    from shop.streams.models import Stream
    from shop.training.models import Certificate

    notifications: dict[str, int] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        for key, records in villages.items():
            ids = records.ids
            certificate = Certificate(
                code=f"WALL{key.upper()}0000001",
                user_id=users[f"trainee_{key}"],
                cohort_id=ids["cohort_id"],
                course_id=ids["course_id"],
                holder_name=f"trainee_{key}",
                course_title=f"电商直播入门{key}",
                cohort_name="第1期",
                issued_on=local_today(),
            )
            batch = PayoutBatch(village_id=ids["village_id"], min_balance_fen=100, method="cash", paid_at=utcnow())
            upload = OrderImport(village_id=ids["village_id"], platform="douyin", filename="export.csv", status="done")
            session.add_all([certificate, batch, upload])
            # The practice stream has ended: its live events answer once and close.
            practice = await session.get(Stream, ids["practice_stream_id"])
            practice.status, practice.ends_at = "ended", utcnow() - timedelta(minutes=1)
            await session.flush()
            ids["certificate_id"], ids["code"] = certificate.id, certificate.code
            ids["batch_id"], ids["import_id"] = batch.id, upload.id
        for kind, named in (("user", users), ("household", households)):
            for name, principal_id in named.items():
                entry = Notification(recipient_kind=kind, recipient_id=principal_id, kind="test", title="Hello")
                session.add(entry)
                await session.flush()
                notifications[name if kind == "user" else f"household_{name}"] = entry.id
        secrets = {
            str(name): str(secret)
            for name, secret in await session.execute(select(User.username, User.calendar_secret))
        }
    return notifications, secrets


async def _cases(app: Litestar, villages: dict[str, VillageRecords], households: dict[str, int]) -> None:
    """In each village, household 1's question about its weigh-in, with a photo of the scale slip."""
    import asyncio

    from sqlalchemy import select

    from shop.accounts.services import AuthService
    from shop.cases.models import CasePhoto
    from shop.cases.services import raise_case
    from shop.catalogue.models import Contribution
    from shop.db import unit_of_work
    from shop.media import store_photo

    for key, records in villages.items():
        photo = await asyncio.to_thread(store_photo, png_bytes(), app.state.settings.case_photo_dir)
        async with unit_of_work(app.state.alchemy_config) as session:
            household = await AuthService(session, app.state.hasher).load_principal("household", households[f"{key}1"])
            assert household is not None
            contribution = (
                await session.execute(
                    select(Contribution.id).where(
                        Contribution.lot_id == records.ids["lot_id"], Contribution.household_id == household.id
                    )
                )
            ).scalar_one()
            case = await raise_case(
                session, household, topic="weight", text="称少了", contribution_id=contribution, photos=[photo]
            )
            records.ids["case_id"] = case.id
            records.ids["case_photo_id"] = (
                await session.execute(select(CasePhoto.id).where(CasePhoto.case_id == case.id))
            ).scalar_one()
