"""gunicorn settings: workers from the environment, JSON logs, Prometheus multiprocess directory."""
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# The app writes one JSON line per request itself (portal/logging.py: tenant, user, route, statements,
# sensitive query strings dropped). gunicorn's own access log is off unless GUNICORN_ACCESS_LOG names
# a file ("-": stderr); its format leaves out the query string (%(U)s is the path only).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms req=%({x-request-id}o)s'
# gunicorn's own messages as the same JSON lines as the app's. Its access lines are left out of this
# configuration: with a logconfig_dict gunicorn would otherwise write one for every request even with the
# access log off (a second line beside the app's), and into the JSON stream instead of the file that
# GUNICORN_ACCESS_LOG names (dictConfig replaced gunicorn's file handler). See AppLogger below.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portal.logging.JsonFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False}},
    # The app adds its own JSON handler to the root logger when it is created (portal/logging.py).
    "root": {"level": "WARNING", "handlers": []},
}


class AppLogger(Logger):
    """gunicorn's logger, writing its access line only when GUNICORN_ACCESS_LOG asks for it.

    gunicorn writes the access line whenever a logconfig_dict is set, whatever ``accesslog`` says; the
    app already writes one JSON line per request (portal/logging.py), so by default gunicorn writes none
    (and does not build the line's fields either). With GUNICORN_ACCESS_LOG, gunicorn's own handler
    (set up before the dictConfig above, which leaves it alone) writes it to that file, or stderr for "-".
    """

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = AppLogger
wsgi_app = "wsgi:app"
# The app is imported once in the master and shared by the workers (copy-on-write): about 110 MiB of
# imported code and data per worker otherwise. GUNICORN_PRELOAD=0 imports it in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"

# Prometheus multiprocess mode: each worker writes its metrics to files in this directory and /metrics
# adds them up. It must be set before prometheus_client is imported (the app import, below) and be
# empty at start (values of an earlier run would be counted again): a fresh directory per start,
# unless the operator names one (it is then emptied).
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, mode=0o700)
else:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="yokoten-metrics-")


def pre_fork(server, worker):  # noqa: ARG001
    # Objects that exist before the fork are never collected in the workers: without this, the first
    # garbage collection in each worker writes to every page it shares with the master, copying them.
    import gc

    gc.freeze()


def post_fork(server, worker):  # noqa: ARG001
    # With --preload the app (and its engine) exists before the fork: drop any pooled
    # connection inherited from the master so that no two processes share a socket.
    try:
        from kernel.extensions import db
        from wsgi import app

        with app.app_context():
            db.engine.dispose(close=False)
    except Exception:  # noqa: BLE001 - without preload there is nothing to dispose
        pass


def child_exit(server, worker):  # noqa: ARG001
    # A dead worker's gauges (pool connections) must not be summed any more; its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def when_ready(server):
    # In the master, before any worker is forked: refuse an application role that could bypass
    # row-level security (portal/role_check.py). Its own short connection, never the app's pool.
    from portal.role_check import UnsafeRoleError, check_at_server_start

    try:
        check_at_server_start(os.environ.get("DATABASE_URL"), server.log)
    except UnsafeRoleError as error:
        server.log.critical(str(error))
        # gunicorn prints "Error: <message>" for a RuntimeError raised here and exits with status 1.
        raise RuntimeError(str(error)) from None


def on_exit(server):  # noqa: ARG001
    if not _metrics_dir:
        shutil.rmtree(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""), ignore_errors=True)
