"""Database tables; instants always go in and come out as aware UTC datetimes."""

from __future__ import annotations

import datetime as dtm
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dtm.datetime]):
    """Store instants as naive UTC and hand them back aware, because SQLite drops offsets."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dtm.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; use UTC")
        return value.astimezone(dtm.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dtm.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dtm.datetime)
        return value.replace(tzinfo=dtm.UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations get stable names."""

    metadata = MetaData(naming_convention=NAMING)


class VolunteerRow(Base):
    """A volunteer; personal fields are emptied when they ask to be forgotten."""

    __tablename__ = "volunteers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[str] = mapped_column(String(400), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    joined_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    # When a coordinator removed them: their data is erased a retention period later.
    removed_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class InviteRow(Base):
    """A single-use joining code."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    tags: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))


class SessionRow(Base):
    """One outreach night; template sessions are unique per template key and date."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("template_key", "local_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_key: Mapped[str | None] = mapped_column(String(20))
    local_date: Mapped[dtm.date] = mapped_column(Date, index=True)
    starts_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    meeting_point: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    walk_state: Mapped[str] = mapped_column(
        String(16), default="planned", server_default="planned"
    )
    walk_over_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    walk_over_by: Mapped[int | None] = mapped_column(Integer)
    checkin_plan: Mapped[str | None] = mapped_column(Text)


class RoleRow(Base):
    """A role in a session; `filled` is the guarded counter that makes capacity race-free."""

    __tablename__ = "session_roles"
    __table_args__ = (UniqueConstraint("session_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[bool] = mapped_column(Boolean, default=False)
    requires: Mapped[str] = mapped_column(String(400), default="")
    filled: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SignUpRow(Base):
    """A claim on a role; at most one active claim per volunteer and session (partial index)."""

    __tablename__ = "signups"
    __table_args__ = (
        Index(
            "uq_signups_active_per_session",
            "session_id",
            "volunteer_id",
            unique=True,
            sqlite_where=text("status != 'withdrawn'"),
            postgresql_where=text("status != 'withdrawn'"),
        ),
        Index("ix_signups_role_status", "role_id", "status"),
        Index("ix_signups_volunteer", "volunteer_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("session_roles.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """A message the bot owes someone: written with the change that caused it, then delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due", "state", "due_at"),
        Index("ix_outbox_ref", "ref_kind", "ref_id"),
        Index("ix_outbox_edit_of", "edit_of"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=5)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    ref_kind: Mapped[str | None] = mapped_column(String(16))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    edit_of: Mapped[int | None] = mapped_column(Integer)


class TeamPostRow(Base):
    """The rota post in a team chat, kept current by coalesced edits."""

    __tablename__ = "team_posts"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    dirty_since: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    last_edit_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class TeamChatRow(Base):
    """A group a coordinator made the team's (by /postrota there) when no team chat is set.

    Kept apart from the rota post: deleting the post must not make the bot leave the group.
    """

    __tablename__ = "team_chats"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    adopted_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class PairRow(Base):
    """A walking pair (or the one trio) of a session."""

    __tablename__ = "pairs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class PairMemberRow(Base):
    """Who walks in a pair; a volunteer is in at most one pair per session."""

    __tablename__ = "pair_members"
    __table_args__ = (UniqueConstraint("session_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class CheckInRow(Base):
    """One due check-in of one pair; closed by the first member who taps OK."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("pair_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="open")
    checked_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    checked_by: Mapped[int | None] = mapped_column(Integer)
    escalation_id: Mapped[int | None] = mapped_column(Integer)


class TimerRow(Base):
    """A scheduled safety action: fired once (guarded), leased while it runs."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "step"),
        Index("ix_timers_state_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer, default=0)
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    due_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="pending")
    locked_until: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    fired_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class EscalationRow(Base):
    """An alarm; the first acknowledgement wins (guarded update)."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    pair_id: Mapped[int | None] = mapped_column(Integer)
    volunteer_id: Mapped[int | None] = mapped_column(Integer)
    checkin_id: Mapped[int | None] = mapped_column(Integer)
    home_safe_id: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class HomeSafeRow(Base):
    """Whether each person on a session has said they are home."""

    __tablename__ = "home_safe"
    __table_args__ = (UniqueConstraint("session_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    due_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    safe_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    escalation_id: Mapped[int | None] = mapped_column(Integer)


class LocationRow(Base):
    """The latest position a walker shared; deleted when the session is over."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("session_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class SafetyLogRow(Base):
    """Append-only record of every safety event, for /log and the CSV export."""

    __tablename__ = "safety_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(400), default="")
    pair_id: Mapped[int | None] = mapped_column(Integer)
    volunteer_id: Mapped[int | None] = mapped_column(Integer)
    escalation_id: Mapped[int | None] = mapped_column(Integer)


class MilestoneRow(Base):
    """A once-per-session event (briefing round, reminders, staffing alert, debrief...).

    Inserting the row is the claim: the primary key lets exactly one worker do it, ever.
    """

    __tablename__ = "session_milestones"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    milestone: Mapped[str] = mapped_column(String(24), primary_key=True)
    done_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class BriefingRow(Base):
    """A briefing sent to one person for one session, and whether they tapped Got it."""

    __tablename__ = "briefings"
    __table_args__ = (UniqueConstraint("session_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    sent_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
    notes_version: Mapped[int] = mapped_column(Integer, default=0)


class SafetyNoteRow(Base):
    """A coordinator's safety note for one session; deleted after the session."""

    __tablename__ = "safety_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())


class ReminderAnswerRow(Base):
    """A day-before reminder sent to one volunteer (at most one per session, ever) and the
    answer: asked, coming, withdrawn or cover."""

    __tablename__ = "reminder_answers"
    __table_args__ = (UniqueConstraint("session_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class CoverRequestRow(Base):
    """Someone asking for cover; the first eligible volunteer to accept takes the place.

    At most one open request per sign-up (partial unique index), so a double tap asks once.
    """

    __tablename__ = "cover_requests"
    __table_args__ = (
        Index(
            "uq_cover_requests_open_signup",
            "signup_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    signup_id: Mapped[int] = mapped_column(ForeignKey("signups.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    taken_by: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())


class CoverOfferRow(Base):
    """Who was asked to cover (their messages are updated once the place is taken)."""

    __tablename__ = "cover_offers"
    __table_args__ = (UniqueConstraint("request_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("cover_requests.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))


class DebriefRow(Base):
    """The team lead's anonymous counts after a session (no names of the women, ever)."""

    __tablename__ = "debriefs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), unique=True
    )
    lead_id: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[str] = mapped_column(Text, default="{}")
    incident: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="asking")
    started_at: Mapped[dtm.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dtm.datetime | None] = mapped_column(UTCDateTime())
