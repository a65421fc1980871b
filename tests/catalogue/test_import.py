"""The product spreadsheet import end to end: every row or none, updates by merchant code, encodings, XLSX."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import World

pytestmark = pytest.mark.anyio

HEADER = "名称,分类,单位,价格(元),商家编码,描述,产地故事,非遗,低库存提醒\n"


async def _upload(client, auth, name: str, data: bytes, who: str = "secretary_a"):
    return await client.post(
        "/api/v1/products/import", files={"file": (name, data, "application/octet-stream")}, headers=auth[who]
    )


async def test_valid_file_creates_every_row(client, world: World, auth) -> None:
    body = HEADER + "朝阳小米,粮食,袋,75,XM-50,,,否,10\n剪纸·福字,手工艺,件,¥58.00,JZ-FU,,,是,\n"
    response = await _upload(client, auth, "products.csv", body.encode("utf-8-sig"))
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": True, "created": ["朝阳小米", "剪纸·福字"], "updated": [], "rejected": []}
    listing = (await client.get("/api/v1/products", headers=auth["secretary_a"])).json()
    prices = {p["name"]: (p["price_fen"], p["heritage"]) for p in listing["items"]}
    assert prices == {"朝阳小米": (7500, False), "剪纸·福字": (5800, True)}


async def test_one_bad_row_imports_nothing_and_names_every_fault(client, world: World, auth) -> None:
    body = HEADER + "朝阳小米,粮食,袋,75,XM-50,,,,\n,蔬菜,袋,-3,,,,,\n黑木耳,菌菇,袋,abc,MEB-250,,,,\n"
    response = await _upload(client, auth, "products.csv", body.encode("utf-8"))
    result = response.json()
    assert result["imported"] is False
    assert [r["row"] for r in result["rejected"]] == [3, 4]
    assert "名称" in result["rejected"][0]["reason"]
    assert "分类" in result["rejected"][0]["reason"]
    assert "价格" in result["rejected"][1]["reason"]
    assert (await client.get("/api/v1/products", headers=auth["secretary_a"])).json()["total"] == 0


async def test_second_upload_updates_by_merchant_code_instead_of_duplicating(client, world: World, auth) -> None:
    await _upload(client, auth, "p.csv", (HEADER + "朝阳小米,粮食,袋,75,XM-50,,,,\n").encode())
    again = await _upload(client, auth, "p.csv", (HEADER + "朝阳小米 5kg装,粮食,袋,79.9,XM-50,,,,\n").encode())
    assert again.json()["updated"] == ["朝阳小米 5kg装"]
    items = (await client.get("/api/v1/products", headers=auth["secretary_a"])).json()["items"]
    assert [(p["name"], p["price_fen"]) for p in items] == [("朝阳小米 5kg装", 7990)]


async def test_gb18030_csv_and_xlsx_both_import(client, world: World, auth) -> None:
    gbk = (HEADER + "红松籽,山货,袋,88,SZ-500,,,,\n").encode("gb18030")
    assert (await _upload(client, auth, "song.csv", gbk)).json()["created"] == ["红松籽"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["名称", "分类", "单位", "价格(元)", "商家编码"])
    sheet.append(["野生榛蘑", "菌菇", "袋", 68, "ZM-250"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert (await _upload(client, auth, "mo.xlsx", buffer.getvalue())).json()["created"] == ["野生榛蘑"]


async def test_template_downloads_round_trip(client, world: World, auth) -> None:
    from tests.web.test_pages import login_page_client

    await login_page_client(client, "secretary_a")
    xlsx = await client.get("/catalogue/template/xlsx")
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["content-disposition"]
    result = await _upload(client, auth, "template.xlsx", xlsx.content)
    assert result.json()["imported"] is True
    assert len(result.json()["created"]) == 2


async def test_not_a_spreadsheet_is_refused_with_the_reason(client, world: World, auth) -> None:
    response = await _upload(client, auth, "photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert response.status_code in (400, 422)
    assert "CSV" in response.json()["detail"] or "xlsx" in response.json()["detail"]


async def test_oversized_upload_is_413(client, world: World, auth) -> None:
    big = (HEADER + "x,粮食,袋,1,,,,,\n" * 10).encode() + b" " * (21 * 1024 * 1024)
    response = await _upload(client, auth, "big.csv", big)
    assert response.status_code == 413


async def test_a_sheet_of_200001_rows_is_refused_naming_the_cap(client, world: World, auth) -> None:
    response = await _upload(client, auth, "products.csv", (HEADER + "米,粮食,袋,1,,,,,\n" * 200_001).encode())
    assert response.status_code == 413, response.text
    assert "200,000" in response.json()["detail"]
    assert (await client.get("/api/v1/products", headers=auth["secretary_a"])).json()["total"] == 0
