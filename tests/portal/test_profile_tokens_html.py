"""The profile page's token rows are written in Python (portal.profile._token_rows, issue 25.5): the same HTML
as the template loop they replaced, rendered here beside them, for tokens of every kind in both languages."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import Flask, session

from portal.profile import _token_rows

LOOP = (
    '{% for token in tokens %}\n'
    '    <tr>\n'
    '      <td{{ token.name|lang_attr }}>{{ token.name }}</td>\n'
    '      <td><code>{{ token.prefix }}…</code></td>\n'
    '      <td>{% for scope in token.scopes|sort %}<code>{{ scope }}</code>{% if not loop.last '
    '%} {% endif %}{% endfor %}</td>\n'
    '      <td>{{ token.created_at|datetime_tokyo }}</td>\n'
    '      <td>{{ token.last_used_at|datetime_tokyo if token.last_used_at else _("Never") }}</td>\n'
    '      <td>{{ _("Revoked") if token.revoked_at else _("Active") }}</td>\n'
    '      <td>{% if not token.revoked_at %}\n'
    '        <form method="post" action="{{ url_for(\'profile.revoke\', token_id=token.id) }}">\n'
    '          <input type="hidden" name="csrf_token" value="{{ csrf }}">\n'
    '          <button type="submit" class="button button--secondary">{{ _("Revoke") }}<span cl'
    'ass="visually-hidden"{{ token.name|lang_attr }}> {{ token.name }}</span></button>\n'
    '        </form>{% endif %}</td>\n'
    '    </tr>\n'
    '  {% endfor %}'
)

TOKENS = [
    SimpleNamespace(id=7, name='CI <b>&"deploy"', prefix="yk_ab<c",
                    scopes=["cases:write", "Awards:read", "casebook:read"],
                    created_at=datetime(2026, 9, 1, 15, 30, tzinfo=UTC), last_used_at=None, revoked_at=None),
    SimpleNamespace(id=8, name="連携プログラム", prefix="yk_x", scopes=[],
                    created_at=datetime(2026, 12, 31, 15, 0, tzinfo=UTC),
                    last_used_at=datetime(2027, 1, 1, 0, 1, tzinfo=UTC), revoked_at=None),
    SimpleNamespace(id=9, name="old", prefix="yk_y", scopes=["casebook:read"],
                    created_at=datetime(2025, 4, 1, tzinfo=UTC), last_used_at=datetime(2025, 5, 1, tzinfo=UTC),
                    revoked_at=datetime(2025, 6, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_rows_are_the_template_loops(app: Flask, lang: str) -> None:
    with app.test_request_context("/profile/"):
        session["lang"] = lang
        expected = app.jinja_env.from_string(LOOP).render(tokens=TOKENS, csrf="tok&<en>")
        assert str(_token_rows(TOKENS, "tok&<en>")) == expected
        assert str(_token_rows([], "x")) == ""
    assert "&lt;b&gt;&amp;&#34;deploy&#34;" in expected and "/profile/tokens/7/revoke" in expected
    assert "/profile/tokens/9/revoke" not in expected  # a revoked token has no form
