"""Survey links, responses, rotating hash keys and audited exclusions.

No personal data is stored: a response holds its answers, an optional comment (NFC) and, for 30
days at most, a keyed hash of the sender's network (IPv4 /24, IPv6 /56) under a key that rotates
daily; keys older than 30 days are deleted and their hashes dropped (`services.drop_old_hashes`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import now_utc

if TYPE_CHECKING:
    from app.campaigns.models import Campaign
    from app.units.models import Unit


class SurveyLink(db.Model):
    """The public link of one survey for one unit in one campaign; `code` is unguessable (URL-safe, 128 bits)."""

    __tablename__ = "survey_links"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "unit_id", "survey_code", name="uq_survey_links_campaign_unit_survey"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    #: `surveys[].code` of the campaign's criteria set, e.g. HAILONG_DV.
    survey_code: Mapped[str] = mapped_column(sa.String(40))
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"<SurveyLink {self.survey_code} unit={self.unit_id} campaign={self.campaign_id}>"


class SurveyHashKey(db.Model):
    """A random HMAC key for one local day; deleted after 30 days, which makes its hashes meaningless."""

    __tablename__ = "survey_hash_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The local (Asia/Ho_Chi_Minh) day the key is used for.
    day: Mapped[dt.date] = mapped_column(unique=True)
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class SurveyExclusion(db.Model):
    """A reviewer's decision to leave a flagged burst out of the results, with the reason (also audited)."""

    __tablename__ = "survey_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_links.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    #: How many responses were excluded, and the time span of the burst (UTC).
    count: Mapped[int]
    start: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    end: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)


class SurveyResponse(db.Model):
    """One accepted response: answers by question code, an optional comment, and a short-lived network hash."""

    __tablename__ = "survey_responses"
    __table_args__ = (sa.Index("ix_survey_responses_link_submitted", "link_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_links.id", ondelete="CASCADE"))
    submitted_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    #: {question code: 1..5 | true | false}; unanswered questions absent.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: HMAC-SHA256 (hex) of the sender's network under the day's key; NULL after 30 days.
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_hash_keys.id", ondelete="SET NULL"))
    excluded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_exclusions.id", ondelete="SET NULL"), index=True)
