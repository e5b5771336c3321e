"""The HTTP and WebSocket layer (Starlette)."""
