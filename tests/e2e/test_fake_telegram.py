"""Tests of the fake Telegram server itself, driven by a real python-telegram-bot Application.

If the fake drifts from the real wire format, PTB fails to parse its answers here long before
the project's own end-to-end tests give confusing results.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import (
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageOriginUser,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.fake_telegram import ApiError, FakeTelegram, FakeUser, parse_html
from bot.fake_telegram.limits import FloodLimits

pytestmark = pytest.mark.e2e

AnyApp = Application[Any, Any, Any, Any, Any, Any]

# PTB strips "Bad Request: " / "Forbidden: " and capitalizes the rest (lower-casing "ID",
# "BUTTON_DATA_INVALID", ...), so error texts below are matched case-insensitively. The exact
# wire text is asserted with a plain HTTP client where it matters.


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    assert fake.internal_errors == []  # the fake itself never crashed on a request


# ---------------------------------------------------------------- a tiny bot


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"You said: {update.effective_message.text}")


async def buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Monday", callback_data="pick:mon"),
                InlineKeyboardButton("Tuesday", callback_data="pick:tue"),
            ],
            [InlineKeyboardButton("Rules", url="https://example.org/rules")],
        ]
    )
    await update.effective_message.reply_text("Pick a day", reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    if not query.data.startswith("pick:"):
        await query.answer("That button is no longer valid", show_alert=True)
        return
    day = query.data.removeprefix("pick:")
    await query.answer(f"Picked {day}")
    await query.edit_message_text(f"You picked {day}")


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.contact is not None
    await message.reply_text(f"Phone {message.contact.phone_number} of {message.contact.user_id}")


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    assert message.location is not None
    edited = "moved" if update.edited_message else "at"
    await message.reply_text(f"{edited} {message.location.latitude},{message.location.longitude}")


def build_app(tg: FakeTelegram) -> AnyApp:
    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@asynccontextmanager
async def running(tg: FakeTelegram) -> AsyncIterator[AnyApp]:
    app = build_app(tg)
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@pytest.fixture
async def app(tg: FakeTelegram) -> AsyncIterator[AnyApp]:
    async with running(tg) as application:
        yield application


@pytest.fixture
def alice(tg: FakeTelegram) -> FakeUser:
    return tg.user("Alice", last_name="Walker", username="alice")


# ---------------------------------------------------------------- conversations


async def test_echo_round_trip(tg: FakeTelegram, app: AnyApp, alice: FakeUser) -> None:
    sent = await alice.send("hello there")

    reply = await alice.wait_for("You said: hello there", after=sent["message_id"])

    assert reply.chat_id == alice.chat_id
    assert reply.message_id == sent["message_id"] + 1  # ids are shared per chat
    call = tg.calls_to("sendMessage")[0]
    assert call.status == 200
    assert call.params["chat_id"] == alice.chat_id  # form strings decoded to int
    assert tg.calls_to("getMe")
    assert tg.calls_to("deleteWebhook")
    assert tg.unknown_calls == []


async def test_command_entity_covers_command_with_bot_name(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    sent = await alice.send(f"/buttons@{tg.bot_username} now")

    assert sent["entities"] == [
        {"type": "bot_command", "offset": 0, "length": len(f"/buttons@{tg.bot_username}")}
    ]
    message = await alice.wait_for("Pick a day")
    assert message.button_texts == ["Monday", "Tuesday", "Rules"]


async def test_button_tap_edits_message_and_returns_answer(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    await alice.send("/buttons")
    message = await alice.wait_for("Pick a day")

    answer = await alice.tap("Tuesday")

    assert answer.text == "Picked tue"
    assert answer.show_alert is False
    edited = await alice.wait_for("You picked tue")
    assert edited is message  # the same message, edited in place
    assert message.edited == 1
    assert message.edit_date is not None
    assert message.buttons == []  # editMessageText without reply_markup drops the keyboard
    update = next(c for c in tg.calls_to("answerCallbackQuery"))
    assert update.params["text"] == "Picked tue"


async def test_forged_callback_data_gets_an_alert(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("/buttons")
    message = await alice.wait_for("Pick a day")

    answer = await alice.press_data(message, "stale:123")

    assert answer.show_alert is True
    assert answer.text == "That button is no longer valid"


async def test_tap_missing_button_lists_existing_ones(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("/buttons")
    await alice.wait_for("Pick a day")

    with pytest.raises(AssertionError, match=r"Monday.*Tuesday"):
        await alice.tap("Wednesday")
    with pytest.raises(AssertionError, match="opens 'https://example.org/rules'"):
        await alice.tap("Rules")


async def test_unanswered_callback_query_fails_the_tap(tg: FakeTelegram, alice: FakeUser) -> None:
    await alice.send("hi")  # started, but no bot is running to answer
    message_dict = await tg_send(tg, alice, "Choose", callback_data="x")
    message = tg.message(alice.chat_id, message_dict["message_id"])

    with pytest.raises(AssertionError, match="never answered callback query"):
        await alice.tap("Go", message=message, timeout=0.2)


async def test_group_messages_and_taps(tg: FakeTelegram, app: AnyApp, alice: FakeUser) -> None:
    group = tg.group("Night shift", members=[alice])
    await alice.send_in(group, "/buttons")
    message = await group.wait_for("Pick a day")

    answer = await alice.tap("Monday", message=message)

    assert answer.text == "Picked mon"
    assert await group.wait_for("You picked mon") is message  # answered first, then edited
    assert group.chat_id < 0
    assert alice.messages() == []  # nothing leaked into the private chat
    assert not alice.started  # writing in a group does not open a private chat


async def test_contact_location_and_live_location_updates(app: AnyApp, alice: FakeUser) -> None:
    await alice.share_contact("+447700900123")
    await alice.wait_for(f"Phone +447700900123 of {alice.id}")

    await alice.share_location(51.5, -0.12, live_period=900)
    await alice.wait_for("at 51.5,-0.12")

    await alice.update_live_location(51.6, -0.13)
    await alice.wait_for("moved 51.6,-0.13")


async def test_dates_follow_an_injected_clock() -> None:
    now = [1_700_000_000.0]
    async with FakeTelegram(clock=lambda: now[0]) as tg:
        alice = tg.user("Alice")
        async with running(tg) as app:
            sent = await alice.send("tick")
            reply = await alice.wait_for("You said: tick")
            assert sent["date"] == 1_700_000_000
            assert reply.date == 1_700_000_000

            now[0] += 3600
            message = await app.bot.send_message(alice.chat_id, "an hour later")
            assert message.date == dtm.datetime.fromtimestamp(1_700_003_600, tz=dtm.UTC)
            assert alice.last().date == 1_700_003_600


# ---------------------------------------------------------------- Telegram's errors


async def test_forbidden_for_user_who_never_started(tg: FakeTelegram, app: AnyApp) -> None:
    bob = tg.user("Bob")

    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await app.bot.send_message(bob.chat_id, "hello?")

    assert tg.calls_to("sendMessage")[-1].status == 403
    assert bob.messages() == []


async def test_forbidden_for_blocked_user(tg: FakeTelegram, app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    await alice.wait_for("You said: hi")
    tg.block(alice)

    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await app.bot.send_message(alice.chat_id, "reminder")
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await app.bot.send_location(alice.chat_id, latitude=1.0, longitude=2.0)

    tg.unblock(alice)
    await app.bot.send_message(alice.chat_id, "welcome back")
    assert alice.last().text == "welcome back"


async def test_unknown_chat_is_not_found(app: AnyApp) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await app.bot.send_message(987654321, "anyone?")


async def test_text_empty_and_too_long(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")

    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await app.bot.send_message(alice.chat_id, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await app.bot.send_message(alice.chat_id, "x" * 4097)
    # 4096 visible characters are fine even when the HTML source is longer
    await app.bot.send_message(alice.chat_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")


async def test_message_not_modified_and_edit_not_found(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    await alice.send("hi")
    sent = await app.bot.send_message(alice.chat_id, "Shift at <b>9</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await app.bot.edit_message_text(
            "Shift at <b>9</b>",
            chat_id=alice.chat_id,
            message_id=sent.message_id,
            parse_mode="HTML",
        )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await app.bot.edit_message_reply_markup(chat_id=alice.chat_id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await app.bot.edit_message_text("x", chat_id=alice.chat_id, message_id=999)

    # the same words without bold are a different content
    await app.bot.edit_message_text(
        "Shift at 9", chat_id=alice.chat_id, message_id=sent.message_id
    )
    assert tg.message(alice.chat_id, sent.message_id).edited == 1


async def test_callback_data_over_64_bytes_rejected(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    too_long = "é" * 32 + "x"  # 33 characters but 65 bytes in UTF-8
    assert len(too_long.encode()) == 65

    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await app.bot.send_message(
            alice.chat_id,
            "Pick",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("A", callback_data=too_long)]]
            ),
        )
    await app.bot.send_message(
        alice.chat_id,
        "Pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="é" * 32)]]),
    )
    assert alice.last().buttons[0][0].callback_data == "é" * 32


async def test_malformed_keyboard_rejected(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    for markup in (
        {"inline_keyboard": [{"text": "not in a row", "callback_data": "a"}]},
        {"inline_keyboard": [[{"text": "no action"}]]},
        {"inline_keyboard": [[{"text": "two", "callback_data": "a", "url": "https://x.org"}]]},
    ):
        with pytest.raises(BadRequest, match="(?i)can't parse reply keyboard markup JSON object"):
            await app.bot._post(
                "sendMessage", {"chat_id": alice.chat_id, "text": "x", "reply_markup": markup}
            )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>unclosed", 'start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo"'),
        ("1 < 2", "byte offset 2"),
        ("Tom & Jerry", "byte offset 4"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("<br>", 'Unsupported start tag "br"'),
    ],
)
async def test_html_parse_errors(app: AnyApp, alice: FakeUser, text: str, detail: str) -> None:
    await alice.send("hi")

    with pytest.raises(BadRequest, match="(?i)can't parse entities") as caught:
        await app.bot.send_message(alice.chat_id, text, parse_mode="HTML")
    assert detail.lower() in str(caught.value).lower()


async def test_html_is_stored_as_plain_text_with_entities(app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    source = 'Hi <b>Bob</b> &amp; <a href="https://x.org/?a=1&amp;b=2">you</a> 1 &lt; 2 &#128512;'

    sent = await app.bot.send_message(alice.chat_id, source, parse_mode="HTML")

    assert sent.text == "Hi Bob & you 1 < 2 \U0001f600"
    assert (
        sent.text_html
        == 'Hi <b>Bob</b> &amp; <a href="https://x.org/?a=1&b=2">you</a> 1 &lt; 2 😀'
    )
    stored = alice.last()
    assert stored.text == sent.text
    assert stored.raw_text == source
    assert stored.parse_mode == "HTML"
    assert [e["type"] for e in stored.entities] == ["bold", "text_link"]


def test_code_language_moves_to_the_enclosing_pre() -> None:
    text, entities = parse_html('<pre><code class="language-py">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "py"}]


@pytest.mark.parametrize("mode", ["MarkdownV2", "Markdown"])
async def test_markdown_is_refused_as_a_gap_in_the_fake(
    tg: FakeTelegram, alice: FakeUser, mode: str
) -> None:
    # The bot sends HTML only, so the fake models HTML only. A Markdown message must fail
    # loudly (a 500 and an internal error), never pass as plain text or get a 400 that real
    # Telegram would not send.
    await alice.send("hi")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{tg.api_url}/sendMessage",
            data={"chat_id": alice.chat_id, "text": "*Shift* at 9", "parse_mode": mode},
        )
    assert response.status_code == 500
    assert "parses HTML only" in response.json()["description"]
    assert alice.messages() == []
    assert [type(e) for e in tg.internal_errors] == [NotImplementedError]
    tg.internal_errors.clear()  # expected here; the fixture checks nothing else went wrong


async def test_unknown_parse_mode_is_a_bad_request(tg: FakeTelegram, alice: FakeUser) -> None:
    await alice.send("hi")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{tg.api_url}/sendMessage",
            data={"chat_id": alice.chat_id, "text": "x", "parse_mode": "BBCode"},
        )
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: unsupported parse_mode 'BBCode'"
    assert alice.messages() == []


async def test_answer_callback_query_twice_is_too_old(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    await alice.send("/buttons")
    await alice.wait_for("Pick a day")
    await alice.tap("Monday")
    query_id = tg.calls_to("answerCallbackQuery")[0].params["callback_query_id"]

    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await app.bot.answer_callback_query(query_id, text="again")
    with pytest.raises(BadRequest, match="(?i)query ID is invalid"):
        await app.bot.answer_callback_query("12345")


async def test_strict_mode_rate_limits_private_chat(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after without a deprecation
    await alice.send("hi")
    await alice.wait_for("You said: hi")
    tg.strict = True

    for n in range(3):
        await app.bot.send_message(alice.chat_id, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(alice.chat_id, "one too many")

    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert tg.rate_limited == [("sendMessage", alice.chat_id)]
    last = tg.calls_to("sendMessage")[-1]
    assert last.status == 429
    tg.strict = False
    await app.bot.send_message(alice.chat_id, "fine again")


async def test_strict_group_limit_is_twenty_a_minute() -> None:
    fake = FakeTelegram(strict=True)
    async with fake:
        group = fake.group("Everyone")
        async with httpx.AsyncClient() as client:
            statuses = []
            for n in range(21):
                response = await client.post(
                    f"{fake.api_url}/sendMessage", data={"chat_id": group.chat_id, "text": str(n)}
                )
                statuses.append(response.status_code)
            body = response.json()
    assert statuses == [200] * 20 + [429]
    retry_after = body["parameters"]["retry_after"]
    assert 1 <= retry_after <= 3  # one token every 3 seconds
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    assert fake.rate_limited == [("sendMessage", group.chat_id)]


def test_flood_limits_refill_with_time_and_cap_the_whole_bot() -> None:
    limits = FloodLimits()
    for _ in range(3):
        limits.take(1001, private=True, now=0.0)
    with pytest.raises(ApiError) as caught:
        limits.take(1001, private=True, now=0.0)
    assert (caught.value.status, caught.value.retry_after) == (429, 1)
    limits.take(1001, private=True, now=1.0)  # one token back after a second

    everyone = FloodLimits()
    for chat in range(30):  # 30 different chats in the same instant: the global cap
        everyone.take(2000 + chat, private=True, now=5.0)
    with pytest.raises(ApiError, match="Too Many Requests"):
        everyone.take(3000, private=True, now=5.0)
    assert not FloodLimits.applies_to("sendChatAction")
    assert not FloodLimits.applies_to("getUpdates")
    assert FloodLimits.applies_to("editMessageText")


async def test_exact_error_bodies_on_the_wire(tg: FakeTelegram, alice: FakeUser) -> None:
    await alice.send("hi")
    sent = await tg_send(tg, alice, "Same")
    edit = {"chat_id": alice.chat_id, "message_id": sent["message_id"], "text": "Same"}
    long_data = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}
    async with httpx.AsyncClient() as client:
        not_modified = await client.post(f"{tg.api_url}/editMessageText", json=edit)
        bad_button = await client.post(
            f"{tg.api_url}/sendMessage",
            json={"chat_id": alice.chat_id, "text": "x", "reply_markup": long_data},
        )
        bad_html = await client.post(
            f"{tg.api_url}/sendMessage",
            data={"chat_id": alice.chat_id, "text": "a <b", "parse_mode": "HTML"},
        )
    assert not_modified.status_code == 400
    assert not_modified.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is not modified: specified new message content "
        "and reply markup are exactly the same as a current content and reply markup of the "
        "message",
    }
    assert bad_button.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    assert bad_html.json()["description"].startswith("Bad Request: can't parse entities: ")


async def test_fail_next(tg: FakeTelegram, app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    tg.fail_next("sendMessage", 500, "Internal Server Error", count=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await app.bot.send_message(alice.chat_id, "try")
    await app.bot.send_message(alice.chat_id, "third time lucky")

    assert [c.status for c in tg.calls_to("sendMessage")][-3:] == [500, 500, 200]
    assert [m.text for m in alice.messages()][-1] == "third time lucky"


async def test_fail_next_with_retry_after(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await alice.send("hi")
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(alice.chat_id, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)


async def test_outage(tg: FakeTelegram, app: AnyApp, alice: FakeUser) -> None:
    await alice.send("hi")
    await alice.wait_for("You said: hi")
    tg.set_outage(True)

    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.send_message(alice.chat_id, "down")
    await alice.send("still polling")  # getUpdates keeps working unless include_updates

    tg.set_outage(False)
    await alice.wait_for("You said: still polling", timeout=3)
    assert any(c.status == 502 for c in tg.calls)


async def test_outage_including_updates(tg: FakeTelegram) -> None:
    tg.set_outage(True, include_updates=True)
    async with httpx.AsyncClient() as client:
        down = await client.post(f"{tg.api_url}/getUpdates", data={"timeout": "0"})
        tg.set_outage(False)
        up = await client.post(f"{tg.api_url}/getUpdates", data={"timeout": "0"})
    assert down.status_code == 502
    assert down.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert up.json() == {"ok": True, "result": []}


async def test_delay_makes_the_client_time_out(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    await alice.send("hi")
    tg.set_delay("sendMessage", 0.5)

    with pytest.raises(TimedOut):
        await app.bot.send_message(alice.chat_id, "slow", read_timeout=0.1)

    # as with real Telegram, the message was delivered even though the answer came too late
    assert (await alice.wait_for("slow")).text == "slow"


async def test_unknown_method_recorded(tg: FakeTelegram, app: AnyApp) -> None:
    with pytest.raises(InvalidToken, match="method not found"):  # PTB maps 404 to InvalidToken
        await app.bot._post("fooBar", {"x": 1})

    assert [c.method for c in tg.unknown_calls] == ["fooBar"]
    assert tg.unknown_calls[0].params == {"x": "1"}
    assert tg.unknown_calls[0].status == 404


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{tg.base_url}123:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_multipart_send_document_recorded(
    tg: FakeTelegram, app: AnyApp, alice: FakeUser
) -> None:
    await alice.send("hi")
    content = b"day,walker\nmon,alice\n"

    sent = await app.bot.send_document(
        alice.chat_id,
        document=content,
        filename="rota.csv",
        caption="This week's <b>rota</b>",
        parse_mode="HTML",
    )

    call = tg.calls_to("sendDocument")[-1]
    assert [(f.name, f.filename, f.size) for f in call.files] == [
        ("document", "rota.csv", len(content))
    ]
    stored = alice.last()
    assert stored.kind == "document"
    assert (stored.filename, stored.file_size) == ("rota.csv", len(content))
    assert stored.text == "This week's rota"
    assert sent.document is not None
    assert sent.document.file_name == "rota.csv"
    assert sent.caption == "This week's rota"

    photo = await app.bot.send_photo(alice.chat_id, photo=b"\x89PNG fake", filename="map.png")
    assert photo.photo
    assert alice.last().kind == "photo"


async def test_json_and_form_bodies_are_both_accepted(tg: FakeTelegram, alice: FakeUser) -> None:
    await alice.send("hi")
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    async with httpx.AsyncClient() as client:
        as_json = await client.post(
            f"{tg.api_url}/sendMessage",
            json={"chat_id": alice.chat_id, "text": "json", "reply_markup": markup},
        )
        as_form = await client.post(
            f"{tg.api_url}/sendMessage",
            data={"chat_id": str(alice.chat_id), "text": "form", "reply_markup": str(markup)},
        )
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.status_code == 400  # str(dict) is not JSON: Telegram refuses it too
    assert as_form.json()["description"] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )


async def test_long_poll_waits_and_offset_acknowledges(tg: FakeTelegram, alice: FakeUser) -> None:
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(client.post(f"{tg.api_url}/getUpdates", data={"timeout": "2"}))
        await asyncio.sleep(0.1)
        assert not poll.done()  # nothing queued yet: the request is held open
        await alice.send("wake up")
        first = (await asyncio.wait_for(poll, 1)).json()["result"]
        assert [u["message"]["text"] for u in first] == ["wake up"]

        await alice.send("second")
        again = (await client.post(f"{tg.api_url}/getUpdates", data={"offset": "0"})).json()
        assert len(again["result"]) == 2  # not acknowledged yet, so delivered again

        offset = first[0]["update_id"] + 1
        acked = await client.post(f"{tg.api_url}/getUpdates", data={"offset": str(offset)})
        assert [u["message"]["text"] for u in acked.json()["result"]] == ["second"]
        assert len(tg.updates) == 1


async def test_blocking_sends_my_chat_member_update(tg: FakeTelegram, alice: FakeUser) -> None:
    tg.block(alice)

    assert tg.updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    await alice.send("sorry")  # writing to the bot again unblocks it, as clients do
    assert not alice.blocked


async def test_wait_for_timeout_shows_the_chat(tg: FakeTelegram, alice: FakeUser) -> None:
    await alice.send("hi")
    await tg_send(tg, alice, "Something else")

    with pytest.raises(AssertionError, match="Something else"):
        await alice.wait_for("never sent", timeout=0.1)


async def tg_send(
    tg: FakeTelegram, user: FakeUser, text: str, *, callback_data: str | None = None
) -> dict[str, Any]:
    """Send as the bot with a plain HTTP client, for tests that need no running Application."""
    data: dict[str, Any] = {"chat_id": user.chat_id, "text": text}
    if callback_data is not None:
        data["reply_markup"] = {
            "inline_keyboard": [[{"text": "Go", "callback_data": callback_data}]]
        }
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{tg.api_url}/sendMessage", json=data)
    body = response.json()
    assert body["ok"], body
    result: dict[str, Any] = body["result"]
    return result


# ---------------------------------------------------------------- hostile and real clients
# Forwards, edits, groups the bot is added to or leaves, anonymous admins: every update is
# parsed by a real PTB Application, so the shapes are the ones PTB 22 accepts.


@asynccontextmanager
async def recording(
    tg: FakeTelegram, allowed_updates: list[str] | None = None
) -> AsyncIterator[tuple[AnyApp, list[Update]]]:
    """An Application that only records the updates it parsed."""
    seen: list[Update] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(TypeHandler(Update, record))
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=allowed_updates
        )
        try:
            yield app, seen
        finally:
            await app.updater.stop()
            await app.stop()


async def next_update(seen: list[Update], count: int = 1) -> Update:
    """Wait for the `count`-th recorded update and return it."""
    for _ in range(300):
        if len(seen) >= count:
            return seen[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(seen)} update(s) arrived, wanted {count}")


async def test_forwarded_command_is_the_forwarders_and_keeps_its_entity(
    tg: FakeTelegram, alice: FakeUser
) -> None:
    bob = tg.user("Bob", username="bob")
    original = await bob.send("/invite coordinator")

    async with recording(tg) as (_, seen):
        await alice.forward(original)
        update = await next_update(seen, 2)

    message = update.message
    assert message is not None
    assert message.from_user is not None
    assert message.from_user.id == alice.id
    assert message.chat.id == alice.chat_id
    assert isinstance(message.forward_origin, MessageOriginUser)
    assert message.forward_origin.sender_user.id == bob.id
    assert message.forward_origin.date == dtm.datetime.fromtimestamp(original["date"], dtm.UTC)
    assert message.text == "/invite coordinator"
    assert message.entities[0].type == "bot_command"  # a forwarded command still looks like one


async def test_forward_location_venue_contact_and_text(tg: FakeTelegram, alice: FakeUser) -> None:
    bob = tg.user("Bob")
    group = tg.group("Walkers", members=[alice, bob])
    live = await bob.share_location(51.5, -0.12, live_period=900)
    venue = await bob.send_venue(51.51, -0.13, "St Anne's Hall", "55 Dean St")
    contact = await bob.share_contact("+447700900123")

    async with recording(tg) as (_, seen):
        await alice.forward(live)
        await alice.forward(venue)
        await alice.forward(contact, to=group)
        await alice.forward_text("pineapple")
        await alice.forward_text("hello", origin=bob)
        await next_update(seen, 8)  # bob's three, then alice's five

    location, place, card, text, named = (u.message for u in seen[3:])
    assert location is not None
    assert location.location is not None
    assert location.location.live_period is None  # a forwarded live location never moves
    assert place is not None
    assert place.venue is not None
    assert place.location is not None
    assert place.venue.title == "St Anne's Hall"
    assert card is not None
    assert card.contact is not None
    assert card.chat.id == group.chat_id
    assert card.contact.user_id == bob.id
    assert card.from_user is not None
    assert card.from_user.id == alice.id
    assert text is not None
    assert text.text == "pineapple"
    assert isinstance(text.forward_origin, MessageOriginUser)
    assert text.forward_origin.sender_user.id not in tg.users  # someone the bot never saw
    assert named is not None
    assert isinstance(named.forward_origin, MessageOriginUser)
    assert named.forward_origin.sender_user.id == bob.id
    for message in (location, place, card, text):
        assert isinstance(message.forward_origin, MessageOriginUser)
    assert isinstance(location.forward_origin, MessageOriginUser)
    assert location.forward_origin.sender_user.id == bob.id


async def test_a_forward_of_a_forward_keeps_the_first_origin(
    tg: FakeTelegram, alice: FakeUser
) -> None:
    bob, carol = tg.user("Bob"), tg.user("Carol")
    first = await bob.forward_text("from carol", origin=carol)

    again = await alice.forward(first)

    assert again["from"]["id"] == alice.id
    assert again["forward_origin"]["sender_user"]["id"] == carol.id


async def test_venue_carries_a_location(tg: FakeTelegram, alice: FakeUser) -> None:
    async with recording(tg) as (_, seen):
        await alice.send_venue(51.5, -0.1, "Soup kitchen", "1 High St")
        update = await next_update(seen)

    message = update.message
    assert message is not None
    assert message.venue is not None
    assert message.location is not None
    assert (message.location.latitude, message.venue.address) == (51.5, "1 High St")


async def test_editing_a_message_delivers_edited_message_with_new_entities(
    tg: FakeTelegram, alice: FakeUser
) -> None:
    group = tg.group("Walkers", members=[alice])
    plain = await alice.send("hello")
    command = await alice.send("/sos")
    in_group = await alice.send_in(group, "hi all")

    async with recording(tg) as (_, seen):
        await alice.edit(plain, "/invite trained")
        await alice.edit(command, "never mind")
        await alice.edit(in_group, "/postrota")
        await next_update(seen, 6)

    became_command, became_text, group_edit = (u.edited_message for u in seen[3:])
    assert became_command is not None
    assert became_command.text == "/invite trained"
    assert became_command.edit_date is not None
    assert [e.type for e in became_command.entities] == ["bot_command"]
    assert became_command.entities[0].length == len("/invite")
    assert became_text is not None
    assert became_text.text == "never mind"
    assert became_text.entities == ()  # the old command entity is gone
    assert group_edit is not None
    assert group_edit.chat.id == group.chat_id
    assert group_edit.entities[0].type == "bot_command"
    assert seen[3].message is None  # an edit is not a new message


async def test_only_ones_own_text_can_be_edited(tg: FakeTelegram, alice: FakeUser) -> None:
    bob = tg.user("Bob")
    theirs = await bob.send("mine")
    location = await alice.share_location(51.5, -0.1)

    with pytest.raises(AssertionError, match="own messages"):
        await alice.edit(theirs, "hijacked")
    with pytest.raises(AssertionError, match="only text"):
        await alice.edit(location, "text")


async def test_adding_the_bot_to_a_group_arrives_only_when_asked_for(
    tg: FakeTelegram, alice: FakeUser
) -> None:
    async with recording(tg, allowed_updates=["message"]) as (_, seen):
        tg.group_added_by(alice, "Not the team")
        joined = await next_update(seen)
        await asyncio.sleep(0.1)
    assert joined.message is not None  # only the service message: my_chat_member not asked for
    assert [m.id for m in joined.message.new_chat_members] == [tg.bot_id]
    assert len(seen) == 1

    async with recording(tg, allowed_updates=["message", "my_chat_member"]) as (_, seen):
        group = tg.group_added_by(alice, "Another group")
        update = await next_update(seen)

    change = update.my_chat_member
    assert change is not None
    assert change.chat.id == group.chat_id
    assert change.from_user.id == alice.id
    assert change.old_chat_member.status == "left"
    assert change.new_chat_member.status == "member"
    assert change.new_chat_member.user.id == tg.bot_id
    assert not group.bot_left
    assert group.admins == [alice]


async def test_leave_chat_makes_the_group_forbidden_and_silent(
    tg: FakeTelegram, alice: FakeUser
) -> None:
    group = tg.group("Somewhere", members=[alice])
    async with recording(tg) as (app, seen):
        sent = await app.bot.send_message(group.chat_id, "hello")

        assert await app.bot.leave_chat(group.chat_id) is True
        assert group.bot_left
        with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
            await app.bot.send_message(group.chat_id, "still here?")
        with pytest.raises(Forbidden, match="not a member"):
            await app.bot.edit_message_text("edited", group.chat_id, sent.message_id)
        with pytest.raises(BadRequest, match="private chats"):
            await app.bot.leave_chat(alice.chat_id)
        await alice.send_in(group, "/postrota")  # the bot is gone: no update
        await asyncio.sleep(0.1)
        left = [u.my_chat_member for u in seen if u.my_chat_member]
        assert [u for u in seen if u.message] == []

        await group.add_bot(by=alice)
        await alice.send_in(group, "/postrota")
        back = await next_update(seen, len(seen) + 3)  # my_chat_member, service, command

    assert left
    assert left[0].new_chat_member.status == "left"
    assert back.message is not None
    assert back.message.text == "/postrota"
    assert not group.bot_left
    assert [m.text for m in group.messages()] == ["hello"]


async def test_get_chat_administrators(tg: FakeTelegram, alice: FakeUser) -> None:
    bob = tg.user("Bob")
    group = tg.group("Team", members=[bob], admins=[alice])
    async with recording(tg) as (app, _):
        admins = await app.bot.get_chat_administrators(group.chat_id)
        with pytest.raises(BadRequest):
            await app.bot.get_chat_administrators(alice.chat_id)

    assert [(a.user.id, a.status) for a in admins] == [(alice.id, "administrator")]
    assert isinstance(admins[0], ChatMemberAdministrator)


async def test_anonymous_admin_posts_as_the_group(tg: FakeTelegram, alice: FakeUser) -> None:
    bob = tg.user("Bob")
    group = tg.group("Team", members=[bob], admins=[alice])
    async with recording(tg) as (_, seen):
        await alice.send_in(group, "/postrota", anonymous=True)
        update = await next_update(seen)

    message = update.message
    assert message is not None
    assert message.from_user is not None
    assert message.from_user.id == 1087968824
    assert message.from_user.is_bot
    assert message.from_user.username == "GroupAnonymousBot"
    assert message.sender_chat is not None
    assert message.sender_chat.id == group.chat_id
    assert message.entities[0].type == "bot_command"
    with pytest.raises(AssertionError, match="not an admin"):
        await bob.send_in(group, "hi", anonymous=True)
