"""The error every config check raises: it names the key, the bad value and what is allowed."""

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    def __init__(self, key: str, value: object, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"config key {key!r}: got {value!r}, expected {allowed}")


def unknown_key_error(key: str, name: str, known: Iterable[str]) -> ConfigError:
    """`name` (at `key`) is no known key: the error lists the known ones and suggests the closest (a
    typo).
    """
    known = list(known)
    closest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {closest[0]!r}?" if closest else ""
    return ConfigError(key, name, f"a known key ({', '.join(sorted(known))}){hint}")
