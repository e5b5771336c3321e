"""The one error type the API answers with: `{"error": code, "detail": text}` and a 4xx status
(or 503 when a backing store is away), with `Retry-After` when waiting helps."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.retry_after = retry_after


def event_not_found(event_id: str) -> ApiError:
    return ApiError(404, "event_not_found", f"no event {event_id!r}")
