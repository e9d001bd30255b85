"""The log set-up of `rotabot`: no token and nothing a person sent, whoever logs it."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import BadRequest, InvalidToken

from bot import cli, logprivacy
from bot.fake_telegram import FakeTelegram
from tests.cli.conftest import clean_env, rotabot_async, sqlite_url

TOKEN = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"
ODD_TOKEN = "12:short-secret"  # not token-shaped: redacted because the CLI was given it
PHONE = "+447700900123"
TYPED = f"{PHONE} bluebell"  # what a person typed (a traceback shows source lines, not values)


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """A root handler added *after* protect_logs, at DEBUG; the factory is put back after."""
    factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    level, httpx_level = root.level, logging.getLogger("httpx").level
    logging.getLogger("httpx").setLevel(logging.NOTSET)  # `rotabot` (main) raises it
    logprivacy.protect_logs(ODD_TOKEN)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(cli.LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(httpx_level)
        logging.setLogRecordFactory(factory)


def _update(data: dict[str, object]) -> Update:
    return Update.de_json({"update_id": 77, **data}, None)


MESSAGE = {
    "message_id": 5,
    "date": 0,
    "chat": {"id": 10, "type": "private", "first_name": "Sam"},
    "from": {"id": 10, "is_bot": False, "first_name": "Sam"},
}


def test_the_token_is_redacted_in_urls_messages_and_arguments(log: io.StringIO) -> None:
    logging.getLogger("httpx").info('HTTP Request: POST http://x/bot%s/getMe "200"', TOKEN)
    logging.getLogger("telegram.Bot").debug(f"Set Bot API URL: https://api/bot{TOKEN}")
    logging.getLogger("rotabot").warning("odd token in %s", f"/bot{ODD_TOKEN}/getMe")
    text = log.getvalue()
    assert TOKEN.split(":")[1] not in text
    assert "short-secret" not in text
    assert "bot987654321:<token>/getMe" in text  # the bot's id (public) and the method stay


def test_telegram_requests_answers_and_updates_keep_field_names_only(log: io.StringIO) -> None:
    bot_log = logging.getLogger("telegram.ext.ExtBot")
    bot_log.debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 10, "text": f"Sam's number is {PHONE}"},
    )
    bot_log.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`",
        "getUpdates",
        [{"update_id": 1, "message": {"text": "bluebell"}}],
    )
    bot_log.debug("Getting updates: %s", [41, 42])
    contact = {**MESSAGE, "contact": {"phone_number": PHONE, "first_name": "Sam"}}
    logging.getLogger("telegram.ext.Application").debug(
        "Processing update %s", _update({"message": contact})
    )
    text = log.getvalue()
    assert PHONE not in text
    assert "bluebell" not in text
    assert "with parameters `{chat_id, text}`" in text
    assert "finished with return value `<1 items>`" in text
    assert "Getting updates: [41, 42]" in text  # ids stay
    assert "Processing update update 77 (message: contact, private chat)" in text


def test_database_rows_and_statement_arguments_are_hidden(log: io.StringIO) -> None:
    logging.getLogger("sqlalchemy.engine.Engine").debug("Row %r", (1, PHONE, 51.5101))
    logging.getLogger("aiosqlite").debug(
        "executing %s", functools.partial(print, "UPDATE v SET phone=?", (PHONE,))
    )
    text = log.getvalue()
    assert PHONE not in text
    assert "51.5101" not in text
    assert "executing <call print>" in text


def test_exception_messages_are_hidden_except_telegrams(log: io.StringIO) -> None:
    def fail(text: str) -> None:
        try:
            int(text)
        except ValueError as err:
            raise RuntimeError("could not read the reply") from err

    try:
        fail(TYPED)
    except RuntimeError:
        logging.getLogger("rota").exception("timer failed")
    for err in (BadRequest("Message is not modified"), InvalidToken(f"token `{TOKEN}` rejected")):
        try:
            raise err
        except BadRequest:  # InvalidToken is not a BadRequest
            logging.getLogger("bot").warning("edit failed", exc_info=True)
        except InvalidToken:
            logging.getLogger("bot").error("start failed", exc_info=True)
    text = log.getvalue()
    assert "bluebell" not in text
    assert "+4477" not in text
    assert "ValueError: <message hidden: " in text
    assert "The above exception was the direct cause of the following exception" in text
    assert "RuntimeError: <message hidden: 24 characters>" in text
    assert "in fail\n    int(text)" in text  # the frames are all there
    assert "telegram.error.BadRequest: Message is not modified" in text
    assert "987654321:<token>" in text
    assert TOKEN.split(":")[1] not in text


def test_records_made_elsewhere_are_cleaned_by_the_root_handlers_filter() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    factory = logging.getLogRecordFactory()
    root.addHandler(handler)
    try:
        logprivacy.protect_logs()  # puts its filter on the handlers already there
        assert any(isinstance(f, logprivacy.PrivateLogFilter) for f in handler.filters)
        # e.g. a record sent over a socket and rebuilt: made without the factory's args
        record = logging.makeLogRecord(
            {"name": "telegram.Bot", "msg": "Webhook received data: %s", "args": (PHONE,)}
        )
        handler.handle(record)
        bad = logging.makeLogRecord({"name": "x", "msg": "%s and %s", "args": (PHONE,)})
        handler.handle(bad)  # logging would print the arguments as they are on stderr
    finally:
        root.removeHandler(handler)
        logging.setLogRecordFactory(factory)
    text = out.getvalue()
    assert PHONE not in text
    assert "Webhook received data: <hidden>" in text


@pytest.mark.parametrize(
    ("data", "described"),
    [
        ({"message": {**MESSAGE, "text": "/sos@rotabot now"}}, "message: command /sos, private"),
        ({"message": {**MESSAGE, "text": "bluebell"}}, "message: text, private"),
        ({"edited_message": {**MESSAGE, "text": "/invite x", "edit_date": 1}}, "edited_message"),
        (
            {"message": {**MESSAGE, "location": {"latitude": 51.5, "longitude": -0.1}}},
            "message: location, private chat",
        ),
        (
            {
                "callback_query": {
                    "id": "9",
                    "from": MESSAGE["from"],
                    "chat_instance": "c",
                    "data": "ci:o:42",
                    "message": {**MESSAGE, "text": "Check-in"},
                }
            },
            "callback_query: ci, private chat",
        ),
    ],
)
def test_an_update_is_described_by_id_and_kind(data: dict[str, object], described: str) -> None:
    text = logprivacy.describe_update(_update(data))
    assert text.startswith("update 77 (")
    assert described in text
    assert "bluebell" not in text
    assert "51.5" not in text
    assert "now" not in text


async def test_database_errors_do_not_quote_statement_arguments(engine: AsyncEngine) -> None:
    with pytest.raises(SQLAlchemyError) as caught:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO nowhere VALUES (:phone)"), {"phone": PHONE})
    assert PHONE not in str(caught.value)
    assert "SQL parameters hidden" in str(caught.value)


# ------------------------------------------------------------------ the command, -v


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


async def test_verbose_check_logs_no_token(tmp_path: Path, tg: FakeTelegram) -> None:
    env = clean_env(
        tmp_path,
        TELEGRAM_API_BASE_URL=tg.base_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=sqlite_url(tmp_path / "x.db"),
        ROTABOT_ADMIN_IDS="999001",
    )
    result = await rotabot_async("-v", "check", env=env, cwd=tmp_path)
    assert result.code == 0, result.describe()
    assert "Calling Bot API endpoint `getMe`" in result.stderr  # it did log at DEBUG
    assert "bot987654321:<token>" in result.stderr
    assert TOKEN.split(":")[1] not in result.stdout + result.stderr
