"""The web application (adapter): FastAPI, server-rendered pages and the JSON API.

Example::

    from autoserum.web import Settings, create_app
    app = create_app(Settings(database_url="sqlite:///trial.db"))
"""

from autoserum.web.app import create_app
from autoserum.web.requestlog import log_config
from autoserum.web.settings import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings", "log_config"]
