"""The dashboard's content written in Python (portal/home_html.py) is what its template wrote, byte for byte."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale
from markupsafe import Markup

from kernel.dashboard import Figure
from kernel.waiting import WaitingItem
from portal.home_html import dashboard_content
from tests.factories.tenants import user

# The content block of portal/home.html before it was written in Python (current_user read as ``user``; its two
# longest lines put in below).
TEMPLATE = """
<h1>{{ _("Dashboard of %(tenant)s", tenant=user.tenant.name(current_lang())) }}</h1>
<p class="lead">{{ _("Welcome, %(name)s.", name=user.display_name|in_own_lang) }}</p>
<section aria-labelledby="waiting-heading" class="waiting" data-testid="waiting">
  <h2 id="waiting-heading">{{ _("Waiting for you") }}</h2>
  {% if waiting %}
  <ul class="waiting__list">
    {% for item in waiting %}
    {% set age = item.age_days() %}
    <li class="waiting__item" data-testid="waiting-{{ item.key }}">
      <a href="{{ item.url }}"><span class="waiting__count">{{ item.count }}</span> {{ item.label }}</a>
      @AGE@
    </li>
    {% endfor %}
  </ul>
  {% else %}
  <p>{{ _("Nothing is waiting for you.") }}</p>
  {% endif %}
</section>
<section aria-labelledby="figures-heading">
  <h2 id="figures-heading">{{ _("Your municipality at a glance") }}</h2>
  {% if figures %}
  <ul class="figures">
    {% for figure in figures %}
      <li class="figure">
        <span class="figure__value">{{ figure.value }}</span>
        @LABEL@
      </li>
    {% endfor %}
  </ul>
  {% else %}
  <p>{{ _("No figures yet.") }}</p>
  {% endif %}
</section>
{# the block ended here: Jinja drops a template's last newline, not the block's #}""".replace(
    "@AGE@", '{% if age is not none %}<span class="waiting__age">{{ _("oldest: today") if age == 0 else '
             'ngettext("oldest: %(num)s day ago", "oldest: %(num)s days ago", age) }}</span>{% endif %}').replace(
    "@LABEL@", '<span class="figure__label">{% if figure.url %}<a href="{{ figure.url }}">{{ figure.label }}</a>'
               '{% else %}{{ figure.label }}{% endif %}</span>')  # (long lines of the template, cut here)

NOW = datetime.now(UTC)
ITEMS = [
    WaitingItem("casebook.approvals", "Cases <waiting> & more", 1234, "/cases?state=proposed&x=<1>",
                NOW - timedelta(days=5, hours=1)),
    WaitingItem("awards.sheets.7", Markup('Score sheets in “<span lang="en">Prize</span>”'), 1, "/awards/judging/7",
                NOW - timedelta(days=1, hours=1)),
    WaitingItem("community.actions", "Actions", 2, "/community/#waiting", NOW - timedelta(hours=2)),
    WaitingItem("community.vacancies", "Posts to fill", 3, "/community/roster"),
]
FIGURES = [Figure("Our cases", "2,001", "/cases"), Figure("Active <accounts>", "9", None),
           Figure("Queue & more", "0", "/casebook/curation?a=1&b=2")]


@pytest.mark.parametrize("who", ["member", "tenant_admin", "curator", "chiyoda_cio", "other_member"])
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("shown", ["both", "nothing", "figures only", "waiting only"])
def test_the_content_is_the_templates(app_ctx, who, lang, shown) -> None:  # type: ignore[no-untyped-def]
    person = user(who)
    figures = FIGURES if shown in ("both", "figures only") else []
    waiting = ITEMS if shown in ("both", "waiting only") else []
    with app_ctx.test_request_context("/"), force_locale(lang):
        for _ in range(2):  # the texts as translated at the first view, then as kept
            expected = render_template_string(TEMPLATE, user=person, figures=figures, waiting=waiting)
            assert str(dashboard_content(person, figures, waiting)) == expected
    # the cases meant: ages shown with the items, values escaped
    assert ("waiting__age" in expected) == bool(waiting) and ("&lt;" in expected) == bool(waiting or figures)
