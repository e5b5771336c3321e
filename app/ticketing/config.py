"""Process settings from the environment, and the validated shape of an event."""

import os
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ID_RE = re.compile(ID_PATTERN)
BOOLEAN_VALUES = {"": False, "false": False, "true": True}


class SettingsError(ValueError):
    """A missing or malformed environment variable, named in the message."""


@dataclass(frozen=True)
class Settings:
    redis_url: str
    database_url: str
    admin_token: str
    secret: bytes
    redis_cluster: bool = (
        False  # a Redis Cluster endpoint (e.g. ElastiCache cluster mode), not one node
    )

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

    @field_validator("admit_per_second", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        # strict mode refuses ints for floats; a whole number is a fine rate
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("opens_at", mode="before")
    @classmethod
    def _timestamp(cls, value: object) -> object:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError("opens_at needs a timezone, e.g. 2030-01-01T10:00:00Z")
            return parsed
        return value

    @model_validator(mode="after")
    def _unique_slots(self) -> "EventSpec":
        ids = [slot.id for slot in self.slots]
        if len(ids) != len(set(ids)):
            raise ValueError("slot ids must be unique")
        return self
