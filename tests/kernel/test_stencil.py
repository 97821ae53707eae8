"""kernel.fragments.stencil: a block built once per key, its slots filled on every render (issue 25.5)."""
from __future__ import annotations

from flask import Flask

TEMPLATE = ('{% call(slot) stencil("t", shape, who=who, n=n) %}'
            '{{ built() }}<p title="{{ slot("who") }}">{{ slot("who") }}</p>'
            '{% if shape == "count" %}<b>{{ slot("n") }}</b>{% endif %}{% endcall %}')


def _render(app: Flask, built: list[int], **values: object) -> str:
    def count_build() -> str:
        built.append(1)
        return ""

    with app.test_request_context("/"):
        return app.jinja_env.from_string(TEMPLATE).render(built=count_build, **values)


def test_slots_are_filled_and_escaped_per_render_and_the_block_is_built_once_per_key(app: Flask) -> None:
    built: list[int] = []
    first = _render(app, built, shape="count", who='<script>"a"&', n=3)
    again = _render(app, built, shape="count", who="青梅 太郎", n=12)
    assert first == '<p title="&lt;script&gt;&#34;a&#34;&amp;">&lt;script&gt;&#34;a&#34;&amp;</p><b>3</b>'
    assert again == '<p title="青梅 太郎">青梅 太郎</p><b>12</b>'
    assert len(built) == 1  # the second render joined the kept parts with its own values
    # Another shape is another key: built anew, and its slots stay its own.
    assert _render(app, built, shape="plain", who="x", n=1) == '<p title="x">x</p>'
    assert len(built) == 2
    assert "\x00" not in first + again


def test_a_reloading_environment_renders_the_block_each_time_with_the_real_values(app: Flask) -> None:
    built: list[int] = []
    app.jinja_env.auto_reload = True
    try:
        reloading = [_render(app, built, shape="count", who="<i>", n=n) for n in (1, 2)]
    finally:
        app.jinja_env.auto_reload = False
    assert reloading == ['<p title="&lt;i&gt;">&lt;i&gt;</p><b>1</b>', '<p title="&lt;i&gt;">&lt;i&gt;</p><b>2</b>']
    assert len(built) == 2
    # The kept path gives the same HTML as the reloading one.
    assert _render(app, [], shape="count", who="<i>", n=2) == reloading[1]


def test_the_language_is_part_of_the_key(app: Flask) -> None:
    template = '{% call(slot) stencil("t2") %}{{ _("Log out") }}{% endcall %}'
    seen = []
    for lang in ("ja", "en", "ja"):
        with app.test_request_context("/"):
            from flask import session

            session["lang"] = lang
            seen.append(app.jinja_env.from_string(template).render())
    assert seen[0] == seen[2] != seen[1]
    assert seen[1] == "Log out"
