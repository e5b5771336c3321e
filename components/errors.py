"""The error every config check raises: it names the key, the bad value and what is allowed."""


class ConfigError(ValueError):
    def __init__(self, key: str, value: object, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"config key {key!r}: got {value!r}, expected {allowed}")
