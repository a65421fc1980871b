"""Contact details in a comment: the buyer's phone, the labelled fields, the address and the shipping name.

Each step blanks out what it read on the line, so the order part is read from what is left.
"""

from __future__ import annotations

from shop.errors import N_, Fault
from shop.orders.comments.lexicon import (
    ADDRESS_LABEL,
    ADDRESS_MARKERS,
    ALREADY_ORDERED,
    BARE_NUMBER,
    CANCEL,
    CODE_TOKEN,
    COMPOUND_SURNAME,
    COUNTED,
    DIGIT_RUN,
    FILLERS,
    GAP_THEN_PHONE,
    HALF,
    KOU_ONE,
    MISTYPED_PHONE,
    NAME_LABEL,
    NAME_VALUE,
    NICKNAME_AT,
    NICKNAME_PREFIX,
    NON_DIGIT,
    NOT_A_PLACE,
    NOT_IN_GIVEN_NAMES,
    NOT_NAMES,
    ONLY_GAP,
    PHONE,
    PHONE_LABEL,
    PHONE_MARK,
    PHONE_THEN_GAP,
    PINNED_WORDS,
    PLACE_START,
    PLACE_SUFFIXES,
    POSITION,
    PROVINCE_START,
    QUESTION,
    SURNAMES,
    TIMES,
    VERB_NUMBER,
    CommentLine,
    LineupWords,
    code_letters,
)


def drop_nicknames(line: CommentLine, catalogue: LineupWords) -> None:
    """Platform nicknames ("@小红", "小红：…") name an account, not the person a parcel goes to."""
    for match in NICKNAME_AT.finditer(line.text):
        line.blank(match.start(), match.end())
    prefix = NICKNAME_PREFIX.match(line.text)
    if prefix is None:
        return
    word = prefix[1]
    says_something = any(
        pattern.search(word)
        for pattern in (NAME_LABEL, PHONE_LABEL, ADDRESS_LABEL, PHONE, COUNTED, TIMES, PINNED_WORDS, KOU_ONE)
    )
    names_a_product = catalogue.mentions_product(word) or any(
        m[1] in catalogue.codes for m in CODE_TOKEN.finditer(word)
    )
    if not says_something and not names_a_product and not word.isdigit():
        line.blank(prefix.start(), prefix.end())


def take_phone(line: CommentLine, problems: list[Fault]) -> tuple[str | None, bool]:
    """The first mobile number, normalised; and whether a number that was meant to be one was seen at all."""
    phones: list[str] = []
    for match in PHONE.finditer(line.text):
        phones.append(NON_DIGIT.sub("", match[1]))
        line.blank(match.start(), match.end(), PHONE_MARK)
    if len(set(phones)) > 1:
        problems.append(Fault(N_("More than one phone number: the first one was taken, please check.")))
    broken = list(DIGIT_RUN.finditer(line.text))
    for match in broken:
        line.blank(match.start(), match.end(), PHONE_MARK)
    if broken:
        # The digits themselves stay out of the message: problems may end up in logs, phone numbers must not.
        problems.append(
            Fault(N_("A run of digits is not an 11-digit mobile number (wrong length or a typo), please check."))
        )
    mistyped = any(MISTYPED_PHONE.fullmatch(NON_DIGIT.sub("", match.group())) for match in broken)
    return (phones[0] if phones else None), bool(phones) or mistyped


def take_labels(line: CommentLine, problems: list[Fault]) -> tuple[str | None, bool, int | None]:
    """Reads "收件人：", "电话：", "地址：" labels: the name after its label, where the address begins."""
    labelled = False
    for match in PHONE_LABEL.finditer(line.text):
        line.blank(match.start(), match.end())
    address_start = None
    address_label = ADDRESS_LABEL.search(line.text)
    if address_label is not None:
        labelled = True
        line.blank(address_label.start(), address_label.end())
        address_start = address_label.end()
    name = None
    for match in NAME_LABEL.finditer(line.text):
        labelled = True
        line.blank(match.start(), match.end())
        value = NAME_VALUE.match(line.text, match.end())
        if value is None or name is not None:
            continue
        candidate = _cut_name(value.group())
        if 2 <= len(candidate) <= 4 or ("·" in candidate and len(candidate) <= 12):
            name = candidate
            line.blank(value.start(), value.start() + len(candidate))
        else:
            problems.append(Fault(N_("The name after the recipient label was not recognised, please fill it in.")))
    return name, labelled, address_start


def _cut_name(value: str) -> str:
    """A labelled name ends where an address or another label begins: 张三辽宁省… → 张三."""
    cut = len(value)
    province = PROVINCE_START.search(value, 2)
    if province is not None:
        cut = province.start()
    for word in ("电话", "手机", "地址", "收货", "联系"):
        found = value.find(word, 2)
        if found != -1:
            cut = min(cut, found)
    return value[:cut]


