"""The page's server: Solara's app served by uvicorn, quiet, offline, saying on one line when it is ready.

``chipdeal app`` runs ``python -m negotiation.serve --host H --port P``. What ``solara run`` would do, set
for a page that stays on this machine: production mode, no telemetry and no version check (neither
request leaves the machine), no "runs on Solara" banner over the page, no warning about the session cookie
on plain http (Solara falls back to a same-site cookie, which is what a local page wants), and one line on
stderr once the server is listening, not before.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from typing import Any

APP = "negotiation.app"
READY = "chipdeal app: ready at {url} (Ctrl-C stops it)"
SESSION_KEPT = "60s"  # how long a disconnected page's session waits for its browser to come back


def configure(host: str, port: int) -> None:
    """Solara's settings and environment for the page (before Solara's server module is imported).

    Args:
        host: the interface the server listens on.
        port: its port.

    """
    os.environ["SOLARA_APP"] = APP
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    settings.theme.show_banner = False
    settings.theme.title = "chipdeal"
    # A closed tab's session is kept this long for a reconnect, then freed (Solara's default: 24 hours, so every
    # visit held its model, widgets and plots for a day and the server grew with its visitors).
    settings.kernel.cull_timeout = SESSION_KEPT
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    logging.getLogger("chipdeal").setLevel(logging.INFO)
    if not logging.getLogger("chipdeal").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logging.getLogger("chipdeal").addHandler(handler)


def serve(host: str, port: int) -> None:
    """Serve the page until Ctrl-C (or SIGTERM), printing :data:`READY` on stderr once it listens.

    Args:
        host: the interface to listen on.
        port: the port.

    """
    configure(host, port)
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    url = f"http://{host}:{port}/"

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                print(READY.format(url=url), file=sys.stderr, flush=True)

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_config=LOGGING_CONFIG,
                            access_log=False)
    Server(config).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m negotiation.serve --host H --port P`` (``chipdeal app`` checks the port first).

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        The exit status.

    """
    parser = argparse.ArgumentParser(prog="python -m negotiation.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
