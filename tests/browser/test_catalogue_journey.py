"""Browser: the secretary adds a product with a photo on a phone and receives a lot from two households;
the public product page and the lot's traceability page on a 375 px phone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.browser.helpers import PageWeight, check_phone_page
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def millet_photo(path: Path) -> Path:
    image = Image.new("RGB", (2400, 1800), (236, 196, 84))
    draw = ImageDraw.Draw(image)
    for i in range(0, 2400, 24):
        draw.ellipse((i, (i * 7) % 1800, i + 18, (i * 7) % 1800 + 18), fill=(214, 160, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def test_secretary_catalogues_millet_and_buyers_see_its_pages(live_server: LiveServer, browser, tmp_path: Path):
    shots = tmp_path / "shots"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#f-username", "secretary_a")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit].block")
    page.wait_for_url("**/village")

    page.goto(f"{live_server.url}/catalogue/new")
    page.fill("#f-name", "朝阳小米 5kg装")
    page.select_option("#f-category", "grain")
    page.fill("#f-unit", "袋")
    page.fill("#f-price", "75.00")
    page.fill("#f-merchant_code", "XM-50")
    page.fill("#f-low_stock_threshold", "10")
    page.fill("#f-story", "朝阳县地处辽西丘陵，谷子只种一季，坡地上的谷子碾成米。")
    page.set_input_files("#f-photos", str(millet_photo(tmp_path / "millet.jpg")))
    check_phone_page(page, shots, "01-new-product")
    page.click("button[type=submit].block")
    page.wait_for_url("**/catalogue/*")
    assert "朝阳小米" in page.inner_text("h1")
    assert page.locator(".photo-strip img").count() == 1
    product_url = page.url

    page.click("text=收一批货")
    page.select_option("select[name=household_1]", label="CJD-001 户主a1")
    page.fill("input[name=quantity_1]", "25")
    page.select_option("select[name=household_2]", label="CJD-002 户主a2")
    page.fill("input[name=quantity_2]", "15")
    page.fill("#f-quantity", "40")
    page.check("input[name=show_names]")
    check_phone_page(page, shots, "02-receive-lot")
    page.click("button[type=submit].block")
    page.wait_for_url("**/catalogue/lots/*")
    check_phone_page(page, shots, "03-lot")
    code = page.inner_text("h1").split()[-1]
    page.goto(product_url)
    assert "40" in page.inner_text(".stats")

    buyer = browser.new_context(**PHONE)
    public = buyer.new_page()
    weight = PageWeight(public)
    product_id = product_url.rstrip("/").split("/")[-1]
    public.goto(f"{live_server.url}/products/{product_id}")
    assert "¥75.00" in public.inner_text(".big-price")
    assert public.locator(".gallery img[loading=lazy]").count() == 1
    check_phone_page(public, shots, "04-public-product", weight)
    weight.reset()
    public.goto(f"{live_server.url}/t/{code}")
    assert "从家店村" in public.inner_text("main")
    assert "主a1" in public.inner_text("main")
    check_phone_page(public, shots, "05-traceability", weight)
    public.goto(f"{live_server.url}/v/{live_server.world.villages['a']}")
    check_phone_page(public, shots, "06-shop-window")
    buyer.close()
    context.close()
