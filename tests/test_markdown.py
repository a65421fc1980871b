"""Lesson Markdown: hostile input comes out inert, ordinary lessons come out intact."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from shop.markdown import is_local_media, plain_text_excerpt, render_markdown


class _ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """What a browser would build: escaped text inside an attribute value is not an attribute."""
    collector = _ElementCollector()
    collector.feed(html)
    return collector.elements


def test_script_tag_is_shown_as_text_never_as_markup() -> None:
    html = render_markdown("开始\n\n<script>alert('x')</script>")

    assert "<script" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "javascript&colon;alert(1)",
        " javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_dangerous_link_schemes_never_become_links(href: str) -> None:
    html = render_markdown(f"[点我领红包]({href}) 和 <{href}>")

    assert "href" not in html
    assert "<a" not in html


def test_raw_html_is_escaped_not_rendered() -> None:
    html = render_markdown(
        '<img src=x onerror=alert(1)>\n\n<iframe src="https://evil.example"></iframe>\n\n<p style="color:red">x</p>'
    )

    assert [tag for tag, _ in _elements(html)] == ["p", "p", "p"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_only_allow_listed_attributes_survive_quote_breaking_attempts() -> None:
    html = render_markdown(
        '![x" onerror="alert(1)](/media/a.jpg "t\\" style=\\"x")\n\n[a](/x "t\\" onclick=\\"y")\n\n| a |\n|:-:|\n| 1 |'
    )

    elements = _elements(html)
    assert {tag for tag, _ in elements} >= {"img", "a", "th", "td"}
    for _tag, attrs in elements:
        assert set(attrs) <= {"src", "alt", "title", "href", "rel", "align"}
    (img,) = [attrs for tag, attrs in elements if tag == "img"]
    assert img["alt"] == 'x" onerror="alert(1)'


def test_links_get_rel_nofollow_and_keep_http_mailto_and_relative() -> None:
    html = render_markdown("[报名](https://example.org/join) [写信](mailto:cun@example.org) [下一课](/lessons/2)")

    assert '<a href="https://example.org/join" rel="noopener noreferrer nofollow">报名</a>' in html
    assert 'href="mailto:cun@example.org"' in html
    assert 'href="/lessons/2"' in html


def test_other_schemes_lose_their_href() -> None:
    html = render_markdown("[文件](ftp://example.org/a.zip)")

    assert "ftp:" not in html
    assert "文件" in html


def test_remote_images_are_dropped_and_local_media_images_stay() -> None:
    html = render_markdown(
        "![远程图](https://tracker.example/pixel.png) ![协议相对](//tracker.example/p.png)\n\n"
        '![小米](/media/products/millet.jpg "新米")'
    )

    assert "tracker.example" not in html
    assert html.count("<img") == 1
    assert '<img src="/media/products/millet.jpg" alt="小米" title="新米">' in html
    assert "远程图" in html


@pytest.mark.parametrize(
    "src",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "/media/../admin/logout",
        "/media/%2e%2e/admin",
        "/static/x.png",
        "media/a.jpg",
    ],
)
def test_images_outside_media_are_not_rendered(src: str) -> None:
    html = render_markdown(f"![图]({src})")

    assert "<img" not in html
    assert not is_local_media(src)


def test_data_url_link_is_not_rendered() -> None:
    html = render_markdown("[下载](data:text/html,<script>alert(1)</script>)")

    assert not [attrs for tag, attrs in _elements(html) if tag == "a"]
    assert "<script" not in html


def test_table_renders_with_alignment_and_without_style() -> None:
    html = render_markdown("| 品名 | 价格 |\n|:--|--:|\n| 小米 | ¥39.90 |\n| 蜂蜜 | ¥68.00 |")

    assert "<table>" in html
    assert '<th align="left">品名</th>' in html
    assert '<td align="right">¥39.90</td>' in html
    assert "style" not in html


def test_lists_emphasis_strikethrough_code_and_quotes_render() -> None:
    html = render_markdown(
        "## 第一课 开播准备\n\n1. 手机支架\n2. 补光灯\n\n- **真实**\n- *亲切*\n\n"
        "~~虚假宣传~~ `拍下立减`\n\n> 诚信第一\n\n---"
    )

    for fragment in (
        "<h2>第一课 开播准备</h2>",
        "<ol>",
        "<li>手机支架</li>",
        "<ul>",
        "<strong>真实</strong>",
        "<em>亲切</em>",
        "<s>虚假宣传</s>",
        "<code>拍下立减</code>",
        "<blockquote>",
        "<hr>",
    ):
        assert fragment in html


def test_deep_headings_become_h4() -> None:
    html = render_markdown("###### 小节")

    assert html.strip() == "<h4>小节</h4>"


def test_chinese_text_stays_intact() -> None:
    text = "村党支部书记带领农户开展直播带货，推广非遗剪纸与小米、蜂蜜等农产品。"

    html = render_markdown(text)

    assert html.strip() == f"<p>{text}</p>"


def test_render_returns_markup_so_templates_do_not_escape_twice() -> None:
    assert isinstance(render_markdown("你好"), Markup)


def test_excerpt_is_plain_text_on_one_line() -> None:
    text = "# 第一课\n\n欢迎来到**直播带货**培训。\n\n- 准备手机\n- [报名](https://example.org)"

    assert plain_text_excerpt(text) == "第一课 欢迎来到直播带货培训。 准备手机 报名"


def test_excerpt_is_cut_to_length_with_an_ellipsis() -> None:
    excerpt = plain_text_excerpt("农" * 200, length=80)

    assert len(excerpt) == 80
    assert excerpt.endswith("…")


def test_short_excerpt_is_not_marked_as_cut() -> None:
    assert plain_text_excerpt("短文", length=80) == "短文"


def test_excerpt_keeps_raw_html_as_text_for_the_template_to_escape() -> None:
    excerpt = plain_text_excerpt("<script>alert(1)</script>")

    assert excerpt == "<script>alert(1)</script>"
    assert not isinstance(excerpt, Markup)
