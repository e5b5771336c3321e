"""The one error type the API answers with: `{"error": code, "detail": text}` and a 4xx status."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def event_not_found(event_id: str) -> ApiError:
    return ApiError(404, "event_not_found", f"no event {event_id!r}")
