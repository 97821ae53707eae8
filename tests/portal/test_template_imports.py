"""The portal's templates import macro files as Jinja does, only cheaper (portal.app.PortalTemplate)."""
from __future__ import annotations

import jinja2
from flask import Flask

from portal.app import PortalTemplate

MACROS = '{% macro hello(name) %}{{ greeting }} {{ name }}{{ suffix }}{% endmacro %}'
PAGE = ('{% from "macros.html" import hello %}{% import "macros.html" as m with context %}'
        '{{ hello("区") }}|{{ m.hello("市") }}')


def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.DictLoader({"macros.html": MACROS, "page.html": PAGE})
    plain = jinja2.Environment(loader=loader)
    ours = jinja2.Environment(loader=loader)
    ours.template_class = PortalTemplate
    for env in (plain, ours):
        env.globals["greeting"] = "こんにちは"
    return plain, ours


def test_the_portal_renders_with_its_template_class(app: Flask) -> None:
    assert type(app.jinja_env.get_template("base.html")) is PortalTemplate


def test_imports_render_as_with_jinja_itself() -> None:
    plain, ours = _environments()
    # No globals beyond the environment's: the macro file's module is built once and kept.
    assert ours.get_template("page.html").render(suffix="!") == plain.get_template("page.html").render(suffix="!")
    first = ours.get_template("macros.html")._get_default_module(ours.get_template("page.html").new_context())
    again = ours.get_template("macros.html")._get_default_module(ours.get_template("page.html").new_context())
    assert first is again
    # A page with globals of its own: the imported module sees them, as Jinja's does.
    for env in (plain, ours):
        env.get_template("page.html").globals["suffix"] = "さん"
    expected = plain.get_template("page.html").render()
    assert expected == "こんにちは 区さん|こんにちは 市さん"
    assert ours.get_template("page.html").render() == expected
