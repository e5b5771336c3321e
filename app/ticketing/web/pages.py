"""The buyer's pages: one static page (waiting room, slot picker, confirmation) and its assets."""

from importlib import resources

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = str(resources.files("ticketing").joinpath("static"))


async def index(request: Request) -> Response:
    return FileResponse(f"{STATIC_DIR}/index.html", headers={"Cache-Control": "no-cache"})


routes = [
    Route("/", index, methods=["GET"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
