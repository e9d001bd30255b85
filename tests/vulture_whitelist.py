"""Names vulture reports as unused that are used, by a framework or by name.

Run ``vulture`` from the project root (settings in pyproject's ``[tool.vulture]``: it scans
bot/, rota/, bench/ and tests/, this file included, at 60% confidence). Each line below is
read by something vulture cannot see; anything else it reports is dead code. Never imported.
"""

# ruff: noqa: B018

from types import SimpleNamespace

_ = SimpleNamespace()

# pytest: hooks, their signatures, and fixtures named only in @pytest.mark.usefixtures("...")
_.pytest_sessionfinish  # tests/conftest.py
_.pytest_collection_modifyitems  # tests/conftest.py
_.exitstatus  # the hook's signature
_.open_umask  # tests/cli/test_database_file_mode.py

# tests/e2e/fuzz.py picks an action with getattr(self, f"_{label}") from its MENU
_._press_random
_._press_replayed
_._forward
_._venue
_._contact
_._anonymous_admin
_._channel
_._my_chat_member

# python-telegram-bot calls these overrides (BaseRateLimiter, BaseUpdateProcessor)
_.process_request  # bot/pacing.py
_.current_concurrent_updates  # bot/updates.py

# SQLAlchemy: the TypeDecorator protocol, engine event listeners, the DB-API connection
_.impl  # rota/storage/tables.py UTCDateTime
_.cache_ok
_.process_bind_param
_.process_result_value
_._before_connect  # rota/storage/engine.py, @event.listens_for
_._on_connect
_._on_begin
_.isolation_level  # sqlite3: autocommit, so the BEGIN IMMEDIATE is the bot's own

# Table columns written on insert and kept for the schema (and for people reading the database)
_.posted_at  # team_posts
_.adopted_at  # team_chats
_.done_at  # session milestones
_.fired_at  # timers

# /me export: dataclass fields written to JSON with dataclasses.asdict (rota/privacy/my_data.py)
_.signed_up_at
_.changed_at
_.pair_number
_.others_in_pair
_.made_by_hand
_.you_took_it
_.incident_text_kept
_.cover_requests
_.cover_offers
_.alerts_handled
_.invite_used
_.invites_made
_.safety_notes_written
_.walks_ended
_.reminder_answers
_.deleted_by
_.time_zone
_.not_included

# Modules imported so that their @renders / payload registrations run (bot/outbox/notices.py,
# rota/kernel/notice_codec.py)
_.FEATURES
