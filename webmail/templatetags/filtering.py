"""The Filters pages' words for rules, and the vacation banner of the mail pages."""
from django import template
from django.db import DatabaseError
from django.utils.translation import gettext as _

from ..filter_forms import ACTIONS, FIELDS, REGEX_OPS, SIZE_OPS, TEXT_OPS
from ..sieve.rules import Rule
from ..vacation_summary import vacation_banner

register = template.Library()
_OPS = dict(TEXT_OPS + REGEX_OPS + SIZE_OPS)


@register.filter
def is_rule(item):
    return isinstance(item, Rule)


@register.filter
def rule_summary(rule):
    """One line: "From contains x, Subject is y → Move to folder: Work"."""
    joiner = _(" and ") if rule.match == "all" else _(" or ")
    tests = joiner.join(
        f"{condition.header if condition.field == 'header' else dict(FIELDS)[condition.field]} "
        f"{_OPS.get(('!' if condition.negate else '') + condition.op, condition.op)} "
        f"“{condition.value}”" for condition in rule.conditions)
    actions = ", ".join(f"{dict(ACTIONS).get(action.kind, action.kind)}"
                        + (f" {action.value}" if action.value else "")
                        for action in rule.actions)
    return f"{tests} → {actions}" if tests else actions


@register.inclusion_tag("webmail/_vacation_banner.html", takes_context=True)
def vacation_notice(context):
    """The banner while the user's vacation reply answers: one query, no ManageSieve."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or context.get("filters_page"):
        return {"summary": None}
    try:
        summary = vacation_banner(user)
    except DatabaseError:
        summary = None
    return {"summary": summary, "request": request, "csrf_token": context.get("csrf_token")}
