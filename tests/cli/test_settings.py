"""Settings.from_env: the defaults a new user gets, and one clear message per bad setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import parser
from bot.config import ConfigError, Settings
from rota.kernel.template import example_template_path
from tests.cli.conftest import SHAPED_TOKEN

GOOD = {"TELEGRAM_BOT_TOKEN": SHAPED_TOKEN}


@pytest.fixture(autouse=True)
def in_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty directory, so no rota.toml of the developer is picked up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings(**env: str) -> Settings:
    return Settings.from_env({**GOOD, **env})


def config_error(env: dict[str, str], *, require_token: bool = True) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env, require_token=require_token)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# ------------------------------------------------------------------------------ defaults


def test_defaults_for_a_new_user() -> None:
    s = Settings.from_env(GOOD)
    assert s.token == SHAPED_TOKEN
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.database_url == "sqlite:///rotabot.db"
    assert s.timezone == "Europe/London"
    assert s.admin_ids == frozenset()
    assert s.team_chat_id is None
    assert s.template_path == example_template_path()
    assert [spec.key for spec in s.template.sessions] == ["wednesday"]
    assert [r.key for r in s.template.roles] == ["lead", "walker", "dropin", "oncall"]


def test_empty_values_mean_the_defaults() -> None:
    blank = dict.fromkeys(
        [
            "TELEGRAM_API_BASE_URL",
            "DATABASE_URL",
            "ROTABOT_CONFIG",
            "ROTABOT_TIMEZONE",
            "ROTABOT_ADMIN_IDS",
            "ROTABOT_TEAM_CHAT_ID",
        ],
        "  ",
    )
    assert settings(**blank) == Settings.from_env(GOOD)


def test_a_rota_toml_in_the_working_directory_wins_over_the_example(in_empty_dir: Path) -> None:
    text = (
        example_template_path()
        .read_text(encoding="utf-8")
        .replace('weekday = "wednesday"', 'weekday = "friday"')
    )
    (in_empty_dir / "rota.toml").write_text(text, encoding="utf-8")
    s = settings()
    assert s.template_path == Path("rota.toml")
    assert s.template.sessions[0].weekday == 4


def test_token_is_optional_when_not_required() -> None:
    s = Settings.from_env({}, require_token=False)
    assert s.token is None


def test_values_are_trimmed() -> None:
    s = settings(
        TELEGRAM_BOT_TOKEN=f"  {SHAPED_TOKEN}\n",
        ROTABOT_TIMEZONE=" Europe/Paris ",
        ROTABOT_TEAM_CHAT_ID=" -1001234567890 ",
    )
    assert s.token == SHAPED_TOKEN
    assert s.timezone == "Europe/Paris"
    assert s.team_chat_id == -1001234567890


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("123456789", {123456789}),
        ("123, 456 ,789", {123, 456, 789}),
        (" 1,2,,3, ", {1, 2, 3}),
        ("11;22; 33", {11, 22, 33}),
        ("5,5", {5}),
    ],
)
def test_admin_ids_parse(raw: str, ids: set[int]) -> None:
    assert settings(ROTABOT_ADMIN_IDS=raw).admin_ids == frozenset(ids)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///x.db",
        "sqlite:////var/lib/rotabot/rota.db",
        "sqlite+aiosqlite:///x.db",
        "postgresql://u@h/db",
        "postgresql://user:secret@db.example.org:5432/rota",
        "postgresql+asyncpg://u@h/db",
        "postgres://u@h/db",
    ],
)
def test_accepted_database_urls(url: str) -> None:
    assert settings(DATABASE_URL=url).database_url == url


def test_an_explicit_template_is_loaded(in_empty_dir: Path) -> None:
    path = in_empty_dir / "ours.toml"
    path.write_text(example_template_path().read_text(encoding="utf-8"), encoding="utf-8")
    s = settings(ROTABOT_CONFIG=str(path))
    assert s.template_path == path
    assert s.template.role("walker") is not None


# ------------------------------------------------------------------------------ bad values


def test_missing_token_names_the_setting() -> None:
    message = config_error({})
    assert message.startswith("TELEGRAM_BOT_TOKEN")
    assert "@BotFather" in message


def test_commands_suggested_for_a_missing_token_exist() -> None:
    """The missing-token message is a new user's first contact; its advice must work."""
    message = config_error({})
    subcommands = next(a for a in parser()._actions if a.dest == "command").choices
    assert subcommands is not None
    for suggested in re.findall(r"`rotabot (\w+)", message):
        assert suggested in subcommands, f"{message!r} suggests `rotabot {suggested}`"


