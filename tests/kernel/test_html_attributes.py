"""kernel.html_attributes writes WTForms' field attributes without Markup.format (issue 25.5): the HTML must
stay byte for byte what WTForms itself writes, for every kind of key and value."""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from markupsafe import Markup
from wtforms import Form, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from kernel import html_attributes

VALUES: list[Any] = ["plain", "", "a\"b", "<script>&'", Markup('already <b>"safe"</b>'), 0, 17, 3.5, None,
                     True, False, "名前（必須）", ["list"], Markup("x&amp;y")]
KEYS = ["id", "class_", "for_", "data_draft_key", "aria_describedby", "aria_invalid", "name", "type",
        "value", "placeholder", "data_x_y_z", "autocomplete_", "weird<key>"]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_every_value_is_written_as_wtforms_writes_it(value: Any) -> None:
    original = html_attributes.wtforms_html_params()
    for key in KEYS:
        assert html_attributes.html_params(**{key: value}) == original(**{key: value})


def test_several_attributes_sorted_and_joined_the_same() -> None:
    original = html_attributes.wtforms_html_params()
    for values in itertools.permutations(VALUES[:6], 4):
        kwargs = dict(zip(("value", "class_", "data_a_b", "aria_label"), values, strict=True))
        kwargs["checked"] = True
        kwargs["disabled"] = False
        fast = html_attributes.html_params(**kwargs)
        assert isinstance(fast, Markup)
        assert fast == original(**kwargs)
    assert html_attributes.html_params() == original() == Markup("")


class _Form(Form):
    name = StringField("Name <required>")
    scopes = SelectMultipleField("Scopes", choices=[SelectChoice("a:read", 'A "read"'),
                                                         SelectChoice("b:write", "B <write>")],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


def test_installed_into_wtforms_fields_labels_and_checkboxes(app) -> None:  # type: ignore[no-untyped-def]
    """After create_app, WTForms' widgets and labels use the kernel's function, with the same HTML."""
    import wtforms.widgets
    import wtforms.widgets.core as core

    assert core.html_params is html_attributes.html_params
    assert wtforms.widgets.html_params is html_attributes.html_params
    assert core.Input.html_params is html_attributes.html_params
    form = _Form(data={"name": 'Ann "A" <b>', "scopes": ["a:read"]})
    assert str(form.name(**{"aria-describedby": "name-hint", "class": "x"})) == (
        '<input aria-describedby="name-hint" class="x" id="name" name="name" type="text" '
        'value="Ann &#34;A&#34; &lt;b&gt;">')
    assert str(form.name.label()) == '<label for="name">Name &lt;required&gt;</label>'
    options = [(str(option()), str(option.label())) for option in form.scopes]
    assert options == [
        ('<input checked id="scopes-0" name="scopes" type="checkbox" value="a:read">',
         '<label for="scopes-0">A &#34;read&#34;</label>'),
        ('<input id="scopes-1" name="scopes" type="checkbox" value="b:write">',
         '<label for="scopes-1">B &lt;write&gt;</label>'),
    ]
