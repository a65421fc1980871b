"""Lesson text written in Markdown by secretaries, rendered to HTML that is safe to show to anyone."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        *("p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "s", "del", "code", "pre"),
        *("blockquote", "a", "img", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_ALIGNMENTS = {"left", "center", "right"}
# Column alignment travels as `align`, which nh3 can hold to three values; a `style` attribute cannot be.
_CELL_ALIGN = {"th": {"align": _ALIGNMENTS}, "td": {"align": _ALIGNMENTS}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
MEDIA_PREFIX = "/media/"
_DEEPEST_HEADING = 4


def is_local_media(src: str) -> bool:
    """Only our own uploads may be shown as images: remote ones cost villagers data and leak who reads."""
    # Browsers read a backslash as a slash and %2e%2e as "..": check the path as they will see it.
    path = unquote(urlsplit(src).path).replace("\\", "/")
    return src.startswith(MEDIA_PREFIX) and ".." not in path.split("/")


def _tidy_tokens(state: StateCore) -> None:
    """Turn remote images into their alt text, table alignment into `align`, and h5/h6 into h4."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close") and int(token.tag[1]) > _DEEPEST_HEADING:
            token.tag = f"h{_DEEPEST_HEADING}"
        elif token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            align = style.removeprefix("text-align:")
            if align in _ALIGNMENTS:
                token.attrSet("align", align)
        elif token.type == "inline" and token.children:
            token.children = [
                Token("text", "", 0, content=child.content)
                if child.type == "image" and not is_local_media(str(child.attrGet("src") or ""))
                else child
                for child in token.children
            ]


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.core.ruler.push("cunbo_tidy", _tidy_tokens)
    return parser


_PARSER = _build_parser()


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # The token pass already drops remote images; this holds even if some other path produced one.
    if tag == "img" and attribute == "src" and not is_local_media(value):
        return None
    return value


def render_markdown(text: str) -> Markup:
    """Markdown to sanitised HTML: raw HTML shows as text, links limited to http(s)/mailto/relative."""
    html = _PARSER.render(text)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values=_CELL_ALIGN,
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 - nh3 has just sanitised it against the allow-list


def plain_text_excerpt(text: str, length: int = 80) -> str:
    """The words of a Markdown text on one line, cut to ``length`` characters with "…" when longer.

    Plain text, not HTML: templates escape it like any other string.
    """
    if length < 1:
        raise ValueError("an excerpt needs room for at least one character")
    pieces: list[str] = []
    for token in _PARSER.parse(text):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline", "image"):
                    pieces.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    pieces.append(" ")
        elif token.type in ("fence", "code_block"):
            pieces.append(token.content)
        # Block boundaries would otherwise glue the last word of one paragraph to the next.
        pieces.append(" ")
    words = " ".join("".join(pieces).split())
    if len(words) <= length:
        return words
    return words[: length - 1].rstrip() + "…"
