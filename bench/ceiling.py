"""The framework's own ceiling: a bare Flask page returning a string and a bare Jinja page of 50
items, served by the same gunicorn settings as the portal (`gunicorn -c gunicorn.conf.py
bench.ceiling:app`)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
ITEMS = [{"id": i, "title": f"事例 {i}: 窓口のオンライン化と BPR", "municipality": "青梅市", "year": 2026}
         for i in range(1, 51)]


@app.get("/string")
def string_page() -> str:
    return "Hello, 横展開"


@app.get("/jinja")
def jinja_page() -> str:
    return render_template("items.html", items=ITEMS)
