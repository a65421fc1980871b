"""POST /api/v1/orders/import: platform exports become orders in their export status, re-imports never
duplicate and only move orders forward, unmatched products wait whole in the holding area."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from shop.catalogue.models import Lot
from shop.orders.models import Allocation, HeldLine, Order, OrderImport, OrderLine, StatusChange
from tests.conftest import World
from tests.orders.export_factory import DOUYIN_HEADERS
from tests.orders.import_files import BUYER_PHONE, Row, export_csv, stock_product, upload

pytestmark = pytest.mark.anyio


async def _remaining(db, product_id: int) -> list[int]:
    rows = await db.rows(select(Lot.remaining).where(Lot.product_id == product_id).order_by(Lot.received_on))
    return [remaining for (remaining,) in rows]


async def _order(db, external_id: str) -> Order:
    return await db.scalar(select(Order).where(Order.external_id == external_id))


async def test_export_creates_orders_in_their_export_status_with_export_times(client, world: World, auth, db) -> None:
    millet = await stock_product(client, auth, world.households["a1"])
    rows = [
        Row("6930000000000000101", "6930000000000001011", quantity=2),
        Row("6930000000000000102", "6930000000000001021", status="已发货", tracking="SF1234567890"),
        Row("6930000000000000103", "6930000000000001031", status="待发货"),
    ]
    response = await upload(client, auth["secretary_a"], export_csv(rows))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["duplicates"], body["held"], body["rejected"]) == (3, 0, 0, [], [])

    completed = await _order(db, "6930000000000000101")
    assert completed.source == "douyin"
    assert completed.status == "completed"
    assert completed.total_fen == 15000
    # 订单提交时间 2026-10-18 20:05:41 Beijing time is 12:05:41 UTC.
    assert completed.placed_at == datetime(2026, 10, 18, 12, 5, 41, tzinfo=UTC)
    assert completed.paid_at == datetime(2026, 10, 18, 12, 6, 2, tzinfo=UTC)
    assert completed.completed_at == datetime(2026, 10, 25, 1, 12, 0, tzinfo=UTC)
    assert [(li.line_key, li.quantity, li.unit_price_fen) for li in completed.lines] == [
        ("6930000000000001011", 2, 7500)
    ]
    shipped = await _order(db, "6930000000000000102")
    assert (shipped.status, shipped.tracking_no, shipped.shipped_at is not None) == ("shipped", "SF1234567890", True)
    assert (await _order(db, "6930000000000000103")).status == "paid"
    # Oldest lot first: 2 + 1 + 1 units out of the 5-unit lot.
    assert await _remaining(db, millet) == [1, 10]
    history = await db.rows(select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor_kind))
    assert sorted(history) == [(None, "completed", "import"), (None, "paid", "import"), (None, "shipped", "import")]


async def test_same_file_twice_is_all_duplicates_and_changes_nothing(client, world: World, auth, db) -> None:
    millet = await stock_product(client, auth, world.households["a1"])
    data = export_csv([Row("1001", "10011", quantity=2), Row("1001", "10012"), Row("1002", "10021", status="已发货")])
    first = (await upload(client, auth["secretary_a"], data)).json()
    assert first["created"] == 2
    before = await db.rows(select(OrderLine.line_key, OrderLine.quantity).order_by(OrderLine.line_key))
    again = await upload(client, auth["secretary_a"], data)
    assert again.json() == {**first, "created": 0, "duplicates": 2, "import_id": again.json()["import_id"]}
    assert await db.scalar(select(func.count()).select_from(Order)) == 2
    assert await db.rows(select(OrderLine.line_key, OrderLine.quantity).order_by(OrderLine.line_key)) == before
    assert await db.scalar(select(func.count()).select_from(StatusChange)) == 2
    assert await _remaining(db, millet) == [1, 10]


async def test_later_export_moves_orders_forward_and_returns_units_on_close(client, world: World, auth, db) -> None:
    millet = await stock_product(client, auth, world.households["a1"])
    early = [
        Row("2001", "20011", status="待支付", paid="-"),
        Row("2002", "20021", status="待发货", quantity=2),
        Row("2003", "20031", status="已发货"),
    ]
    await upload(client, auth["secretary_a"], export_csv(early))
    assert await _remaining(db, millet) == [1, 10]
    later = [
        Row("2001", "20011", status="已完成"),
        Row("2002", "20021", status="已关闭", quantity=2),
        Row("2003", "20031", status="已完成"),
    ]
    body = (await upload(client, auth["secretary_a"], export_csv(later))).json()
    assert (body["created"], body["updated"], body["duplicates"]) == (0, 3, 0)
    assert (await _order(db, "2001")).status == "completed"
    assert (await _order(db, "2002")).status == "cancelled"
    done = await _order(db, "2003")
    assert done.status == "completed"
    assert done.completed_at == datetime(2026, 10, 25, 1, 12, 0, tzinfo=UTC)
    # The cancelled order's two units went back to the lot they came from.
    assert await _remaining(db, millet) == [3, 10]
    moves = await db.rows(
        select(StatusChange.from_status, StatusChange.to_status)
        .join(Order, Order.id == StatusChange.order_id)
        .where(Order.external_id == "2001", StatusChange.actor_kind == "system")
        .order_by(StatusChange.id)
    )
    assert moves == [("placed", "paid"), ("paid", "shipped"), ("shipped", "completed")]


async def test_an_older_export_never_moves_an_order_backwards(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    await upload(client, auth["secretary_a"], export_csv([Row("3001", "30011", status="已完成")]))
    older = (await upload(client, auth["secretary_a"], export_csv([Row("3001", "30011", status="待发货")]))).json()
    assert (older["updated"], older["duplicates"]) == (0, 1)
    assert (await _order(db, "3001")).status == "completed"


async def test_a_refund_after_completion_refunds_the_order(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    await upload(client, auth["secretary_a"], export_csv([Row("3101", "31011", status="已完成")]))
    body = (
        await upload(
            client, auth["secretary_a"], export_csv([Row("3101", "31011", status="已完成", after_sale="退款成功")])
        )
    ).json()
    assert body["updated"] == 1
    assert (await _order(db, "3101")).status == "refunded"


async def test_excel_mangled_ids_are_422_and_nothing_is_imported(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    text = export_csv([Row("6930000000000000101", "6930000000000001011")]).decode("utf-8-sig")
    mangled = text.replace("\t6930000000000000101", "6.93E+18").replace("\t6930000000000001011", "6.93E+18")
    response = await upload(client, auth["secretary_a"], mangled.encode("utf-8-sig"))
    assert response.status_code == 422
    assert "Excel" in response.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(Order)) == 0
    assert await db.scalar(select(func.count()).select_from(OrderImport)) == 0


async def test_gb18030_and_bom_exports_import_alike(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    gbk = (await upload(client, auth["secretary_a"], export_csv([Row("4001", "40011")], encoding="gb18030"))).json()
    bom = (await upload(client, auth["secretary_a"], export_csv([Row("4002", "40021")], encoding="utf-8-sig"))).json()
    plain = (await upload(client, auth["secretary_a"], export_csv([Row("4003", "40031")], encoding="utf-8"))).json()
    assert gbk["created"] == bom["created"] == plain["created"] == 1
    names = await db.rows(select(Order.buyer_name, Order.address).order_by(Order.external_id))
    assert names == [("张*", "辽宁省沈阳市和平区**路**号")] * 3


async def test_xlsx_export_imports(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(DOUYIN_HEADERS)
    sheet.append(Row("4101", "41011", quantity=3).cells())
    buffer = io.BytesIO()
    workbook.save(buffer)
    body = (await upload(client, auth["secretary_a"], buffer.getvalue(), name="orders.xlsx")).json()
    assert body["created"] == 1
    order = await _order(db, "4101")
    assert [li.quantity for li in order.lines] == [3]


async def test_after_sale_closed_is_not_a_refund(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    rows = [Row("5001", "50011", after_sale="售后关闭"), Row("5002", "50021", after_sale="退款成功")]
    await upload(client, auth["secretary_a"], export_csv(rows))
    assert (await _order(db, "5001")).status == "completed"
    assert (await _order(db, "5002")).status == "refunded"


async def test_a_closed_order_takes_no_stock(client, world: World, auth, db) -> None:
    millet = await stock_product(client, auth, world.households["a1"])
    await upload(client, auth["secretary_a"], export_csv([Row("5101", "51011", status="已关闭", quantity=4, paid="-")]))
    order = await _order(db, "5101")
    assert order.status == "cancelled"
    assert order.cancelled_at is not None
    assert [li.quantity for li in order.lines] == [4]
    assert await db.scalar(select(func.count()).select_from(Allocation)) == 0
    assert await _remaining(db, millet) == [5, 10]


async def test_a_shortfall_is_a_backorder_not_a_refusal(client, world: World, auth, db) -> None:
    millet = await stock_product(client, auth, world.households["a1"], lots=(2, 1))
    await upload(client, auth["secretary_a"], export_csv([Row("5201", "52011", quantity=5)]))
    order = await _order(db, "5201")
    assert order.backorder is True
    assert [(li.quantity, li.short_quantity) for li in order.lines] == [(5, 2)]
    takes = await db.rows(select(Allocation.quantity).order_by(Allocation.id))
    assert [q for (q,) in takes] == [2, 1]
    assert await _remaining(db, millet) == [0, 0]


async def test_unmatched_products_hold_the_whole_order_then_mapping_imports_it(
    client, app, world: World, auth, db
) -> None:
    from shop.accounts.principal import Principal

    millet = await stock_product(client, auth, world.households["a1"])
    paper = await stock_product(client, auth, world.households["a1"], name="福字剪纸", code=None, lots=(3,))
    rows = [
        Row("6001", "60011"),
        Row("6001", "60012", name="剪纸·福字 30cm", code="JZ-FU", price="58.00"),
        Row("6002", "60021", name="剪纸·福字 30cm", code="JZ-FU", price="58.00", quantity=2),
        Row("6003", "60031"),
    ]
    body = (await upload(client, auth["secretary_a"], export_csv(rows))).json()
    assert body["created"] == 1
    assert [entry["row"] for entry in body["held"]] == [3, 4]
    assert "JZ-FU" in body["held"][0]["reason"]
    # The whole of order 6001 waits, its matched millet line too: no stock was taken for it.
    held = await db.rows(select(HeldLine.line_key).where(HeldLine.resolved_at.is_(None)).order_by(HeldLine.line_key))
    assert [key for (key,) in held] == ["60011", "60012", "60021"]
    assert await _remaining(db, millet) == [4, 10]

    secretary = Principal(
        kind="user", id=world.users["secretary_a"], role="secretary", village_id=world.villages["a"], name="s"
    )
    outcome = await app.state.order_imports.map_and_reprocess(secretary, world.villages["a"], "douyin", "JZ-FU", paper)
    assert (outcome.created, outcome.held) == (2, [])
    order = await _order(db, "6001")
    assert sorted((li.line_key, li.product_id) for li in order.lines) == [("60011", millet), ("60012", paper)]
    assert await db.scalar(select(func.count()).select_from(HeldLine).where(HeldLine.resolved_at.is_(None))) == 0
    assert await _remaining(db, paper) == [0]
    # The alias is remembered: the next export with that code imports directly, and the held rows count as duplicates.
    again = (await upload(client, auth["secretary_a"], export_csv([*rows, Row("6004", "60041", code="JZ-FU")]))).json()
    assert (again["created"], again["duplicates"], again["held"]) == (1, 3, [])


async def test_products_match_by_exact_name_when_the_code_is_unknown(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"], name="黑木耳 250g", code="MEB-250")
    body = (
        await upload(client, auth["secretary_a"], export_csv([Row("6101", "61011", name="黑木耳 250g", code="-")]))
    ).json()
    assert body["created"] == 1


async def test_a_row_that_cannot_be_read_rejects_its_whole_order(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    rows = [Row("7001", "70011"), Row("7001", "70012", status="奇怪状态"), Row("7002", "70021")]
    body = (await upload(client, auth["secretary_a"], export_csv(rows))).json()
    assert body["created"] == 1
    assert [entry["row"] for entry in body["rejected"]] == [2, 3]
    assert "奇怪状态" in body["rejected"][1]["reason"]
    assert "3" in body["rejected"][0]["reason"]
    assert await _order(db, "7001") is None


async def test_unrecognised_headers_are_422_until_the_mapping_is_saved(client, app, world: World, auth, db) -> None:
    from shop.accounts.principal import Principal
    from shop.db import unit_of_work
    from shop.orders.imports.services import save_mapping

    await stock_product(client, auth, world.households["a1"])
    headers = ["订单号码", "宝贝编码", "件数", "交易状态", "下单时刻"]
    data = "\n".join([",".join(headers), "'8001,XM-50,2,交易成功,2026-10-18 20:05:41"]).encode("gb18030")
    refused = await upload(client, auth["secretary_a"], data, platform="kuaishou")
    assert refused.status_code == 422
    assert "主订单编号" in refused.json()["detail"]

    secretary = Principal(
        kind="user", id=world.users["secretary_a"], role="secretary", village_id=world.villages["a"], name="s"
    )
    mapping = {
        "order_no": "订单号码",
        "merchant_code": "宝贝编码",
        "quantity": "件数",
        "status": "交易状态",
        "created_at": "下单时刻",
    }
    async with unit_of_work(app.state.alchemy_config) as session:
        await save_mapping(session, secretary, world.villages["a"], "kuaishou", mapping, headers)
    body = (await upload(client, auth["secretary_a"], data, platform="kuaishou")).json()
    assert body["created"] == 1
    order = await _order(db, "8001")
    assert (order.source, order.status, [li.quantity for li in order.lines]) == ("kuaishou", "completed", [2])


async def test_the_import_is_for_staff_of_the_village(client, world: World, auth, db) -> None:
    data = export_csv([Row("9001", "90011")])
    assert (await upload(client, auth["trainee_a"], data)).status_code == 403
    assert (await upload(client, {}, data)).status_code == 401
    other = await upload(client, auth["secretary_a"], data, village_id=str(world.villages["b"]))
    assert other.status_code == 404
    admin = await upload(client, auth["admin"], data)
    assert admin.status_code == 400
    assert "village_id" in admin.json()["detail"]


async def test_bad_requests_name_what_is_wrong(client, world: World, auth) -> None:
    data = export_csv([Row("9101", "91011")])
    unknown = await upload(client, auth["secretary_a"], data, platform="taobao")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "platform"
    picture = await upload(client, auth["secretary_a"], b"\x89PNG\r\n\x1a\n" + b"\0" * 64, name="a.png")
    assert picture.status_code == 422
    assert "PNG" in picture.json()["detail"]
    empty = await upload(client, auth["secretary_a"], b"", name="empty.csv")
    assert empty.status_code in (400, 422)


async def test_buyers_phones_are_not_echoed_in_reasons(client, world: World, auth) -> None:
    text = export_csv([Row("9201", "92011", name="不认识的东西", code="-")]).decode("utf-8-sig")
    headers = text.splitlines()[0] + ",收件人手机"
    row = text.splitlines()[1] + f",{BUYER_PHONE}"
    response = await upload(client, auth["secretary_a"], f"{headers}\r\n{row}\r\n".encode())
    assert len(response.json()["held"]) == 1
    assert BUYER_PHONE not in response.text


async def test_an_export_of_200001_rows_is_refused_naming_the_cap(client, world: World, auth, db) -> None:
    data = (",".join(DOUYIN_HEADERS) + "\n" + "1\n" * 200_001).encode()
    response = await upload(client, auth["secretary_a"], data)
    assert response.status_code == 413, response.text
    assert "200,000" in response.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(OrderImport)) == 0
