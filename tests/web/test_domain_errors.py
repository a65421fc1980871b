"""Services raise domain errors that say what went wrong in the domain's words; the web edge alone decides
the HTTP status each is answered with, the same on the API and on the pages."""

from __future__ import annotations

import pytest
from litestar.datastructures import FormMultiDict
from sqlalchemy.exc import OperationalError

import shop.app  # noqa: F401 - every domain's errors are defined once the app's modules are imported
from shop.accounts.throttle import HashingBusy, TooManyAttempts
from shop.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    OutOfStock,
    PermissionDenied,
    TooLarge,
    Unavailable,
    Unprocessable,
)
from shop.orders.imports.exports import ExcelMangledIds
from shop.tabular import MissingColumns
from shop.training.classes import CheckInLocked
from shop.web.errors import status_of
from shop.web.forms import form_error
from tests.conftest import World

pytestmark = pytest.mark.anyio


def _every_kind(kind: type[DomainError]) -> list[type[DomainError]]:
    kinds = [kind]
    for sub in kind.__subclasses__():
        kinds.extend(_every_kind(sub))
    return kinds


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("name", "Name is missing."), 400),
        (AuthenticationFailed(), 401),
        (PermissionDenied(), 403),
        (NotFound(), 404),
        (Conflict(), 409),
        (OutOfStock("Only %(left)d left.", left=2), 409),
        (TooLarge(), 413),
        (Unprocessable("Unreadable."), 422),
        (MissingColumns(["order_no"], ["主订单编号"]), 422),
        (ExcelMangledIds("6.93E+18", 3, "主订单编号"), 422),
        (TooManyAttempts(90), 429),
        (CheckInLocked(5), 429),
        (Unavailable(), 503),
        (HashingBusy(), 503),
        (DomainError(), 400),
    ],
)
def test_each_domain_error_is_answered_with_its_status(error: DomainError, status: int) -> None:
    assert status_of(error) == status


def test_domain_errors_carry_no_http_status_of_their_own() -> None:
    for kind in _every_kind(DomainError):
        assert not hasattr(kind, "status_code"), kind
        assert 400 <= status_of(kind.__new__(kind)) < 600


def test_a_form_shown_again_after_a_mistake_answers_with_the_errors_status() -> None:
    form = FormMultiDict({"quantity": "9", "_csrf_token": "t"})
    page = form_error("households/new.html", OutOfStock("Only %(left)d left.", field="items", left=2), form=form)
    assert page.status_code == 409
    assert page.context["errors"] == {"items": "Only 2 left."}
    assert page.context["values"] == {"quantity": "9"}


async def _product(client, auth, world: World, units: int) -> int:
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={"quantity": units, "contributions": [{"household_id": world.households["a1"], "quantity": units}]},
        headers=auth["secretary_a"],
    )
    return int(product["id"])


async def test_out_of_stock_is_409_naming_the_item_on_the_api(client, world: World, auth) -> None:
    product_id = await _product(client, auth, world, 2)
    response = await client.post(
        "/api/v1/orders", json={"items": [{"product_id": product_id, "quantity": 3}]}, headers=auth["secretary_a"]
    )
    assert response.status_code == 409
    assert response.json()["field"] == "items"
    assert "朝阳小米" in response.json()["detail"]


async def test_a_writer_that_cannot_reach_the_database_is_503_with_retry_after(
    client, app, world: World, auth, monkeypatch
) -> None:
    product_id = await _product(client, auth, world, 2)

    async def unreachable(requests: object) -> list[object]:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(app.state.order_writer, "_attempt", unreachable)
    response = await client.post(
        "/api/v1/orders", json={"items": [{"product_id": product_id, "quantity": 1}]}, headers=auth["secretary_a"]
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["detail"] == "The system is busy. Please try again in a moment."
