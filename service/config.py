"""Configuration: each setting once (name, default, parser, meaning); defaults, env, then code.

Environment variables carry the prefix ``BMRISK_`` (``BMRISK_MODEL_DIR`` sets ``MODEL_DIR``).
Blueprint modules may declare their own ``SETTINGS`` tuple; ``create_app`` merges them in, so a
module's settings are read, parsed and documented the same way as these.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "BMRISK_"


class ConfigError(RuntimeError):
    """A setting has a value that cannot be used; the service does not start."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name (without prefix), default, parser of env text, and meaning."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def env(self) -> str:
        return PREFIX + self.name


def text(value: str) -> str | None:
    """A string; empty means unset."""
    return value.strip() or None


def _whole_number(value: str) -> int | None:
    """The value as a whole number (digits, ``_`` allowed between them), else None."""
    digits = value.strip().replace("_", "")
    return int(digits) if digits.isdigit() else None


def whole(value: str) -> int:
    """A positive whole number."""
    number = _whole_number(value)
    if number is None or number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def count(value: str) -> int:
    """A whole number, zero or more."""
    number = _whole_number(value)
    if number is None:
        raise ValueError("must be a whole number, 0 or more")
    return number


def flag(value: str) -> bool:
    """A yes/no setting: true, yes, on, 1 or false, no, off, 0 (any case), empty for no."""
    word = value.strip().lower()
    if word in {"true", "yes", "on", "1"}:
        return True
    if word in {"false", "no", "off", "0", ""}:
        return False
    raise ValueError("must be true or false")


def hex_hashes(value: str) -> tuple[str, ...]:
    """Comma-separated SHA-256 hex digests (64 hex characters each), lower-cased."""
    hashes = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    for digest in hashes:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("each entry must be a 64-character SHA-256 hex digest of a key "
                             "(not the key itself)")
    return hashes


def log_level(value: str) -> str:
    """A logging level name."""
    level = value.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


SETTINGS: tuple[Setting, ...] = (
    Setting("HOST", "127.0.0.1", str.strip,
            "Address gunicorn binds to. Any non-loopback address requires API keys."),
    Setting("API_KEY_HASHES", (), hex_hashes,
            "Comma-separated SHA-256 hex digests of the accepted API keys "
            "(`printf %s \"$KEY\" | sha256sum`). Empty: authentication off (loopback only)."),
    Setting("MODEL_DIR", None, text,
            "Folder of extra model artifacts (`*.joblib` + manifest), each verified by SHA-256 "
            "at boot; any bad file stops the boot."),
    Setting("PUBLIC_URL", None, text,
            "External base URL used in links (e.g. https://risk.example.org); "
            "default: the URL of each request."),
    Setting("PROXY_HOPS", 0, count,
            "Reverse proxies in front of the service whose X-Forwarded-For, -Proto, -Host, "
            "-Port and -Prefix headers are trusted (werkzeug ProxyFix). 0: those headers are "
            "ignored. Set it to the number of proxies, never more: a client can forge the rest."),
    Setting("MAX_CONTENT_LENGTH", 8 * 1024 * 1024, whole,
            "Largest request body in bytes (413 above it); sized for a 10,000-patient batch."),
    Setting("LOG_LEVEL", "INFO", log_level, "Lowest level of the JSON log lines on stderr."),
    Setting("SECRET_KEY", None, text,
            "Key signing session data (form CSRF tokens); default: random at each boot, "
            "shared by the workers."),
)


def markdown_table(settings: Iterable[Setting]) -> str:
    """The settings as the Markdown table of docs/operations.md (``make docs`` writes it)."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {_shown(s.default)} | {s.help.replace('|', chr(92) + '|')} |"
             for s in settings]
    return "\n".join(rows)


def _shown(default: Any) -> str:
    if default is None or default == () or default == {}:
        return "(none)"
    if isinstance(default, tuple):
        default = ",".join(map(str, default))
    return f"`{default}`"


def settings_of(modules: Iterable[Any]) -> tuple[Setting, ...]:
    """These settings, the storage's, and those declared by ``modules`` (``SETTINGS``)."""
    from .storage.settings import SETTINGS as STORAGE  # imports Setting from this module

    extra = [s for module in modules for s in getattr(module, "SETTINGS", ())]
    return SETTINGS + STORAGE + tuple(extra)


def load(settings: Iterable[Setting], overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting: its default, then ``BMRISK_<NAME>`` from ``environ``, then
    ``overrides``. Keys of ``overrides`` that are not settings pass through (Flask's own)."""
    environ = os.environ if environ is None else environ
    resolved: dict[str, Any] = {}
    for setting in settings:
        resolved[setting.name] = setting.default
        if setting.env in environ:
            resolved[setting.name] = _parse(setting, environ[setting.env])
    resolved.update(overrides or {})
    if resolved.get("SECRET_KEY") is None:
        resolved["SECRET_KEY"] = secrets.token_hex(32)
    return resolved


def _parse(setting: Setting, raw: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{setting.env}: {exc}") from None
