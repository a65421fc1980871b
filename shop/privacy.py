"""Buyers' personal information: how it is masked on pages, in exports and in logs."""

from __future__ import annotations

import re


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str | None) -> str:
    """张三丰 → 张**; keeps the family name a packer needs, hides the rest."""
    if not name:
        return ""
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1)


def mask_address(address: str | None, keep: int = 6) -> str:
    """Keeps the province/city head of an address and hides the street and number."""
    if not address:
        return ""
    address = address.strip()
    head = address[:keep]
    return head + "****" if len(address) > keep else head


def scrub_digits(text: str) -> str:
    """For log lines that might carry a phone number: every run of 7+ digits is hidden."""
    return re.sub(r"\d{7,}", lambda m: mask_phone(m.group(0)), text)
