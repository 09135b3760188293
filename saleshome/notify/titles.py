"""A notification's title as its reader reads it: the admin's own title as written, else the template's
default in the reader's language."""

from __future__ import annotations

from saleshome.i18n import Messages


def object_label(name: str) -> str:
    """An object's API name as a label when describe's is not at hand (``Big_Deal__c`` → ``Big Deal``)."""
    return name.removesuffix("__c").replace("_", " ")


def default_title(template: str, obj: str, words: Messages) -> str:
    """The template's title in ``words``' language (``obj``: the object's label)."""
    if template == "new_record":
        return words.gettext("New {object}", object=obj)
    if template == "field_changed":
        return words.gettext("{object} updated", object=obj)
    if template == "stage_changed":
        return words.gettext("Stage changed")
    if template == "threshold_crossed":
        return words.gettext("Threshold crossed")
    if template == "date_moved":
        return words.gettext("Date moved")
    if template == "owner_changed":
        return words.gettext("{object} assigned to you", object=obj)
    if template == "deal_closed":
        return words.gettext("Deal closed")
    if template == "stale_record":
        return words.gettext("{object} going stale", object=obj)
    return words.gettext("Coming up")


def title_of(title: str | None, template: str, obj: str, words: Messages) -> str:
    return title or default_title(template, object_label(obj), words)
