"""Staff users, API tokens and the server-side web session table."""

from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.base import BigIntAuditBase, DefaultBase
from advanced_alchemy.extensions.litestar.session import SessionModelMixin
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column


class Role(enum.StrEnum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    TRAINEE = "trainee"
    # 乡镇干部: oversees the villages whose township and county are spelt as in ``township``/``county``.
    TOWNSHIP = "township"
    # 区县: the last level of a villager's case, for every village of ``county``.
    COUNTY = "county"


class User(BigIntAuditBase):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(16))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    # A township officer's township and county, a county supervisor's county, as the villages spell them.
    township: Mapped[str] = mapped_column(String(100), default="", server_default="")
    county: Mapped[str] = mapped_column(String(100), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The user switched text messages off on their account page.
    sms_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Grows whenever the password, the role, the village or area, or the account's standing changes (and
    # on "sign out everywhere"): every session and token made under an older generation stops working.
    credential_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The secret in the user's calendar feed address (/calendar/{secret}.ics).
    calendar_secret: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        CheckConstraint("role in ('admin', 'secretary', 'trainee', 'township', 'county')", name="role_known"),
        CheckConstraint("role in ('admin', 'township', 'county') or village_id is not null", name="staff_has_village"),
        CheckConstraint(
            "(role <> 'township' or (township <> '' and county <> '')) and (role <> 'county' or county <> '')",
            name="officer_has_area",
        ),
    )

    @property
    def name(self) -> str:
        return self.display_name or self.username


class ApiToken(BigIntAuditBase):
    """A bearer token for the JSON API. Only its SHA-256 is stored; revoking sets ``revoked_at``."""

    __tablename__ = "api_token"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    __table_args__ = (CheckConstraint("(user_id is null) <> (household_id is null)", name="token_has_one_owner"),)


class WebSession(SessionModelMixin):
    """Server-side session rows behind the HttpOnly session cookie."""

    __tablename__ = "web_session"


class LoginThrottle(DefaultBase):
    """Failed-login counts, one row per key, shared by every worker and machine (see shop.accounts.throttle).

    Keys: ``a:<address>`` (a client address, all names), ``u:<username>`` / ``h:<household code>`` (one
    account, all addresses), ``u:<username>@<address>`` / ``h:<code>@<address>`` (one account from one
    address). ``attempts`` counts the window's reserved attempts, a success gives its own back.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
