"""A fake Telegram Bot API server, so end-to-end tests run a real PTB bot without the internet.

The server speaks the real wire format (form, multipart and JSON requests; ``{"ok": ...}``
answers) and reproduces the errors Telegram really returns, because those errors are exactly
what a bot gets wrong in production: unescaped HTML, edits that change nothing, oversized
callback data, users who blocked the bot, flood limits. This module is the HTTP side: routing,
the call log, injected failures and flood limits; the chat state is ``state.World`` and the
methods are in ``methods/``.
"""

# The waiting helpers take ``timeout`` on purpose: tests read better as wait_for(..., timeout=2).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .limits import ChatKey, FloodLimits
from .methods import METHODS, Handler
from .params import decode_value
from .records import Call, UploadedFile
from .state import World
from .wire import (
    BAD_GATEWAY,
    DEFAULT_TOKEN,
    JSON,
    MAX_UPLOAD_BYTES,
    METHOD_NOT_FOUND,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    bad,
)

_ROUTES: dict[str, tuple[str, Handler]] = {name.lower(): (name, h) for name, h in METHODS.items()}


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None


class FakeTelegram(World):
    """The fake Bot API: an aiohttp server on 127.0.0.1 plus the chat state tests assert on."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        strict: bool = False,
        clock: Callable[[], float] = time.time,
        bot_username: str = "rotabot_test_bot",
        bot_first_name: str = "Rota Bot",
    ) -> None:
        head = token.split(":", 1)[0]
        super().__init__(
            clock=clock,
            bot_id=int(head) if head.isdigit() else 123456789,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
        )
        self.token = token
        self.strict = strict  # apply Telegram's flood limits (429 with retry_after)

        self.calls: list[Call] = []
        self.unknown_calls: list[Call] = []
        self.internal_errors: list[Exception] = []  # bugs in the fake itself; should stay empty
        self.rate_limited: list[tuple[str, ChatKey | None]] = []

        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, tuple[float, bool]] = {}
        self._outage = False
        self._limits = FloodLimits()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeTelegram:
        """Serve on 127.0.0.1 with an OS-chosen port, so parallel test runs never collide."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        addresses = runner.addresses
        if not addresses:
            await runner.cleanup()
            raise RuntimeError("fake Telegram server did not open a socket")
        self._port = int(addresses[0][1])
        self._runner = runner
        self.closing = False
        return self

    async def stop(self) -> None:
        """Release open long polls first so shutdown does not wait for their timeout."""
        self.closing = True
        self.updates_signal.fire()
        self.state_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (only known once started)."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started; await tg.start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url()``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def api_url(self) -> str:
        """The full method prefix, for tests that post with a plain HTTP client."""
        return f"{self.base_url}{self.token}"

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with this error."""
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(count):
            queue.append(_Failure(status, description, retry_after))

    def set_outage(self, on: bool, *, include_updates: bool = False) -> None:
        """Telegram is down: everything answers 502 (getUpdates too if include_updates)."""
        self._outage = on
        self.updates_outage = on and include_updates
        self.updates_signal.fire()

    def set_delay(self, method: str, seconds: float, *, before: bool = False) -> None:
        """Answer ``method`` late; by default the effect happens first, like a slow network.

        With ``before=True`` the server waits before acting, so a client that gives up early
        leaves no trace. ``seconds=0`` removes the delay.
        """
        if seconds <= 0:
            self._delays.pop(method.lower(), None)
        else:
            self._delays[method.lower()] = (seconds, before)

    # ---------------------------------------------------------------- the call log

    async def wait_for_call(self, method: str, *, timeout: float = 15.0, after: int = 0) -> Call:
        """The first finished call of ``method`` at index >= ``after`` in ``tg.calls``."""

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method == method and call.status:
                    return call
            return None

        found = await self.state_signal.wait_until(find, timeout)
        if found is None:
            seen = sorted({c.method for c in self.calls})
            raise AssertionError(f"{method} was not called within {timeout}s; calls: {seen}")
        return found

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of one method."""
        return [c for c in self.calls if c.method == method]

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        call = Call(method=request.path, params={}, at=time.monotonic())
        self.calls.append(call)
        match = re.fullmatch(r"bot([^/]+)/([A-Za-z0-9_]+)/?", request.match_info["tail"])
        if match is None:
            return self._finish(call, ApiError(404, NOT_FOUND).body(), 404)
        token, method = match.groups()
        known = _ROUTES.get(method.lower())
        call.method = known[0] if known else method
        try:
            params, files = await self._read_params(request)
        except ApiError as exc:
            return self._finish(call, exc.body(), exc.status)
        call.params, call.files = params, files

        if token != self.token:
            return self._finish(call, ApiError(401, UNAUTHORIZED).body(), 401)
        if known is None:
            self.unknown_calls.append(call)
            return self._finish(call, ApiError(404, METHOD_NOT_FOUND).body(), 404)

        delay, before = self._delays.get(method.lower(), (0.0, False))
        if delay and before:
            await asyncio.sleep(delay)
        try:
            result = await self._dispatch(call.method, known[1], params)
        except ApiError as exc:
            body, status = exc.body(), exc.status
        except Exception as exc:  # a bug in the fake: answer like a server error, keep it visible
            self.internal_errors.append(exc)
            body, status = ApiError(500, f"Internal Server Error: {exc!r}").body(), 500
        else:
            body, status = {"ok": True, "result": result}, 200
        if delay and not before:
            await asyncio.sleep(delay)
        return self._finish(call, body, status)

    def _finish(self, call: Call, body: JSON, status: int) -> web.Response:
        call.status = status
        self.state_signal.fire()
        return web.json_response(body, status=status)

    async def _dispatch(self, method: str, handler: Handler, params: JSON) -> Any:
        """Outage, injected failures and flood limits come before the method itself."""
        is_updates = method == "getUpdates"
        if self._outage and (not is_updates or self.updates_outage):
            raise ApiError(502, BAD_GATEWAY)
        failures = self._failures.get(method.lower())
        if failures:
            failure = failures.popleft()
            raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)
        if self.strict and FloodLimits.applies_to(method):
            self._take_flood_token(method, params)
        return await handler(self, params)

    def _take_flood_token(self, method: str, params: JSON) -> None:
        chat_key: ChatKey | None = None
        value = params.get("chat_id")
        if value is not None and value != "":
            try:
                chat_key = int(value)
            except (TypeError, ValueError):
                chat_key = str(value)
        chat = self.chats.get(chat_key) if isinstance(chat_key, int) else None
        private = chat.type == "private" if chat else isinstance(chat_key, int) and chat_key > 0
        try:
            self._limits.take(chat_key, private=private, now=time.monotonic())
        except ApiError:
            self.rate_limited.append((method, chat_key))
            raise

    async def _read_params(self, request: web.Request) -> tuple[JSON, list[UploadedFile]]:
        """Accept form, multipart and JSON bodies (plus query strings) like Telegram does."""
        raw: JSON = dict(request.query)
        files: list[UploadedFile] = []
        try:
            if request.content_type == "application/json":
                body = await request.read()
                if body.strip():
                    data = json.loads(body)
                    if not isinstance(data, dict):
                        raise bad("Bad Request: request body must be a JSON object")
                    raw.update(data)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data_bytes = value.file.read()
                        upload = UploadedFile(
                            name=key,
                            filename=value.filename,
                            size=len(data_bytes),
                            content_type=value.content_type,
                            data=data_bytes,
                        )
                        files.append(upload)
                        raw[key] = upload
                    else:
                        raw[key] = value
        except ApiError:
            raise
        except Exception as exc:
            raise bad(f"Bad Request: can't parse request body: {exc}") from exc
        params = {key: decode_value(key, value) for key, value in raw.items()}
        by_name = {f.name: f for f in files}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                attached = by_name.get(value.removeprefix("attach://"))
                if attached is not None:
                    params[key] = attached
        return params, files
