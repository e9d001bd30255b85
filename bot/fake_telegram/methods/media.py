"""Locations and files: sendLocation and its live edits, sendDocument and sendPhoto."""

from __future__ import annotations

from ..keyboards import check_markup
from ..params import float_param
from ..state import World
from ..wire import CANT_BE_EDITED, JSON, LIVE_FOREVER, NOT_MODIFIED, bad
from .common import add_message, caption, chat_for_send, file_param, message_to_edit


def _coordinates(params: JSON) -> tuple[float, float]:
    latitude = float_param(params, "latitude")
    longitude = float_param(params, "longitude")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise bad("Bad Request: wrong location specified")
    return latitude, longitude


async def send_location(world: World, params: JSON) -> JSON:
    """A point on the map; with live_period one the bot may move until it expires."""
    chat = chat_for_send(world, params)
    latitude, longitude = _coordinates(params)
    live_period = params.get("live_period")
    if live_period is not None:
        live_period = int(live_period)
        if not (60 <= live_period <= 86400 or live_period == LIVE_FOREVER):
            raise bad("Bad Request: wrong live period specified")
    msg = add_message(
        world,
        chat,
        params,
        kind="location",
        latitude=latitude,
        longitude=longitude,
        live_period=live_period,
        reply_markup=check_markup(params.get("reply_markup")),
    )
    return world.message_dict(msg)


async def edit_message_live_location(world: World, params: JSON) -> JSON:
    """Move a live location the bot sent; a plain or expired one can't be edited."""
    msg = message_to_edit(world, params)
    if msg.kind != "location" or msg.live_period is None:
        raise bad(CANT_BE_EDITED)
    if msg.live_period != LIVE_FOREVER and world.clock() > msg.date + msg.live_period:
        raise bad(CANT_BE_EDITED)
    latitude, longitude = _coordinates(params)
    if (latitude, longitude) == (msg.latitude, msg.longitude):
        raise bad(NOT_MODIFIED)
    msg.latitude, msg.longitude = latitude, longitude
    world.mark_edited(msg, params)
    return world.message_dict(msg)


async def _send_file(world: World, params: JSON, kind: str) -> JSON:
    chat = chat_for_send(world, params)
    file_id, upload = file_param(world, params, kind)
    raw, text, entities = caption(params)
    msg = add_message(
        world,
        chat,
        params,
        kind=kind,
        text=text,
        raw_text=raw,
        parse_mode=params.get("parse_mode"),
        entities=entities,
        reply_markup=check_markup(params.get("reply_markup")),
        file_id=file_id,
        filename=upload.filename if upload else None,
        file_size=upload.size if upload else None,
        mime_type=upload.content_type if upload else None,
    )
    return world.message_dict(msg)


async def send_document(world: World, params: JSON) -> JSON:
    """A file (the bot's CSV exports and reports), kept so tests can read it back."""
    return await _send_file(world, params, "document")


async def send_photo(world: World, params: JSON) -> JSON:
    """A picture (the report charts)."""
    return await _send_file(world, params, "photo")
