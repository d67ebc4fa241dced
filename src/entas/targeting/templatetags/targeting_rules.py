"""``{% load targeting_rules %}``: rules shown in words wherever they appear.

``{{ rule.expression|rule_words }}`` gives the rule in the active language ("kepala keluarga perempuan
DAN desil ≤ 4"); ``{% rule_shown rule.expression %}`` gives the words with the code beneath, in a
``<code>`` (for pages that show both)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from entas.targeting.words import describe

register = template.Library()


@register.filter
def rule_words(expression: str | None) -> str:
    return describe(expression or "")


@register.simple_tag
def rule_shown(expression: str | None) -> SafeString:
    expression = expression or ""
    return format_html(
        '<span class="rule-words">{}</span><br><code class="rule-code">{}</code>', describe(expression), expression
    )
