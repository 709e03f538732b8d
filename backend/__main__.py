"""EXPERIMENT (temporary)."""
from __future__ import annotations
import logging, os, sys
from gunicorn.app.base import BaseApplication
from backend import create_app
from studio_core.config import load_settings
from studio_core.logging_setup import configure_logging

class App(BaseApplication):
    def __init__(self, app, options):
        self.application = app; self.options = options; super().__init__()
    def load_config(self):
        for k, v in self.options.items(): self.cfg.set(k, v)
    def load(self):
        return self.application

def main():
    settings = load_settings()
    configure_logging("backend", settings.log_dir)
    app = create_app()
    def post_fork(server, worker):
        app.extensions["studio"].engine.dispose(close=False)
    App(app, {"bind": f"{settings.host}:{settings.port}", "workers": int(os.environ.get("XW", "2")), "threads": 32,
              "worker_class": "gthread", "post_fork": post_fork, "preload_app": True, "timeout": 120, "keepalive": 75}).run()
    return 0
if __name__ == "__main__":
    sys.exit(main())
