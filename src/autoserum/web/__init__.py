"""The web application (adapter): FastAPI, server-rendered pages and the JSON API."""

__all__: list[str] = []
