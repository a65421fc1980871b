"""Catalogue pages: the secretary's forms, and the public shop window, product and traceability pages."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.forms import form_token
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio


async def _millet_with_lot(client, auth, world: World, *, show_names: bool) -> tuple[int, dict]:
    product = await client.post(
        "/api/v1/products",
        json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990, "story": "坡地上的谷子"},
        headers=auth["secretary_a"],
    )
    product_id = product.json()["id"]
    lot = await client.post(
        f"/api/v1/products/{product_id}/lots",
        json={
            "quantity": 3,
            "show_names": show_names,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": 2},
                {"household_id": world.households["a2"], "quantity": 1},
            ],
        },
        headers=auth["secretary_a"],
    )
    return product_id, lot.json()


async def test_secretary_adds_a_product_in_yuan_and_sees_it_in_fen(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/catalogue/new")
    response = await client.post(
        "/catalogue/new",
        data={"name": "红松籽", "category": "mountain", "unit": "袋", "price": "¥1,234.50", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert "¥1,234.50" in page.text


async def test_bad_price_keeps_the_form_and_names_the_field(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/catalogue/new")
    response = await client.post(
        "/catalogue/new",
        data={
            "name": "红松籽",
            "category": "mountain",
            "unit": "袋",
            "price": "八十八",
            "story": "松塔",
            "_csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "价格" in response.text or "yuan" in response.text
    assert 'value="红松籽"' in response.text
    assert "松塔" in response.text


async def test_receiving_a_lot_from_one_household_needs_no_total(client, world: World, auth) -> None:
    product = await client.post(
        "/api/v1/products",
        json={"name": "黑木耳", "category": "mushroom", "unit": "袋", "price_fen": 3600},
        headers=auth["secretary_a"],
    )
    product_id = product.json()["id"]
    await login_page_client(client, "secretary_a")
    token = await form_token(client, f"/catalogue/{product_id}/lots/new")
    response = await client.post(
        f"/catalogue/{product_id}/lots/new",
        data={"household_1": str(world.households["a1"]), "quantity_1": "50", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    lot_page = await client.get(response.headers["location"])
    assert "50" in lot_page.text
    receipts = await client.get(response.headers["location"] + "/receipts")
    assert receipts.text.count("receipt card") == 1
    assert "户主a1" in receipts.text
    labels = await client.get(response.headers["location"] + "/labels")
    assert labels.text.count("<svg") == 24
    assert len(labels.content) < 200_000


async def test_public_pages_need_no_login_and_stay_light(client, world: World, auth) -> None:
    product_id, lot = await _millet_with_lot(client, auth, world, show_names=False)
    window = await client.get(f"/v/{world.villages['a']}")
    assert window.status_code == 200
    assert "朝阳小米" in window.text
    product = await client.get(f"/products/{product_id}")
    assert product.status_code == 200
    assert "¥39.90" in product.text
    assert "坡地上的谷子" in product.text
    assert len(product.content) < 60_000
    trace = await client.get(f"/t/{lot['public_code']}")
    assert trace.status_code == 200
    assert "从家店村" in trace.text
    assert "2 户" in trace.text or "2 household" in trace.text
    assert "户主a1" not in trace.text


async def test_traceability_shows_given_names_only_when_allowed(client, world: World, auth) -> None:
    _, lot = await _millet_with_lot(client, auth, world, show_names=True)
    trace = await client.get(f"/t/{lot['public_code']}")
    assert "主a1" in trace.text  # 户主a1 → given name 主a1
    assert "户主a1" not in trace.text


async def test_unknown_lot_code_and_product_are_404_pages(client) -> None:
    assert (await client.get("/t/NOSUCHCD")).status_code == 404
    assert (await client.get("/products/999999")).status_code == 404


async def test_other_villages_catalogue_pages_are_404(client, world: World, auth) -> None:
    product_id, lot = await _millet_with_lot(client, auth, world, show_names=False)
    await login_page_client(client, "secretary_b")
    assert (await client.get(f"/catalogue/{product_id}")).status_code == 404
    assert (await client.get(f"/catalogue/lots/{lot['id']}")).status_code == 404
    assert (await client.get(f"/catalogue/lots/{lot['id']}/receipts")).status_code == 404
