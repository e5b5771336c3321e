"""Process settings from the environment, and the validated shape of an event."""

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Anchored for pydantic and JSON Schema, where `$` is the end of the text; in Python `$` also
# matches before a final newline, so Python code matches ids whole with `ID_RE.fullmatch`.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
BOOLEAN_VALUES = {"": False, "false": False, "true": True}
DEFAULT_END_GRACE_SECONDS = 900.0
# A waiting page's socket reconnects within a second of a Redis loss (static/app.js) and asks for
# its place: within this every waiting client has reclaimed it, and admission waits this long.
DEFAULT_RECLAIM_SECONDS = 5.0
DEFAULT_DEPLOYMENT = "default"


class SettingsError(ValueError):
    """A missing or malformed environment variable, named in the message."""


@dataclass(frozen=True)
class LimitSettings:
    """Per-process abuse limits (limits.py); 0 turns a limit off."""

    joins_per_ip_per_second: int = 20
    websockets_per_ip: int = 50
    unknown_event_ttl_seconds: float = 5.0
    # Peers whose X-Forwarded-For names the client (the ALB's subnets); nobody else's is read.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_env(cls) -> "LimitSettings":
        defaults = cls()
        return cls(
            _count("TICKETING_JOINS_PER_IP_PER_SECOND", defaults.joins_per_ip_per_second),
            _count("TICKETING_WEBSOCKETS_PER_IP", defaults.websockets_per_ip),
            _seconds(
                "TICKETING_UNKNOWN_EVENT_TTL_SECONDS", defaults.unknown_event_ttl_seconds, 3600
            ),
            _networks("TICKETING_TRUSTED_PROXIES"),
        )


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) > 1_000_000:
        raise SettingsError(f"{name} must be a whole number from 0 (off) to 1000000, got {value!r}")
    return int(value)


def _deployment() -> str:
    """Which Redis deployment this process's copies of events belong to: one name per region that
    shares the database (the chart sets the stack's region)."""
    value = os.environ.get("TICKETING_DEPLOYMENT", "").strip() or DEFAULT_DEPLOYMENT
    if not re.fullmatch(ID_PATTERN, value):
        raise SettingsError(
            f"TICKETING_DEPLOYMENT must be 1-64 letters, digits, '-' or '_', got {value!r}"
        )
    return value


def _seconds(name: str, default: float, maximum: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= maximum:
        raise SettingsError(f"{name} must be seconds from 0 to {maximum:g}, got {value!r}")
    return seconds


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated CIDR list, e.g. `10.0.0.0/20,10.0.16.0/20`."""
    entries = [entry.strip() for entry in os.environ.get(name, "").split(",") if entry.strip()]
    try:
        return tuple(ipaddress.ip_network(entry) for entry in entries)
    except ValueError as error:
        raise SettingsError(f"{name} must be comma-separated CIDRs: {error}") from None


@dataclass(frozen=True)
class Settings:
    redis_url: str
    database_url: str
    admin_token: str
    secret: bytes
    redis_cluster: bool = (
        False  # a Redis Cluster endpoint (e.g. ElastiCache cluster mode), not one node
    )
    limits: LimitSettings = field(default_factory=LimitSettings)
    # How long an ended event keeps its Redis keys, for the clients already admitted to finish.
    end_grace_seconds: float = DEFAULT_END_GRACE_SECONDS
    # After a Redis loss, how long clients of the lost queue may reclaim their order (queue.py).
    reclaim_seconds: float = DEFAULT_RECLAIM_SECONDS
    deployment: str = DEFAULT_DEPLOYMENT

    @classmethod
    def from_env(cls) -> "Settings":
        values = {
            key: os.environ.get(f"TICKETING_{key.upper()}", "")
            for key in ("redis_url", "database_url", "admin_token", "secret")
        }
        for key, value in values.items():
            if not value:
                raise SettingsError(f"TICKETING_{key.upper()} is required")
        if len(values["secret"]) < 16:
            raise SettingsError("TICKETING_SECRET must be at least 16 characters")
        return cls(
            values["redis_url"],
            values["database_url"],
            values["admin_token"],
            values["secret"].encode(),
            _flag("TICKETING_REDIS_CLUSTER"),
            LimitSettings.from_env(),
            _seconds("TICKETING_EVENT_END_GRACE_SECONDS", DEFAULT_END_GRACE_SECONDS, 86_400),
            _seconds("TICKETING_RECLAIM_SECONDS", DEFAULT_RECLAIM_SECONDS, 300),
            _deployment(),
        )


def _flag(name: str) -> bool:
    """An optional true/false variable; unset or empty means false."""
    value = os.environ.get(name, "").strip().lower()
    if value not in BOOLEAN_VALUES:
        raise SettingsError(f"{name} must be true or false, got {os.environ[name]!r}")
    return BOOLEAN_VALUES[value]


TLS_VARIABLES = ("TICKETING_TLS_CERT_FILE", "TICKETING_TLS_KEY_FILE")


@dataclass(frozen=True)
class TlsFiles:
    """The PEM certificate and key `ticketing serve` answers HTTPS with."""

    cert_file: str
    key_file: str

    @classmethod
    def from_env(cls) -> "TlsFiles | None":
        """Both variables for HTTPS, neither for plain HTTP."""
        paths = {name: os.environ.get(name, "") for name in TLS_VARIABLES}
        if not any(paths.values()):
            return None
        if not all(paths.values()):
            raise SettingsError(
                f"set both {' and '.join(TLS_VARIABLES)} to serve HTTPS, or neither for plain HTTP"
            )
        for name, path in paths.items():
            if not os.path.isfile(path):
                raise SettingsError(f"{name} must name an existing PEM file, got {path!r}")
        return cls(*paths.values())


class SlotSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=200)
    capacity: int = Field(ge=0, le=1_000_000)


class EventSpec(BaseModel):
    """The body of `PUT /api/v1/events/{event_id}`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=200)
    slots: list[SlotSpec] = Field(min_length=1, max_length=200)
    admit_per_second: float = Field(gt=0, le=100_000)
    max_active: int = Field(ge=1, le=10_000_000)
    access_ttl_seconds: int = Field(ge=1, le=86_400)
    hold_ttl_seconds: int = Field(ge=1, le=86_400)
    max_per_client: int = Field(ge=1, le=1_000)
    opens_at: datetime | None = None
    ends_at: datetime | None = None  # then joins end, admissions stop, and Redis is cleared

    @field_validator("admit_per_second", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        # strict mode refuses ints for floats; a whole number is a fine rate
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("opens_at", "ends_at", mode="before")
    @classmethod
    def _timestamp(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError(f"{info.field_name} needs a timezone, e.g. 2030-01-01T10:00:00Z")
            return parsed
        return value

    @model_validator(mode="after")
    def _unique_slots(self) -> "EventSpec":
        ids = [slot.id for slot in self.slots]
        if len(ids) != len(set(ids)):
            raise ValueError("slot ids must be unique")
        if self.opens_at and self.ends_at and self.ends_at <= self.opens_at:
            raise ValueError("ends_at must be after opens_at")
        return self
