"""Settings from the environment (and .env), validated once, with one clear line per problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rota.kernel.config import RotaConfig
from rota.kernel.dburls import url_problem
from rota.kernel.localtime import is_valid_zone
from rota.kernel.template import RotaTemplate, TemplateError, example_template_path, load_template

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite:///rotabot.db"
DEFAULT_TEMPLATE = "rota.toml"
DEFAULT_ZONE = "Europe/London"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything rotabot reads from its environment."""

    token: str | None
    api_base_url: str
    database_url: str
    template_path: Path
    template: RotaTemplate
    timezone: str
    admin_ids: frozenset[int]
    team_chat_id: int | None

    @property
    def rota(self) -> RotaConfig:
        """The part of the settings the domain needs."""
        return RotaConfig(
            template=self.template,
            zone=self.timezone,
            admin_ids=self.admin_ids,
            team_chat_id=self.team_chat_id,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, require_token: bool = True) -> Settings:
        """Parse and validate; raises ConfigError naming the first bad setting."""
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if require_token and token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token "
                "in .env (see .env.example)"
            )
        if token is not None and (":" not in token or any(c.isspace() for c in token)):
            raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (123456:ABC...)")
        base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"TELEGRAM_API_BASE_URL must start with http:// or https://, got '{base_url}'"
            )
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        problem = url_problem(database_url)
        if problem is not None:
            raise ConfigError(f"DATABASE_URL: {problem}")
        zone = env.get("ROTABOT_TIMEZONE", "").strip() or DEFAULT_ZONE
        if not is_valid_zone(zone):
            raise ConfigError(
                f"ROTABOT_TIMEZONE: '{zone}' is not a time zone; use a name like Europe/London"
            )
        template_path, template = _template(env.get("ROTABOT_CONFIG", "").strip())
        return cls(
            token=token,
            api_base_url=base_url,
            database_url=database_url,
            template_path=template_path,
            template=template,
            timezone=zone,
            admin_ids=_ids("ROTABOT_ADMIN_IDS", env.get("ROTABOT_ADMIN_IDS", "")),
            team_chat_id=_chat_id(env.get("ROTABOT_TEAM_CHAT_ID", "")),
        )


def _template(configured: str) -> tuple[Path, RotaTemplate]:
    path = Path(configured or DEFAULT_TEMPLATE)
    if not configured and not path.exists():
        path = example_template_path()  # the shipped sample, until the charity writes its own
    try:
        return path, load_template(path)
    except TemplateError as err:
        raise ConfigError(f"ROTABOT_CONFIG: {err}") from None


def _ids(name: str, raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(
                f"{name}: '{part}' is not a Telegram user id (a whole number, e.g. 123456789)"
            )
        ids.add(int(part))
    return frozenset(ids)


def _chat_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(
            f"ROTABOT_TEAM_CHAT_ID: '{raw}' is not a chat id (a whole number, e.g. -1001234567890)"
        ) from None
