"""gunicorn settings: workers from the environment, access log with the request id."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms req=%({x-request-id}o)s'
wsgi_app = "wsgi:app"
# The app is imported once in the master and shared by the workers (copy-on-write): about 110 MiB of
# imported code and data per worker otherwise. GUNICORN_PRELOAD=0 imports it in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def pre_fork(server, worker):  # noqa: ARG001
    # Objects that exist before the fork are never collected in the workers: without this, the first
    # garbage collection in each worker writes to every page it shares with the master, copying them.
    import gc

    gc.freeze()


def post_fork(server, worker):  # noqa: ARG001
    # With --preload the app (and its engine) exists before the fork: drop any pooled
    # connection inherited from the master so that no two processes share a socket.
    try:
        from portal.extensions import db
        from wsgi import app

        with app.app_context():
            db.engine.dispose(close=False)
    except Exception:  # noqa: BLE001 - without preload there is nothing to dispose
        pass


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