def _find_address_start(text: str, catalogue: LineupWords) -> int | None:
    starts: list[int] = []
    province = PROVINCE_START.search(text)
    if province is not None:
        starts.append(province.start())
    for place in PLACE_START.finditer(text):
        if not NOT_A_PLACE.search(place.group()) and not catalogue.mentions_product(place.group()):
            starts.append(place.start())
            break
    return min(starts) if starts else None


def _is_order_fragment(segment: str, catalogue: LineupWords) -> bool:
    """A segment after an address that belongs to the order: "A1", "A1x2", "两袋", "上车"."""
    code = CODE_TOKEN.match(segment)
    if code is not None and (code[1] in catalogue.codes or code_letters(code[1]) in catalogue.code_letters):
        rest = segment[code.end() :].strip()
        return not rest or any(p.fullmatch(rest) for p in (COUNTED, HALF, TIMES, BARE_NUMBER))
    if ("链接" in segment or segment.startswith("第")) and POSITION.search(segment):
        return True
    return any(p.fullmatch(segment) for p in (COUNTED, HALF, TIMES, VERB_NUMBER, PINNED_WORDS, KOU_ONE))


def _looks_like_name(word: str, catalogue: LineupWords) -> bool:
    """A real name as buyers type it for shipping: 2–4 Chinese characters opening with a common surname."""
    if not 2 <= len(word) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    if word in NOT_NAMES or word[-1] in PLACE_SUFFIXES:
        return False
    compound = COMPOUND_SURNAME.match(word) is not None
    given = word[2:] if compound else word[1:]
    if not (compound or word[0] in SURNAMES) or not given or any(ch in NOT_IN_GIVEN_NAMES for ch in given):
        return False
    chat = (COUNTED, PINNED_WORDS, FILLERS, QUESTION, CANCEL, ALREADY_ORDERED, ADDRESS_MARKERS)
    return not catalogue.mentions_product(word) and not any(p.search(word) for p in chat)


def _next_to(text: str, start: int, end: int, position: int | None = None) -> bool:
    """Whether only punctuation lies between a segment and the phone number (or the given position after it)."""
    if position is None:
        return bool(GAP_THEN_PHONE.match(text, end) or PHONE_THEN_GAP.search(text, 0, start))
    return position >= end and ONLY_GAP.fullmatch(text, end, position) is not None


def take_address_and_name(
    line: CommentLine, labelled_start: int | None, labelled_name: str | None, catalogue: LineupWords
) -> tuple[str | None, str | None]:
    """The address runs from its first place word to the end of the line, less the order, phone and name in it."""
    text = line.text
    start = labelled_start if labelled_start is not None else _find_address_start(text, catalogue)
    parts: list[tuple[int, int]] = []
    tail_names: list[tuple[int, int]] = []
    if start is not None:
        segments = [span for span in line.segments(start) if not FILLERS.fullmatch(text[span[0] : span[1]])]
        after_order = False
        for index, (seg_start, seg_end) in enumerate(segments):
            segment = text[seg_start:seg_end]
            products = catalogue.keyword_spans(segment)
            if products:
                # Order text typed straight after the address: "…12号小米两袋".
                if products[0][0] > 0 and not after_order:
                    parts.append((seg_start, seg_start + products[0][0]))
                after_order = True
            elif _is_order_fragment(segment, catalogue):
                after_order = True
            elif _looks_like_name(segment, catalogue) and (
                index == len(segments) - 1 or _next_to(text, seg_start, seg_end)
            ):
                tail_names.append((seg_start, seg_end))
            elif after_order and not ADDRESS_MARKERS.search(segment):
                # Once the order has started, only a place word brings the address back: "A1 2" keeps its 2.
                continue
            else:
                parts.append((seg_start, seg_end))
                after_order = False
    for part_start, part_end in parts:
        line.blank(part_start, part_end)

    name = labelled_name
    if name is None:
        name_span = _find_unlabelled_name(line, start, catalogue) or (tail_names[0] if tail_names else None)
        if name_span is not None:
            name = line.shown[name_span[0] : name_span[1]]
            line.blank(*name_span)
            tail_names = [span for span in tail_names if span != name_span]
    # A name-like word the name did not need is part of the address after all.
    for span in tail_names:
        line.blank(*span)
    address_spans = sorted(parts + tail_names)
    address = " ".join(line.shown[s:e] for s, e in address_spans).strip()
    return address or None, name


def _find_unlabelled_name(
    line: CommentLine, address_start: int | None, catalogue: LineupWords
) -> tuple[int, int] | None:
    """The shipping name: leading the comment, or right beside the phone number or the address."""
    text = line.text
    segments = [span for span in line.segments() if text[span[0] : span[1]].strip()]
    candidates = [span for span in segments if _looks_like_name(text[span[0] : span[1]], catalogue)]
    if not candidates:
        return None
    if candidates[0] == segments[0]:
        return candidates[0]
    for span in candidates:
        if _next_to(text, *span) or (address_start is not None and _next_to(text, *span, position=address_start)):
            return span
    return None
