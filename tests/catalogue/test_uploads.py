"""Photo uploads through the API: only real photos, at most 5 MB, stored without their GPS position."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from tests.conftest import World

pytestmark = pytest.mark.anyio


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 160, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (41.0, 34.0, 12.0)
    gps[3] = "E"
    gps[4] = (120.0, 27.0, 5.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def _product_id(client, auth) -> int:
    response = await client.post(
        "/api/v1/products",
        json={"name": "红松籽", "category": "mountain", "unit": "袋", "price_fen": 8800},
        headers=auth["secretary_a"],
    )
    return response.json()["id"]


async def test_photo_with_gps_is_stored_without_it(client, world: World, auth, settings) -> None:
    product_id = await _product_id(client, auth)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    response = await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"photo": ("IMG_0001.jpg", original, "image/jpeg")},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["width"] == 1280
    served = await client.get(photo["url"])
    assert served.status_code == 200
    assert "immutable" in served.headers["cache-control"]
    stored = Image.open(io.BytesIO(served.content))
    assert not stored.getexif()
    assert b"PhoneMaker" not in served.content
    thumb = Image.open(io.BytesIO((await client.get(photo["thumb_url"])).content))
    assert max(thumb.size) == 320
    assert not thumb.getexif()


async def test_renamed_text_file_is_refused_clearly(client, world: World, auth) -> None:
    product_id = await _product_id(client, auth)
    response = await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"photo": ("millet.jpg", b"this is a shopping list, not a photo\n" * 20, "image/jpeg")},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 400
    assert response.json()["field"] == "photo"
    assert "JPEG, PNG or WebP" in response.json()["detail"]


async def test_six_megabyte_photo_is_refused_as_too_large(client, world: World, auth) -> None:
    product_id = await _product_id(client, auth)
    big = b"\xff\xd8\xff\xe0" + b"0" * (6 * 1024 * 1024)
    response = await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"photo": ("big.jpg", big, "image/jpeg")},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 413
    assert "5 MB" in response.json()["detail"]
    product = await client.get(f"/api/v1/products/{product_id}", headers=auth["secretary_a"])
    assert product.json()["photos"] == []


async def test_media_paths_cannot_escape_the_media_folder(client) -> None:
    for path in ("/media/../secret_key", "/media/..%2Fsecret_key", "/media/%2e%2e/%2e%2e/etc/passwd"):
        response = await client.get(path)
        assert response.status_code in (400, 404)


async def test_a_phone_photo_of_several_megabytes_is_taken(client, world: World, auth) -> None:
    """The API's 256 KB cap on JSON bodies does not apply to the photo upload, which takes up to 5 MB."""
    product_id = await _product_id(client, auth)
    noisy = Image.frombytes("RGB", (1400, 1400), random.Random(7).randbytes(1400 * 1400 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=95)
    assert 2 * 1024 * 1024 < len(buffer.getvalue()) < 5 * 1024 * 1024
    response = await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"photo": ("IMG_0002.jpg", buffer.getvalue(), "image/jpeg")},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 201, response.text
