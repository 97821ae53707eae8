"""The session check builds its ORM objects without an ORM query (tenants.auth._persistent): in a fresh process,
such as a gunicorn worker whose first request is a logged-in page, the mappers must already be configured.
The first version failed exactly there (500 on every first page of a worker) while every in-process test
passed, because an earlier ORM query in the same process had configured them."""
from __future__ import annotations

import subprocess
import sys


def test_create_app_configures_the_mappers_in_a_fresh_process() -> None:
    code = ("from portal.app import create_app\n"
            "from tenants.models import AuthSession, Tenant, User\n"
            "create_app({'SQLALCHEMY_DATABASE_URI': 'postgresql://nobody@127.0.0.1:1/none', 'SECRET_KEY': 'x' * 32})\n"
            "assert all(m.__mapper__.configured for m in (AuthSession, Tenant, User))\n"
            "assert User.__mapper__.class_manager['tenant'].impl is not None\n"
            "print('configured')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip().endswith("configured"), done.stderr[-2000:]
