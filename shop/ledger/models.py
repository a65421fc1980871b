"""The ledger: versioned fee policies, append-only balanced transactions, payouts, and the household
balances kept beside the entries for fast reading (recomputed nightly from the entries and checked)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase, DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.errors import N_


class FeePolicy(BigIntAuditBase):
    """A village's fee policy from ``effective_from`` on; a change is a new row, history stays."""

    __tablename__ = "fee_policy"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    # Basis points per sales channel: douyin, kuaishou, weixin, taobao, other; "direct" is orders the
    # village records itself (by hand, from comments, through the API).
    platform_bp: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    operator_bp: Mapped[int] = mapped_column(default=0)
    collective_bp: Mapped[int] = mapped_column(default=0)
    auto_complete_days: Mapped[int] = mapped_column(default=10)
    effective_from: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    set_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)

    __table_args__ = (
        CheckConstraint("operator_bp >= 0 and collective_bp >= 0", name="fee_policy_rates_not_negative"),
        CheckConstraint("auto_complete_days between 1 and 60", name="fee_policy_days_sane"),
        Index("ix_fee_policy_village_from", "village_id", "effective_from"),
    )


class TransactionKind(enum.StrEnum):
    SALE_CREDIT = "sale_credit"
    SALE_REVERSAL = "sale_reversal"
    PAYOUT = "payout"


class AccountKind(enum.StrEnum):
    SALES_CLEARING = "sales_clearing"  # money from the sale, before anyone's share
    PLATFORM = "platform"
    OPERATOR = "operator"
    COLLECTIVE = "collective"
    HOUSEHOLD = "household"
    # A refund after the household was already paid: what it owes back, settled from its next sales,
    # so its balance never goes below zero.
    RECOVERY = "recovery"
    PAYOUTS = "payouts"  # cash, WeChat, Alipay or bank transfers that left the village's hands


ACCOUNT_LABELS = {
    AccountKind.SALES_CLEARING: N_("Sales"),
    AccountKind.PLATFORM: N_("Platform fee"),
    AccountKind.OPERATOR: N_("Operator fee"),
    AccountKind.COLLECTIVE: N_("Village collective"),
    AccountKind.HOUSEHOLD: N_("Household"),
    AccountKind.RECOVERY: N_("To be recovered"),
    AccountKind.PAYOUTS: N_("Paid out"),
}


class LedgerTransaction(BigIntAuditBase):
    """One balanced posting: its entries sum to zero. Never updated, never deleted (the database refuses)."""

    __tablename__ = "ledger_transaction"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # What makes a posting happen at most once: "credit:line:12", "reverse:line:12:3", "payout:7".
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id", ondelete="RESTRICT"), default=None)
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_line.id", ondelete="RESTRICT"), default=None, index=True
    )
    payout_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"), default=None)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("fee_policy.id"), default=None)
    # How many of the line's units this posting is for (credits: all; reversals: the refunded ones).
    quantity: Mapped[int] = mapped_column(default=0)
    actor_kind: Mapped[str] = mapped_column(String(12), default="system")  # user, system
    actor_id: Mapped[int | None] = mapped_column(default=None)
    posted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    memo: Mapped[str] = mapped_column(String(200), default="")

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("kind in ('sale_credit', 'sale_reversal', 'payout')", name="ledger_transaction_kind_known"),
        # the ledger page and the audit trail: a village's newest first
        Index("ix_ledger_transaction_village_posted", "village_id", "posted_at", "id"),
    )


class LedgerEntry(BigIntAuditBase):
    __tablename__ = "ledger_entry"

    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id", ondelete="RESTRICT"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    account_kind: Mapped[str] = mapped_column(String(20))
    # platform name for platform entries; empty otherwise
    account_ref: Mapped[str] = mapped_column(String(20), default="")
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), default=None)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # For a household's sale entries: how many of the sold (or refunded, negative) units were its goods.
    units: Mapped[int] = mapped_column(default=0)
    posted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")

    __table_args__ = (
        CheckConstraint(
            "account_kind in ('sales_clearing', 'platform', 'operator', 'collective', 'household', 'recovery',"
            " 'payouts')",
            name="ledger_account_known",
        ),
        CheckConstraint(
            "(account_kind in ('household', 'recovery')) = (household_id is not null)",
            name="household_entry_names_one",
        ),
        Index("ix_ledger_entry_household", "household_id", "posted_at", "id"),
        Index("ix_ledger_entry_village_kind", "village_id", "account_kind", "posted_at"),
    )


class PayoutMethod(enum.StrEnum):
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    BANK = "bank"


METHOD_LABELS: dict[str, str] = {  # keyed by the enum, read with the stored text
    PayoutMethod.CASH: N_("Cash"),
    PayoutMethod.WECHAT: N_("WeChat"),
    PayoutMethod.ALIPAY: N_("Alipay"),
    PayoutMethod.BANK: N_("Bank transfer"),
}


class PayoutBatch(BigIntAuditBase):
    __tablename__ = "payout_batch"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    min_balance_fen: Mapped[int]
    method: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str] = mapped_column(String(100), default="")
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    paid_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class Payout(BigIntAuditBase):
    __tablename__ = "payout"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str] = mapped_column(String(100), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batch.id", ondelete="SET NULL"), default=None)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    paid_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="payout_positive"),
        CheckConstraint("method in ('cash', 'wechat', 'alipay', 'bank')", name="payout_method_known"),
        Index("ix_payout_village_paid", "village_id", "paid_at", "id"),
    )


class HouseholdBalance(DefaultBase):
    """The running figures of a household, moved in the same transaction as its entries.

    The entries are the truth; this row lets a villager's home page answer in milliseconds, and the
    nightly check recomputes it from the entries and raises an alert when they disagree.
    """

    __tablename__ = "household_balance"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    credited_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # into the household account, net
    paid_out_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # to be recovered from its next sales

    __table_args__ = (
        CheckConstraint("balance_fen >= 0", name="household_balance_not_negative"),
        CheckConstraint("owed_fen >= 0", name="household_owed_not_negative"),
        CheckConstraint("balance_fen = credited_fen - paid_out_fen", name="household_balance_adds_up"),
    )


class HouseholdMonth(DefaultBase):
    """What a household was credited in one Beijing calendar month (sales less refunds), moved with its
    entries: the villager's 12-month chart reads twelve rows, not thousands of entries. The nightly check
    recomputes it from the entries too."""

    __tablename__ = "household_month"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    credited_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[int] = mapped_column(default=0)

    # the transparency board: a village's months, newest first
    __table_args__ = (Index("ix_household_month_village_month", "village_id", "month"),)


class VillageMonth(DefaultBase):
    """A village's money in one Beijing calendar month, account by account, moved in the same transaction
    as the entries that change it (``shop.ledger.summary``): the township's board and the transparency
    board read a few rows per village instead of summing years of entries. The nightly check recomputes
    every row from the entries.

    Each figure is what the month's entries moved, net: a refund or a correction in a later month moves
    that month's row, never the sale's."""

    __tablename__ = "village_month"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11", Beijing time
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # gross of the sales credited, less refunds
    platform_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    operator_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    collective_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # into the households' accounts by sales, refunds and corrections (HouseholdBalance.credited_fen)
    credited_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # what households came to owe (a refund after a payout), less what their next sales settled
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # what left the village's hands to households (the payouts account), less payouts reversed
    paid_out_fen: Mapped[int] = mapped_column(BigInteger, default=0)
