"""A service's refusal on a page's form (entas.core.errors.show_on_form): every view that catches
``Refused`` to show it beside the fields uses this one function."""

from __future__ import annotations

from django import forms

from entas.core.errors import Problem, Refused, show_on_form


class _Form(forms.Form):
    name = forms.CharField()


def _bound() -> _Form:
    form = _Form({"name": "x"})
    assert form.is_valid()
    return form


def test_each_issue_goes_next_to_its_field_or_on_top_when_the_form_has_no_such_field() -> None:
    form = _bound()
    show_on_form(form, Refused("no", issues=[Problem("name", "taken"), Problem("rule", "broken")]))
    assert form.errors["name"] == ["taken"]
    assert form.non_field_errors() == ["broken"]


def test_a_refusal_without_issues_shows_its_message_on_top() -> None:
    form = _bound()
    show_on_form(form, Refused("The cycle is locked."))
    assert form.non_field_errors() == ["The cycle is locked."]
