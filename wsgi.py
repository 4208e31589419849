"""WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``."""

import gc

from service import create_app

app = create_app()
# Everything built so far (modules, the app, its schemas and templates) lives as long as the
# process: moved out of the collector's generations, a full collection no longer walks it, which
# kept a worker's request waiting for up to 100 ms now and then (the load benchmark's p99).
gc.freeze()
