"""Bad input everywhere (hypothesis): every form and every API endpoint gets Japanese and other
Unicode, control characters and NUL bytes, huge strings, wrong types, missing fields and double
submits. Never a 500; a rejected request (4xx) writes nothing and says why in Japanese."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from kernel.extensions import db
from tests.authz.matrix import load_rows, resolve
from tests.authz.providers import load_all
from tests.conftest import login

EXAMPLES = int(os.environ.get("BAD_INPUT_EXAMPLES", "12"))
ROLE_ORDER = ("member", "tenant_admin", "curator", "judge", "operator")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
WRITES_SQL = text(
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
    "WHERE relname NOT IN ('audit_log', 'auth_sessions', 'idempotency_keys')")
# idempotency_keys is the request's own bookkeeping, like the audit log and the session: a form's one-time
# token is claimed before the view runs and given up again when the view refuses (portal/idempotency.py).

# Values a person (or a script) could send in any field.
NASTY = st.sampled_from([
    "", " ", "\u3000", "\x00", "abc\x00def", "\x01\x02\x1b[31m", "\r\n\r\n", "\ufeff", "\u202e逆", "🙂" * 50,
    "𠮷野家", "ｶﾀｶﾅ", "'; DROP TABLE users; --", "<script>alert(1)</script>", "{{7*7}}", "%s%n", "-1",
    "99999999999999999999999999", "1e309", "NaN", "0x10", "2026-02-30", "令和8年", "１２３", "true", "null",
    "あ" * 5000, "x" * 200_000,
    # digits that str.isdigit() accepts and int() does not, a number int() refuses to read, signs
    "²", "①", "9" * 5000, "--3", "－３",
])
VALUE = st.one_of(NASTY, st.text(max_size=300), st.integers().map(str),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=50))


@dataclass
class Form:
    role: str
    action: str
    method: str = "POST"  # GET forms (search and filter forms) send their fields as the query string
    fields: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page: their method, action and the names (and option values) of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []  # type: ignore[type-arg]
        self._current: dict | None = None  # type: ignore[type-arg]
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {"action": a.get("action", ""), "method": a.get("method", "get").upper(),
                             "fields": set(), "options": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select") and a.get("name"):
            name = a["name"]
            self._current["fields"].add(name)
            if tag == "select":
                self._select = name
            if a.get("type") in ("checkbox", "radio") and a.get("value"):
                self._current["options"].setdefault(name, []).append(a["value"])
        elif tag == "option" and self._current is not None and self._select:
            self._current["options"].setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def normalise(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{n}", path.split("?")[0])


def writes() -> int:
    return int(db.session.execute(WRITES_SQL).scalar() or 0)


def _open(app, client, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
    with app.app_context():
        before = writes()
    response = client.open(path, method=method, **kwargs)
    with app.app_context():
        after = writes()
        db.session.remove()
    return response, after - before


def discover_forms(app, client) -> dict[tuple[str, str, str], Form]:  # type: ignore[no-untyped-def]
    """Scrape every GET page of the authorization matrix as each role for its forms (POST and GET)."""
    providers = load_all()
    gets = [r for r in load_rows() if r.method == "GET" and r.owner != "other"]
    found: dict[tuple[str, str, str], Form] = {}
    for role in ROLE_ORDER:
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        login(client, role)
        for row in gets:
            if row.expect[role] != 200:
                continue
            with app.app_context():
                path = resolve(row.path, providers)
                db.session.commit()
                db.session.remove()
            page = client.get(path)
            if page.status_code != 200 or "text/html" not in page.content_type:
                continue
            parser = FormParser()
            parser.feed(page.get_data(as_text=True))
            for item in parser.forms:
                action = item["action"] or path
                if not action.startswith("/") or action in ("/logout", "/lang"):
                    continue
                method = "GET" if item["method"] == "GET" else "POST"
                form = found.setdefault((role, method, normalise(action)), Form(role, action, method))
                form.fields |= item["fields"] - {"csrf_token"}
                for name, values in item["options"].items():
                    form.options.setdefault(name, []).extend(values)
        client.post("/logout")
    return found


def form_data(form: Form) -> st.SearchStrategy[dict]:  # type: ignore[type-arg]
    """Some of the form's fields (missing ones too), each a nasty value, a list, or a valid option."""
    def one(name: str) -> st.SearchStrategy:  # type: ignore[type-arg]
        options = form.options.get(name, [])
        choices = [VALUE, st.lists(VALUE, min_size=2, max_size=3)]
        if options:
            choices.append(st.sampled_from(options))
        return st.one_of(*choices)

    names = sorted(form.fields)
    return st.fixed_dictionaries({}, optional={n: one(n) for n in names})


def fuzz_form(app, client, form: Form) -> None:  # type: ignore[no-untyped-def]
    """Send generated data to one form as its role: never a 500; a rejection writes nothing."""
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=form_data(form), twice=st.booleans())
    def check(data: dict, twice: bool) -> None:  # type: ignore[type-arg]
        where = f"{form.role} {form.method} {form.action} {data!r:.300}"
        sent = {"query_string": data} if form.method == "GET" else {"data": data}
        for _attempt in range(2 if twice else 1):  # a double submit is the same request again
            response, written = _open(app, client, form.method, form.action, **sent)
            assert response.status_code < 500, f"{where}: {response.status_code}"
            if response.status_code >= 400:
                assert written == 0, f"{where}: rejected ({response.status_code}) but wrote"
                assert JAPANESE.search(response.get_data(as_text=True)), f"{where}: no Japanese message"

    check()


@pytest.mark.slow
def test_every_form_survives_bad_input(app, client) -> None:  # type: ignore[no-untyped-def]
    forms = discover_forms(app, client)
    assert any(k[1:] == ("POST", "/profile/tokens") for k in forms), "form discovery found nothing"
    assert any(k[1:] == ("GET", "/casebook") for k in forms), "no GET form (the casebook search) found"
    for (role, _method, _action), form in sorted(forms.items()):
        login(client, role)
        fuzz_form(app, client, form)
        client.post("/logout")
    print(f"\n{len(forms)} forms × {EXAMPLES} examples: " + ", ".join(f"{r} {m} {a}" for r, m, a in sorted(forms)))


def test_nul_bytes_and_huge_fields_get_a_clear_400(app, client) -> None:  # type: ignore[no-untyped-def]
    login(client, "member")
    for value in ("abc\x00def", "x" * 200_000):
        response, written = _open(app, client, "POST", "/profile/tokens", data={"name": value})
        assert response.status_code == 400
        assert written == 0
        assert JAPANESE.search(response.get_data(as_text=True))
    for path in ("/admin/audit?action=%00", "/casebook?q=%00", "/api/v1/casebook/search?q=a%00b"):
        response, written = _open(app, client, "GET", path)
        assert response.status_code < 500, path
        assert written == 0


def test_oversized_upload_is_413_and_nothing_stored(app, client) -> None:  # type: ignore[no-untyped-def]
    import io

    login(client, "member")
    limit = app.config["MAX_CONTENT_LENGTH"]
    payload = io.BytesIO(b"%PDF-1.4\n" + b"0" * (limit + 1024))
    response, written = _open(app, client, "POST", "/profile/tokens",
                              data={"name": "big", "file": (payload, "big.pdf", "application/pdf")},
                              content_type="multipart/form-data")
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.get_data(as_text=True)
    assert written == 0
