"""Server-rendered SVG bar charts: escaped, valid XML, small, honest when empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from shop.money import format_fen
from shop.web.charts import Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed


def _ten_minute_buckets() -> list[Bar]:
    return [Bar(f"{19 + (i * 10) // 60}:{(i * 10) % 60:02d}", (i * 7) % 23, highlight=i == 5) for i in range(24)]


def test_hostile_label_and_title_are_escaped_not_markup() -> None:
    svg = bar_chart([Bar("<script>alert(1)</script>土鸡蛋", 3)], title='"><img src=x onerror=alert(1)>')

    assert "<script" not in svg
    assert "<img" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == '"><img src=x onerror=alert(1)>'
    assert all(
        el.tag.removeprefix(SVG) in {"title", "desc", "path", "g", "rect", "text"}
        for el in root.iter()
        if el is not root
    )


def test_empty_data_renders_a_valid_chart_saying_no_data() -> None:
    svg = bar_chart([], title="每月收入", empty_label="暂无数据")

    root = _parse(svg)
    assert root.find(f"{SVG}desc").text == "暂无数据"
    assert "暂无数据" in [el.text for el in root.iter(f"{SVG}text")]
    assert root.find(f".//{SVG}rect") is None


def test_all_zero_values_draw_no_bars_and_do_not_divide_by_zero() -> None:
    svg = bar_chart([Bar(f"2026-{m:02d}", 0) for m in range(1, 13)], title="收入", value_label=format_fen)

    root = _parse(svg)
    assert root.find(f".//{SVG}rect") is None
    assert "2026-01: ¥0.00" in root.find(f"{SVG}desc").text


def test_twenty_four_buckets_stay_under_8_kb_and_parse_as_xml() -> None:
    svg = bar_chart(_ten_minute_buckets(), title="每10分钟订单数")

    assert len(svg.encode()) < 8 * 1024
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f".//{SVG}rect")) == sum(1 for bar in _ten_minute_buckets() if bar.value)


def test_svg_scales_to_its_container_and_is_an_accessible_image() -> None:
    svg = bar_chart(_ten_minute_buckets(), title="每10分钟订单数", width=640, height=220)

    root = _parse(svg)
    assert root.get("viewBox") == "0 0 640 220"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "每10分钟订单数"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_desc_lists_every_value_with_its_label() -> None:
    bars = [Bar("2026-01", 12345), Bar("2026-02", 0), Bar("2026-03", 990)]

    svg = bar_chart(bars, title="收入", value_label=format_fen)

    assert _parse(svg).find(f"{SVG}desc").text == "2026-01: ¥123.45; 2026-02: ¥0.00; 2026-03: ¥9.90"


def test_axis_labels_thin_out_when_there_are_many_bars() -> None:
    bars = _ten_minute_buckets()

    root = _parse(bar_chart(bars, title="订单"))

    axis = [el.text for el in root.iter(f"{SVG}text") if el.text and ":" in el.text]
    assert 2 <= len(axis) < len(bars)
    assert axis[0] == bars[0].label


def test_few_bars_carry_their_values_and_all_their_labels() -> None:
    bars = [Bar("苹果", 12), Bar("小米", 30), Bar("蜂蜜", 7)]

    texts = [el.text for el in _parse(bar_chart(bars, title="销量")).iter(f"{SVG}text")]

    assert {"12", "30", "7", "苹果", "小米", "蜂蜜"} <= set(texts)


def test_long_money_labels_fall_back_to_a_labelled_scale_line() -> None:
    bars = [Bar(f"2026-{m:02d}", m * 123_456) for m in range(1, 13)]

    texts = [el.text for el in _parse(bar_chart(bars, title="收入", value_label=format_fen)).iter(f"{SVG}text")]

    assert format_fen(12 * 123_456) not in texts
    assert "¥20,000.00" in texts


def test_highlighted_bar_has_its_own_fill() -> None:
    bars = [Bar("10月", 5), Bar("11月", 8, highlight=True)]

    rects = _parse(bar_chart(bars, title="收入")).findall(f".//{SVG}rect")

    assert rects[0].get("fill") is None
    assert rects[1].get("fill") not in (None, "")


def test_negative_value_hangs_below_the_zero_line() -> None:
    bars = [Bar("1月", 500), Bar("2月", -200)]

    rects = _parse(bar_chart(bars, title="收入")).findall(f".//{SVG}rect")

    positive, negative = (float(r.get("y")) for r in rects)
    # Coordinates are written to one decimal, so the two edges may differ by that rounding.
    assert negative == pytest.approx(positive + float(rects[0].get("height")), abs=0.15)
    assert float(rects[1].get("height")) > 0


def test_chart_is_markup_with_no_external_resources() -> None:
    svg = bar_chart(_ten_minute_buckets(), title="订单")

    assert isinstance(svg, Markup)
    for forbidden in ("<script", "<style", "href", "url(", "@import", "style="):
        assert forbidden not in svg
