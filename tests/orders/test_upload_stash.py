"""Uploads waiting for their columns: a per-village quota (count and bytes), and removal a day after."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shop.errors import NotFound
from shop.orders.imports import upload_stash
from shop.orders.imports.upload_stash import (
    KEEP_SECONDS,
    QUOTA_COUNT,
    UploadQuotaExceeded,
    load_upload,
    remove_expired,
    stash_upload,
    village_usage,
)
from shop.orders.scheduled import JOBS
from shop.scheduling import JobContext
from shop.web.errors import status_of
from tests.conftest import World
from tests.orders.test_import_pages import _post_upload
from tests.web.test_pages import login_page_client

UNKNOWN_HEADERS = "订单号码,宝贝编码,件数,交易状态\n'8001,XM-50,2,交易成功\n".encode()


def _age(var_dir: Path, token: str, seconds: float) -> None:
    for suffix in (".data", ".json"):
        path = var_dir / "order-uploads" / f"{token}{suffix}"
        then = time.time() - seconds
        os.utime(path, (then, then))


def test_a_village_holds_at_most_the_quota_of_uploads_and_others_are_not_counted(tmp_path: Path) -> None:
    tokens = [stash_upload(tmp_path, 1, "douyin", f"{n}.csv", b"x") for n in range(QUOTA_COUNT)]
    with pytest.raises(UploadQuotaExceeded) as refused:
        stash_upload(tmp_path, 1, "douyin", "one-more.csv", b"x")
    assert status_of(refused.value) == 409
    assert f"at most {QUOTA_COUNT} uploads" in refused.value.render()
    stash_upload(tmp_path, 2, "douyin", "other-village.csv", b"x")  # another village's quota is its own
    assert village_usage(tmp_path, 1) == (QUOTA_COUNT, QUOTA_COUNT)
    upload_stash.drop_upload(tmp_path, tokens[0])  # cancelling one makes room
    stash_upload(tmp_path, 1, "douyin", "now-it-fits.csv", b"x")


def test_the_quota_counts_bytes_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_stash, "QUOTA_BYTES", 100)
    stash_upload(tmp_path, 1, "douyin", "a.csv", b"x" * 60)
    with pytest.raises(UploadQuotaExceeded, match="MB"):
        stash_upload(tmp_path, 1, "douyin", "b.csv", b"x" * 41)
    stash_upload(tmp_path, 1, "douyin", "c.csv", b"x" * 40)


def test_uploads_older_than_a_day_are_removed_and_no_longer_load(tmp_path: Path) -> None:
    old = stash_upload(tmp_path, 1, "douyin", "old.csv", b"old")
    fresh = stash_upload(tmp_path, 1, "douyin", "fresh.csv", b"fresh")
    _age(tmp_path, old, KEEP_SECONDS + 60)
    with pytest.raises(NotFound):  # past its day, even before the job has run
        load_upload(tmp_path, old, 1)
    assert remove_expired(tmp_path) == 2  # its data and its description
    assert not list((tmp_path / "order-uploads").glob(f"{old}.*"))
    assert load_upload(tmp_path, fresh, 1).data == b"fresh"


def test_expired_uploads_free_the_quota(tmp_path: Path) -> None:
    tokens = [stash_upload(tmp_path, 1, "douyin", f"{n}.csv", b"x") for n in range(QUOTA_COUNT)]
    _age(tmp_path, tokens[0], KEEP_SECONDS + 1)
    stash_upload(tmp_path, 1, "douyin", "fits.csv", b"x")


@pytest.mark.anyio
async def test_the_scheduled_job_removes_expired_uploads(app, settings) -> None:
    old = stash_upload(settings.var_dir, 1, "douyin", "old.csv", b"old")
    _age(settings.var_dir, old, KEEP_SECONDS + 60)
    (job,) = [job for job in JOBS if job.id == "orders.expire_held_uploads"]
    ctx = JobContext(
        alchemy=app.state.alchemy_config, settings=settings, now=datetime.now(UTC), events=app.state.domains.events
    )
    assert await job.func(ctx) == 2
    assert village_usage(settings.var_dir, 1) == (0, 0)


@pytest.mark.anyio
async def test_the_upload_page_refuses_one_more_upload_over_the_quota_with_a_message(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    for _ in range(QUOTA_COUNT):
        response = await _post_upload(client, UNKNOWN_HEADERS, platform="kuaishou")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/orders/import/columns?upload=")
    refused = await _post_upload(client, UNKNOWN_HEADERS, platform="kuaishou")
    assert refused.status_code == 409
    assert f"最多 {QUOTA_COUNT} 个" in refused.text
