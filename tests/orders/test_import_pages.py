"""The import pages: upload starts a background import and shows its progress and result; unknown headers
lead to the column page once (the choice is saved); held orders are mapped to a product and imported."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from shop.orders.models import ColumnMappingRecord, Order, ProductAlias
from tests.conftest import World
from tests.forms import csrf_token
from tests.orders.import_files import BUYER_PHONE, Row, export_csv, stock_product
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio


async def _csrf(client, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert 'name="_csrf_token"' in page.text
    return csrf_token(page.text)


async def _post_upload(client, data: bytes, platform: str = "douyin", name: str = "orders.csv"):
    token = await _csrf(client, "/orders/import")
    return await client.post(
        "/orders/import",
        data={"platform": platform, "_csrf_token": token},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


async def _finished(client, location: str) -> str:
    for _ in range(200):
        page = await client.get(location)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_upload_runs_in_the_background_and_shows_the_result(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    await login_page_client(client, "secretary_a")
    rows = [
        Row("1001", "10011"),
        Row("1002", "10021", name="不认识的东西", code="ZZ-1"),
        Row("1003", "10031", status="?"),
    ]
    response = await _post_upload(client, export_csv(rows))
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/orders/imports/\d+", location)
    text = await _finished(client, location)
    assert "导入完成" in text or "Import finished" in text
    assert "ZZ-1" in text
    assert "?" in text
    assert await db.scalar(select(func.count()).select_from(Order)) == 1
    upload_page = await client.get("/orders/import")
    assert "orders.csv" in upload_page.text
    assert "/orders/held" in upload_page.text


async def test_a_running_import_page_refreshes_itself(client, app, world: World, auth) -> None:
    from shop.accounts.principal import Principal
    from shop.orders.imports.services import ImportPlan, open_import

    await login_page_client(client, "secretary_a")
    secretary = Principal(
        kind="user", id=world.users["secretary_a"], role="secretary", village_id=world.villages["a"], name="s"
    )
    plan = ImportPlan(world.villages["a"], "douyin", "big.csv", 100_000, [], [])
    import_id = await open_import(app.state.alchemy_config, secretary, plan)
    page = await client.get(f"/orders/imports/{import_id}")
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert '<progress class="progress"' in page.text
    other = await client.get(f"/orders/imports/{import_id + 1000}")
    assert other.status_code == 404


async def test_excel_mangled_file_is_refused_on_the_page_with_the_reason(client, world: World, auth, db) -> None:
    await login_page_client(client, "secretary_a")
    text = export_csv([Row("6930000000000000101", "6930000000000001011")]).decode("utf-8-sig")
    mangled = text.replace("\t6930000000000000101", "6.93E+18").encode("utf-8-sig")
    response = await _post_upload(client, mangled)
    assert response.status_code == 422
    assert "Excel" in response.text
    assert await db.scalar(select(func.count()).select_from(Order)) == 0


async def test_unknown_headers_are_mapped_once_and_the_mapping_is_reused(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    await login_page_client(client, "secretary_a")
    data = "订单号码,宝贝编码,件数,交易状态\n'8001,XM-50,2,交易成功\n".encode("gb18030")
    response = await _post_upload(client, data, platform="kuaishou")
    assert response.status_code == 303
    columns = response.headers["location"]
    assert columns.startswith("/orders/import/columns?upload=")
    page = await client.get(columns)
    assert "订单号码" in page.text
    token = csrf_token(page.text)
    upload = columns.split("upload=")[1]
    missing = await client.post(
        "/orders/import/columns",
        data={"_csrf_token": token, "upload": upload, "order_no": "订单号码"},
        follow_redirects=False,
    )
    assert missing.status_code == 422
    assert "商品数量" in missing.text
    saved = await client.post(
        "/orders/import/columns",
        data={
            "_csrf_token": token,
            "upload": upload,
            "order_no": "订单号码",
            "merchant_code": "宝贝编码",
            "quantity": "件数",
            "status": "交易状态",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    await _finished(client, saved.headers["location"])
    assert await db.scalar(select(func.count()).select_from(ColumnMappingRecord)) == 1
    assert await db.scalar(select(Order.status).where(Order.external_id == "8001")) == "completed"
    # The next export of that platform imports directly.
    again = await _post_upload(client, "订单号码,宝贝编码,件数,交易状态\n'8002,XM-50,1,交易成功\n".encode(), "kuaishou")
    assert again.headers["location"].startswith("/orders/imports/")
    await _finished(client, again.headers["location"])
    assert await db.scalar(select(func.count()).select_from(Order)) == 2


async def test_held_page_maps_the_product_and_imports_what_it_unlocks(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    paper = await stock_product(client, auth, world.households["a1"], name="福字剪纸", code="FU-1", lots=(9,))
    rows = [Row("2001", "20011", name="剪纸·福字 30cm", code="JZ-FU"), Row("2002", "20021", name="剪纸·福字", code="-")]
    text = export_csv(rows).decode("utf-8-sig")
    header, *body = text.splitlines()
    data = "\r\n".join([header + ",收件人手机", *(line + f",{BUYER_PHONE}" for line in body)]).encode()
    await login_page_client(client, "secretary_a")
    await _finished(client, (await _post_upload(client, data)).headers["location"])
    held = await client.get("/orders/held")
    assert "JZ-FU" in held.text
    assert "剪纸·福字" in held.text
    assert BUYER_PHONE not in held.text
    assert "福字剪纸 (FU-1)" in held.text
    token = csrf_token(held.text)
    mapped = await client.post(
        "/orders/held/map",
        data={
            "_csrf_token": token,
            "village_id": str(world.villages["a"]),
            "platform": "douyin",
            "product_name": "剪纸·福字 30cm",
            "merchant_code": "JZ-FU",
            "product_id": str(paper),
        },
        follow_redirects=False,
    )
    assert mapped.status_code == 303
    assert await db.scalar(select(ProductAlias.alias)) == "JZ-FU"
    assert await db.scalar(select(Order.status).where(Order.external_id == "2001")) == "completed"
    assert await db.scalar(select(Order.id).where(Order.external_id == "2002")) is None
    after = await client.get("/orders/held")
    assert "JZ-FU" not in after.text
    assert "剪纸·福字" in after.text


async def test_another_villages_secretary_cannot_map_or_see_held_lines(client, world: World, auth, db) -> None:
    await stock_product(client, auth, world.households["a1"])
    await login_page_client(client, "secretary_a")
    await _finished(
        client, (await _post_upload(client, export_csv([Row("3001", "30011", code="NOPE")]))).headers["location"]
    )
    other = client
    other.cookies.clear()
    await login_page_client(other, "secretary_b")
    page = await other.get("/orders/held")
    assert "NOPE" not in page.text
    token = csrf_token(page.text)
    refused = await other.post(
        "/orders/held/map",
        data={
            "_csrf_token": token,
            "village_id": str(world.villages["a"]),
            "platform": "douyin",
            "merchant_code": "NOPE",
            "product_name": "x",
            "product_id": "1",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert await db.scalar(select(func.count()).select_from(ProductAlias)) == 0