def test_blank_token_counts_as_missing() -> None:
    assert config_error({"TELEGRAM_BOT_TOKEN": "   "}).startswith("TELEGRAM_BOT_TOKEN")


@pytest.mark.parametrize("token", ["abc", "123456 ABC", "123456:AB C"])
def test_malformed_token(token: str) -> None:
    # Checked even when the token is optional: a wrong one is never silently ignored.
    for required in (True, False):
        message = config_error({"TELEGRAM_BOT_TOKEN": token}, require_token=required)
        assert message.startswith("TELEGRAM_BOT_TOKEN")


# (setting, value, words the message must contain besides the setting's name)
BAD_VALUES = [
    ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot", ["http://"]),
    ("ROTABOT_TIMEZONE", "Mars/Olympus", ["Mars/Olympus"]),
    ("ROTABOT_ADMIN_IDS", "12a", ["'12a'"]),
    ("ROTABOT_ADMIN_IDS", "123, 12a", ["'12a'"]),
    ("ROTABOT_ADMIN_IDS", "-5", ["'-5'"]),
    ("ROTABOT_TEAM_CHAT_ID", "abc", ["'abc'"]),
    ("DATABASE_URL", "mysql://x", ["mysql"]),
    ("DATABASE_URL", "sqlite://", ["sqlite:///"]),
    ("DATABASE_URL", "sqlite:///", ["in-memory"]),
    ("DATABASE_URL", "sqlite:///:memory:", ["in-memory"]),
    ("DATABASE_URL", "rotabot.db", ["not a database URL"]),
]


@pytest.mark.parametrize(
    ("name", "value", "words"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES]
)
def test_bad_value_names_the_setting(name: str, value: str, words: list[str]) -> None:
    message = config_error({**GOOD, name: value})
    assert message.startswith(name)
    for word in words:
        assert word in message


def test_bad_values_are_refused_even_without_a_token() -> None:
    """`rotabot db upgrade` needs no token but still validates everything else."""
    message = config_error({"ROTABOT_TIMEZONE": "Mars/Olympus"}, require_token=False)
    assert message.startswith("ROTABOT_TIMEZONE")


def test_config_pointing_to_a_missing_file(in_empty_dir: Path) -> None:
    missing = in_empty_dir / "nope.toml"
    message = config_error({**GOOD, "ROTABOT_CONFIG": str(missing)})
    assert message.startswith("ROTABOT_CONFIG")
    assert str(missing) in message
    assert str(example_template_path()) in message  # tells you what to copy


def test_config_rota_toml_named_explicitly_must_exist() -> None:
    """Naming rota.toml on purpose is not the same as leaving the setting out."""
    assert config_error({**GOOD, "ROTABOT_CONFIG": "rota.toml"}).startswith("ROTABOT_CONFIG")


def test_config_pointing_to_a_directory(in_empty_dir: Path) -> None:
    assert config_error({**GOOD, "ROTABOT_CONFIG": str(in_empty_dir)}).startswith("ROTABOT_CONFIG")


def test_config_with_a_toml_syntax_error(in_empty_dir: Path) -> None:
    path = in_empty_dir / "broken.toml"
    path.write_text('late_notice = "48h\n[[session]]\n', encoding="utf-8")
    message = config_error({**GOOD, "ROTABOT_CONFIG": str(path)})
    assert message.startswith("ROTABOT_CONFIG")
    assert str(path) in message
    assert "not valid TOML" in message


def test_config_with_an_unknown_key(in_empty_dir: Path) -> None:
    path = in_empty_dir / "typo.toml"
    text = example_template_path().read_text(encoding="utf-8")
    path.write_text(text.replace("capacity = 8", "capacity = 8\ncapacityy = 9"), encoding="utf-8")
    message = config_error({**GOOD, "ROTABOT_CONFIG": str(path)})
    assert message.startswith("ROTABOT_CONFIG")
    assert "capacityy" in message
    assert "[[role]] #2" in message


def test_a_broken_rota_toml_in_the_working_directory_is_not_skipped(in_empty_dir: Path) -> None:
    """Only a missing rota.toml falls back to the example; a broken one is an error."""
    (in_empty_dir / "rota.toml").write_text("late_notice = 48\n", encoding="utf-8")
    message = config_error(GOOD)
    assert message.startswith("ROTABOT_CONFIG")
    assert "rota.toml" in message
