"""The framework's own ceiling: a bare Flask page returning a string and a bare Jinja page of 50
items, served by the same gunicorn settings as the portal (`gunicorn -c gunicorn.conf.py
bench.ceiling:app`).

Beside them, the same Jinja page after one SQL statement in its own transaction (a pooled SQLAlchemy
connection: BEGIN, one primary-key lookup, COMMIT), when BENCH_CEILING_DB names a database: the least
that any page reading the database pays, before sessions, permissions or a layout.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from sqlalchemy import create_engine, text

from kernel.config import normalise_url

app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
ITEMS = [{"id": i, "title": f"事例 {i}: 窓口のオンライン化と BPR", "municipality": "青梅市", "year": 2026}
         for i in range(1, 51)]


@app.get("/string")
def string_page() -> str:
    return "Hello, 横展開"


@app.get("/jinja")
def jinja_page() -> str:
    return render_template("items.html", items=ITEMS)


_ONE_ROW = text("SELECT name_ja FROM tenants WHERE code = :code")
_engine: Any = None


def _database() -> Any:
    global _engine
    if _engine is None:  # created in each worker after the fork, with the portal's pool size
        _engine = create_engine(normalise_url(os.environ["BENCH_CEILING_DB"]), pool_size=5, max_overflow=5)
    return _engine


@app.get("/jinja-db")
def jinja_db_page() -> str:
    with _database().begin() as connection:
        name = connection.execute(_ONE_ROW, {"code": "131016"}).scalar_one()
    return render_template("items.html", items=ITEMS, heading=name)
