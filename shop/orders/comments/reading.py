"""Reading the order in a comment: which products, how many of each, and what the secretary must check.

``parse_comments`` runs the steps on each pasted line: contact details first (so no house number is read
as a quantity), then the products and quantities, then the draft with its problems.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from shop.errors import N_, Fault
from shop.orders.comments.contacts import drop_nicknames, take_address_and_name, take_labels, take_phone
from shop.orders.comments.lexicon import (
    ALREADY_ORDERED,
    BARE_NUMBER,
    BULK_UNITS,
    CANCEL,
    CJK_BEFORE,
    CJK_RUN,
    CODE_TOKEN,
    COUNTED,
    EACH_NUMBER,
    FILLERS,
    GAP_SEPARATOR,
    GENERIC_UNITS,
    HALF,
    KOU_ONE,
    LARGE_QUANTITY,
    LONE_ONE,
    NOT_IN_PRODUCT_WORDS,
    ORDER_UNITS,
    PINNED_WORDS,
    POSITION,
    PRICE_QUESTION,
    QUESTION,
    RANGES,
    SPREAD,
    TAKEN,
    TIMES,
    VERB_NUMBER,
    WANT,
    WEIGHT_GRAMS,
    CommentLine,
    LineupProduct,
    LineupWords,
    chinese_number,
    code_letters,
)

MatchedBy = Literal["short_code", "keyword", "pinned"]


@dataclass(frozen=True)
class DraftItem:
    """A product a comment asks for. ``quantity`` is None when no whole number of units could be read."""

    product_id: int
    quantity: int | None
    matched_by: MatchedBy


@dataclass
class DraftOrder:
    """What one comment seems to order; nothing is recorded until the secretary confirms it.

    ``line_number`` counts from 1 in the pasted text. ``buyer_phone`` is 11 digits, without spaces, dashes or +86.
    ``problems`` say what the secretary should check, as msgids with parameters (translated where they are
    shown); they never repeat a phone number.
    """

    raw: str
    line_number: int
    buyer_name: str | None = None
    buyer_phone: str | None = None
    address: str | None = None
    items: list[DraftItem] = field(default_factory=list)
    problems: list[Fault] = field(default_factory=list)


def parse_comments(text: str, lineup: Sequence[LineupProduct]) -> list[DraftOrder]:
    """Read pasted comments, one per line, into drafts; lines with no order intent give none."""
    catalogue = LineupWords.build(lineup)
    drafts: list[DraftOrder] = []
    for number, line in enumerate(text.splitlines(), start=1):
        draft = _parse_line(line, number, catalogue)
        if draft is not None:
            drafts.append(draft)
    return drafts


@dataclass(frozen=True)
class _Amount:
    whole: int | None
    fault: Literal["half", "vague", "unreadable", "zero"] | None = None


def _read_amount(number: str | None, half: bool = False) -> _Amount:
    if number is None:
        return _Amount(None, "half") if half else _Amount(None, "unreadable")
    if half:
        return _Amount(None, "half")
    if number in ("俩", "仨"):
        return _Amount(2 if number == "俩" else 3)
    if "几" in number or number.endswith(("来", "多")) or any(number.startswith(r) for r in RANGES):
        return _Amount(None, "vague")
    if number[0].isdigit():
        if "." in number:
            value = float(number)
            if not value.is_integer():
                return _Amount(None, "half")
            number = str(int(value))
        whole = int(number)
    else:
        parsed = chinese_number(number)
        if parsed is None:
            return _Amount(None, "unreadable")
        whole = parsed
    return _Amount(whole, "zero") if whole == 0 else _Amount(whole)


@dataclass
class _Quantity:
    start: int
    end: int
    text: str
    amount: _Amount
    unit: str | None
    kind: Literal["counted", "half", "times", "verb", "each", "bare"]
    verb: bool
    spread: bool = False

    @property
    def shows_intent(self) -> bool:
        """Whether this number alone says "I want to buy": "要一个", "两袋", "x2" do; "一个人" does not."""
        return self.verb or self.kind in ("times", "verb", "each") or (self.unit in ORDER_UNITS)


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    products: tuple[LineupProduct, ...]
    matched_by: MatchedBy
    problem: Fault | None = None
    quantities: list[_Quantity] = field(default_factory=list)


def _parse_line(raw: str, line_number: int, catalogue: LineupWords) -> DraftOrder | None:
    """Phone first, then labels, address and name, then the order: so no house number is read as a quantity."""
    line = CommentLine(raw)
    draft = DraftOrder(raw=raw, line_number=line_number)
    drop_nicknames(line, catalogue)
    draft.buyer_phone, gave_phone = take_phone(line, draft.problems)
    labelled_name, labelled, address_start = take_labels(line, draft.problems)
    draft.address, draft.buyer_name = take_address_and_name(line, address_start, labelled_name, catalogue)
    for match in FILLERS.finditer(line.text):
        # Not a separator: "这个主播真好看" must not become a bare "这个".
        line.blank(match.start(), match.end(), TAKEN)
    reading = _read_order(line, catalogue)
    if not (gave_phone or labelled or reading.shows_intent):
        return None
    _fill_items(draft, reading, catalogue)
    return draft


@dataclass
class _Reading:
    """What the order part of a comment says, before it is turned into items."""

    mentions: list[_Mention] = field(default_factory=list)
    quantities: list[_Quantity] = field(default_factory=list)
    leftovers: list[_Quantity] = field(default_factory=list)
    asks_for_pinned: bool = False
    question: bool = False
    cancelled: bool = False
    already_ordered: bool = False
    wants: bool = False
    unknown_products: dict[int, str] = field(default_factory=dict)

    @property
    def shows_intent(self) -> bool:
        """Whether the comment asks for something at all; chat and bare questions do not."""
        if self.mentions:
            return True
        wants = any(q.shows_intent for q in self.quantities)
        # "这个好吃吗" points at the product on screen but asks rather than orders.
        return wants or ((self.asks_for_pinned or self.already_ordered) and not self.question)


def _read_order(line: CommentLine, catalogue: LineupWords) -> _Reading:
    reading = _Reading(question=bool(QUESTION.search(line.text)))
    for match in CANCEL.finditer(line.text):
        # Blanked so that "不要了" is not read as "要了".
        reading.cancelled = True
        line.blank(match.start(), match.end())
    text = line.text
    reading.already_ordered = bool(ALREADY_ORDERED.search(text))
    reading.asks_for_pinned = bool(PINNED_WORDS.search(text))
    reading.wants = bool(WANT.search(text))
    for pattern in (LONE_ONE, KOU_ONE):
        for match in pattern.finditer(line.text):
            # "扣1" and a lone "1" are how live chat says "me too", not a count of anything.
            reading.asks_for_pinned = True
            line.blank(match.start(), match.end())
    for match in PRICE_QUESTION.finditer(line.text):
        line.blank(match.start(), match.end())
    reading.mentions = _merge_neighbours(_find_mentions(line, catalogue), text)
    reading.quantities = _find_quantities(line, reading.mentions, text)
    _bind_quantities(reading, text)
    unclaimed = reading.leftovers if reading.mentions else reading.quantities
    reading.unknown_products = {
        quantity.start: word for quantity in unclaimed if (word := _unknown_product_word(line.text, quantity))
    }
    return reading


def _unknown_product_word(text: str, quantity: _Quantity) -> str | None:
    """A word counted like a product that the lineup does not know: "宁夏枸杞两袋" on a night without 枸杞."""
    for found in (CJK_BEFORE.search(text, 0, quantity.start), CJK_RUN.match(text, quantity.end)):
        if found is not None and not any(ch in NOT_IN_PRODUCT_WORDS for ch in found.group()):
            return found.group()
    return None


def _find_mentions(line: CommentLine, catalogue: LineupWords) -> list[_Mention]:
    mentions: list[_Mention] = []
    for match in CODE_TOKEN.finditer(line.text):
        code = match[1]
        products = catalogue.codes.get(code, ())
        if not products and (code_letters(code) not in catalogue.code_letters or code_letters(code) == "x"):
            continue
        mentions.append(_code_mention(match.start(), match.end(), code, products))
        line.blank(match.start(), match.end(), TAKEN)
    for code, products in catalogue.codes.items():
        if CODE_TOKEN.fullmatch(code) or code.isdigit():
            continue
        start = line.text.find(code)
        while start != -1:
            mentions.append(_code_mention(start, start + len(code), code, products))
            line.blank(start, start + len(code), TAKEN)
            start = line.text.find(code, start + len(code))
    for match in POSITION.finditer(line.text):
        if match["b"] and not (match["nth"] or match["link"] or catalogue.numbered):
            # A bare "5号" is a date or a house number unless tonight's products are numbered.
            continue
        amount = _read_amount(match["a"] or match["b"])
        products = catalogue.codes.get(str(amount.whole), ()) if amount.whole else ()
        said = match.group().strip()
        mention = _Mention(match.start(), match.end(), said, products, "short_code")
        if len(products) != 1:
            mention.problem = (
                _ambiguous(said, products)
                if products
                else Fault(N_('"%(said)s" matches none of tonight\'s product numbers.'), {"said": said})
            )
        mentions.append(mention)
        line.blank(match.start(), match.end(), TAKEN)
    for start, end, products in catalogue.keyword_spans(line.text):
        said = line.text[start:end]
        mention = _Mention(start, end, said, products, "keyword")
        if len(products) > 1:
            mention.problem = _ambiguous(said, products)
        mentions.append(mention)
        line.blank(start, end, TAKEN)
    return sorted(mentions, key=lambda m: m.start)


def _code_mention(start: int, end: int, code: str, products: tuple[LineupProduct, ...]) -> _Mention:
    mention = _Mention(start, end, code.upper(), products, "short_code")
    if not products:
        mention.problem = Fault(N_('Code "%(code)s" is not among tonight\'s products.'), {"code": code.upper()})
    elif len(products) > 1:
        mention.problem = _ambiguous(code.upper(), products)
    return mention


def _ambiguous(said: str, products: Sequence[LineupProduct]) -> Fault:
    names = "、".join(f"{p.short_code} {p.name}" for p in products)
    return Fault(
        N_('"%(said)s" fits several products (%(names)s): none was chosen for the buyer, please confirm which.'),
        {"said": said, "names": names},
    )


def _merge_neighbours(mentions: list[_Mention], text: str) -> list[_Mention]:
    """A code and a name written together ("A1小米", "小米 A1") are one product, or a contradiction."""
    merged: list[_Mention] = []
    for mention in mentions:
        previous = merged[-1] if merged else None
        if previous is None or text[previous.end : mention.start].strip() or (previous.problem and mention.problem):
            merged.append(mention)
            continue
        pair = (previous, mention)
        code = next((m for m in pair if m.matched_by == "short_code" and len(m.products) == 1), None)
        word = next((m for m in pair if m.matched_by == "keyword"), None)
        if previous.products == mention.products and not previous.problem:
            joined = previous.products
        elif code is not None and word is not None and code.products[0] in word.products:
            joined = code.products
        elif code is not None and word is not None and len(word.products) == 1:
            joined = ()
        else:
            merged.append(mention)
            continue
        said = text[previous.start : mention.end]
        matched_by: MatchedBy = "short_code" if code is not None else "keyword"
        combined = _Mention(previous.start, mention.end, said, joined, matched_by)
        if not joined and code is not None and word is not None:
            combined.problem = Fault(
                N_('Code %(code)s is "%(product)s" but the comment says "%(word)s" (%(other)s): which one is meant?'),
                {
                    "code": code.text,
                    "product": code.products[0].name,
                    "word": word.text,
                    "other": word.products[0].name,
                },
            )
        merged[-1] = combined
    return merged


def _find_quantities(line: CommentLine, mentions: list[_Mention], text: str) -> list[_Quantity]:
    found: list[_Quantity] = []
    kinds: tuple[tuple[re.Pattern[str], Literal["counted", "half", "times", "verb", "each"]], ...] = (
        (COUNTED, "counted"),
        (HALF, "half"),
        (TIMES, "times"),
        (VERB_NUMBER, "verb"),
        (EACH_NUMBER, "each"),
    )
    for pattern, kind in kinds:
        for match in pattern.finditer(line.text):
            groups = match.groupdict()
            start = match.end() - len(match.group().lstrip())
            amount = _read_amount(groups.get("num"), half=kind == "half" or bool(groups.get("half")))
            said = text[start : match.end()].removeprefix(groups.get("verb") or "").strip()
            found.append(
                _Quantity(start, match.end(), said, amount, groups.get("unit"), kind, bool(groups.get("verb")))
            )
            line.blank(match.start(), match.end(), TAKEN)
    for mention in mentions:
        bare = BARE_NUMBER.match(line.text, mention.end)
        if bare is not None:
            start = bare.start("num")
            found.append(_Quantity(start, bare.end(), bare["num"], _read_amount(bare["num"]), None, "bare", False))
            line.blank(start, bare.end(), TAKEN)
    for quantity in found:
        quantity.spread = bool(SPREAD.search(text[: quantity.start]))
    return sorted(found, key=lambda q: q.start)


def _tight(gap: str) -> bool:
    """Nothing but a particle between a number and a product: "两袋小米", "两袋的小米"."""
    return len(gap) <= 2 and not GAP_SEPARATOR.search(gap)


def _bind_quantities(reading: _Reading, text: str) -> None:
    """Gives each number to the product it counts: after it ("小米两袋"), else before it ("两袋小米")."""
    mentions = reading.mentions
    for quantity in reading.quantities:
        before = [m for m in mentions if m.end <= quantity.start]
        after = [m for m in mentions if m.start >= quantity.end]
        previous = before[-1] if before else None
        following = after[0] if after else None
        if quantity.spread and before:
            for mention in before:
                if not mention.quantities:
                    mention.quantities.append(quantity)
            continue
        backward_only = quantity.kind in ("times", "each", "bare")
        forward = (
            not backward_only
            and following is not None
            and not following.quantities
            and _tight(text[quantity.end : following.start])
            and (previous is None or bool(previous.quantities) or not _tight(text[previous.end : quantity.start]))
        )
        if not forward and previous is not None and not previous.quantities:
            previous.quantities.append(quantity)
        elif not backward_only and following is not None and not following.quantities:
            following.quantities.append(quantity)
        else:
            reading.leftovers.append(quantity)


def _fill_items(draft: DraftOrder, reading: _Reading, catalogue: LineupWords) -> None:
    items: dict[int, DraftItem] = {}
    repeated: set[int] = set()
    for mention in reading.mentions:
        if mention.problem:
            draft.problems.append(mention.problem)
            continue
        product = mention.products[0]
        quantity = _quantity_for(mention.quantities, product, draft.problems)
        if product.product_id in items:
            repeated.add(product.product_id)
            earlier = items[product.product_id].quantity
            quantity = None if earlier is None or quantity is None else earlier + quantity
        items[product.product_id] = DraftItem(product.product_id, quantity, mention.matched_by)
    for product_id in repeated:
        name = next(p.name for p in catalogue.products if p.product_id == product_id)
        draft.problems.append(
            Fault(
                N_('"%(product)s" is mentioned more than once: the quantities were added up, please check.'),
                {"product": name},
            )
        )

    if reading.mentions:
        draft.problems.extend(_leftover_problem(reading, quantity) for quantity in reading.leftovers)
    elif reading.shows_intent or reading.asks_for_pinned:
        _fill_pinned(draft, reading, catalogue, items)
    draft.items = list(items.values())

    if not draft.items and not reading.mentions and not reading.shows_intent:
        draft.problems.append(Fault(N_("Could not tell which product is wanted.")))
    elif reading.mentions and not (reading.wants or reading.quantities or draft.buyer_phone or draft.address):
        draft.problems.append(Fault(N_("Only names a product: it does not read as an order.")))
    if reading.cancelled:
        draft.problems.append(
            Fault(N_('The buyer said "don\'t want it", "cancel" or the like: please check it is an order.'))
        )
    if reading.already_ordered:
        draft.problems.append(
            Fault(N_("The buyer says they already ordered on the platform: beware of a double order."))
        )
    if reading.question:
        draft.problems.append(Fault(N_("Reads like a question, not necessarily an order.")))


def _fill_pinned(draft: DraftOrder, reading: _Reading, catalogue: LineupWords, items: dict[int, DraftItem]) -> None:
    """No product named: "上车", "来两袋", "扣1" mean the product on screen now, if there is exactly one."""
    if not catalogue.pinned:
        draft.problems.append(Fault(N_("No product named and none is being presented now: please choose one.")))
        return
    if len(catalogue.pinned) > 1:
        names = "、".join(p.name for p in catalogue.pinned)
        draft.problems.append(
            Fault(
                N_("No product named and more than one is being presented (%(names)s): please choose one."),
                {"names": names},
            )
        )
        return
    if reading.unknown_products:
        words = "、".join(reading.unknown_products.values())
        draft.problems.append(
            Fault(
                N_('"%(words)s" is not a product tonight, so the one being presented was not assumed: please choose.'),
                {"words": words},
            )
        )
        return
    product = catalogue.pinned[0]
    quantities = reading.leftovers
    if quantities:
        quantity = _quantity_for(quantities[:1], product, draft.problems)
        draft.problems.append(
            Fault(N_('No product named: taken as "%(product)s", the one being presented.'), {"product": product.name})
        )
        draft.problems.extend(_leftover_problem(reading, quantity) for quantity in quantities[1:])
    else:
        quantity = 1
        draft.problems.append(
            Fault(
                N_('No product and no quantity named: taken as 1 %(unit)s of "%(product)s", the one being presented.'),
                {"product": product.name, "unit": product.unit},
            )
        )
    items[product.product_id] = DraftItem(product.product_id, quantity, "pinned")


def _leftover_problem(reading: _Reading, quantity: _Quantity) -> Fault:
    word = reading.unknown_products.get(quantity.start)
    if word is not None:
        return Fault(
            N_('"%(word)s" is not among tonight\'s products: "%(said)s" was left out of the order.'),
            {"word": word, "said": quantity.text},
        )
    return Fault(N_('Could not tell which product "%(said)s" is a quantity of.'), {"said": quantity.text})


def _quantity_for(quantities: list[_Quantity], product: LineupProduct, problems: list[Fault]) -> int | None:
    """The whole number of the product's units the buyer asked for, or None with a problem saying why."""
    if not quantities:
        problems.append(
            Fault(
                N_('No quantity for "%(product)s": 1 %(unit)s for now.'),
                {"product": product.name, "unit": product.unit},
            )
        )
        return 1
    said = quantities[0]
    amount = said.amount
    if amount.fault == "half":
        problems.append(
            Fault(
                N_('"%(said)s" has a half; "%(product)s" is not sold by the half %(unit)s: fill in the quantity.'),
                {"said": said.text, "product": product.name, "unit": product.unit},
            )
        )
        return None
    if amount.fault == "vague":
        problems.append(Fault(N_('"%(said)s" is a rough number: please fill in the quantity.'), {"said": said.text}))
        return None
    if amount.fault == "zero":
        problems.append(Fault(N_('"%(said)s" is a quantity of 0, please check.'), {"said": said.text}))
        return None
    if amount.whole is None:
        problems.append(
            Fault(N_('The quantity in "%(said)s" was not understood: please fill it in.'), {"said": said.text})
        )
        return None
    quantity = _in_product_units(amount.whole, said, product, problems)
    if quantity is not None and quantity > LARGE_QUANTITY:
        problems.append(
            Fault(
                N_('%(quantity)s %(unit)s of "%(product)s" is a lot: please check with the buyer.'),
                {"product": product.name, "quantity": quantity, "unit": product.unit},
            )
        )
    return quantity


def _in_product_units(number: int, said: _Quantity, product: LineupProduct, problems: list[Fault]) -> int | None:
    unit = said.unit
    if unit is None or unit == product.unit or unit in GENERIC_UNITS:
        return number
    said_grams = WEIGHT_GRAMS.get(unit)
    product_grams = WEIGHT_GRAMS.get(product.unit)
    if said_grams and product_grams:
        total = number * said_grams
        if total % product_grams:
            problems.append(
                Fault(
                    N_('"%(said)s" is not a whole number of %(unit)s: please fill in the quantity.'),
                    {"said": said.text, "unit": product.unit},
                )
            )
            return None
        problems.append(
            Fault(
                N_('The buyer said "%(said)s": converted to %(quantity)s %(unit)s.'),
                {"said": said.text, "quantity": total // product_grams, "unit": product.unit},
            )
        )
        return total // product_grams
    if said_grams:
        problems.append(
            Fault(
                N_('The buyer said "%(said)s" but "%(product)s" is sold by the %(unit)s: please fill in the quantity.'),
                {"said": said.text, "product": product.name, "unit": product.unit},
            )
        )
        return None
    if product_grams or unit in BULK_UNITS:
        problems.append(
            Fault(
                N_('The buyer said "%(said)s"; "%(product)s" is sold by the %(unit)s: taken as %(quantity)s %(unit)s.'),
                {"said": said.text, "product": product.name, "unit": product.unit, "quantity": number},
            )
        )
    # Otherwise a container word used loosely ("两包" of a product sold by the 袋) means that many units.
    return number
