"""Block Kit validation for messages and views, with Slack's limits (Block Kit reference, "Blocks",
"Block elements" and "Composition objects").

:func:`validate_blocks` returns Slack-style problem strings such as
``"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"``; an empty list means
the blocks are valid.  The API answers ``invalid_blocks`` with them in ``errors`` and in
``response_metadata.messages`` (prefixed ``[ERROR] ``), as Slack does; views (``views.py``) call it
with their own limit (100 blocks) and pointer (``/view/blocks``).

Interactive elements are checked as their reference pages say: select menus (``static_select``:
1–100 ``options`` or ``option_groups``; ``external_select``; ``users_select``), ``checkboxes``
(1–10 options), ``overflow`` (1–5 options), ``number_input`` (``is_decimal_allowed`` required),
``datepicker`` (``initial_date`` as ``YYYY-MM-DD``), ``datetimepicker`` (``initial_date_time`` a UNIX
timestamp in seconds, "in the format of 10 digits"; used in actions and input blocks only, not as a section
accessory: "Datetime picker element"), ``plain_text_input`` (``min_length`` 0–3000,
``max_length`` 1–3000); options carry a ``text`` of at most 75 characters and a ``value`` of at most
150; placeholders at most 150.

Valid blocks may still be too long together: :func:`blocks_text_length` counts the text of all
of them, and a message over :data:`MAX_BLOCKS_TEXT_TOTAL` is refused (``msg_blocks_too_long``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

MAX_BLOCKS = 50
MAX_BLOCK_ID = 255
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_IMAGE_ALT = 2000
MAX_LABEL = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOX_OPTIONS = 10
MAX_OVERFLOW_OPTIONS = 5
MAX_TEXT_INPUT = 3000
# The text of all of a message's blocks together.  Slack refuses more with a bare
# ``{"ok": false, "error": "msg_blocks_too_long"}`` (no ``errors``, no ``response_metadata``: the
# answer quoted in github.com/slackapi/bolt-js/issues/2509, and issues/2867 asks for more detail),
# and documents no total for most block types.  Sources for 12,000: a comment in bolt-js issue 2509
# (labelled server-side-issue), "12,000 text characters with a buffer for block containers" (@vegeris,
# as quoted in issue 2867); the Block Kit reference's markdown block, whose text is "Limit 12,000
# characters max" (docs.slack.dev/reference/block-kit/blocks/markdown-block), a limit issue 2867 reads
# as cumulative.  Measured by users: markdown blocks alone pass up to about 13,300 characters (2509: the
# buffer), while a message of rich_text, section and header blocks was refused at 11,341 (2867).  The
# sandbox applies 12,000 to every block type, counted as :func:`blocks_text_length` does.
MAX_BLOCKS_TEXT_TOTAL = 12_000

INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "file_input",
        "image",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "url_text_input",
        "workflow_button",
    }
)
ACCESSORY_ELEMENTS = INTERACTIVE_ELEMENTS - {"datetimepicker"}  # "must be used inside the actions or input block"
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


class Checker:
    """Collects Slack-style problems (``"<message> [json-pointer:<path>]"``); shared by messages and views."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append(f"{message} [json-pointer:{pointer}]")

    def string(self, value: Any, pointer: str, *, max_len: int, min_len: int = 1) -> bool:
        if not isinstance(value, str):
            self.fail(pointer, "must be a string")
            return False
        if len(value) < min_len:
            self.fail(pointer, f"must be more than {min_len - 1} characters")
            return False
        if len(value) > max_len:
            self.fail(pointer, f"must be less than {max_len + 1} characters")
            return False
        return True

    def text(self, value: Any, pointer: str, *, max_len: int, plain_only: bool = False) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return
        kind = value.get("type")
        allowed = {"plain_text"} if plain_only else TEXT_TYPES
        if kind not in allowed:
            self.fail(
                f"{pointer}/type", f"must be one of: {', '.join(sorted(allowed))}" if kind else "must provide a type"
            )
            return
        self.string(value.get("text"), f"{pointer}/text", max_len=max_len)
        if "emoji" in value and kind != "plain_text":
            self.fail(f"{pointer}/emoji", "can only be used with plain_text")

    def url(self, value: Any, pointer: str) -> None:
        if self.string(value, pointer, max_len=MAX_URL) and not str(value).startswith(("http://", "https://")):
            self.fail(pointer, "must be a valid URL")

    def element(self, value: Any, pointer: str, *, allowed: frozenset[str]) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return
        kind = value.get("type")
        if kind not in allowed:
            self.fail(f"{pointer}/type", f"unsupported element type {kind!r}" if kind else "must provide a type")
            return
        if "action_id" in value:
            self.string(value["action_id"], f"{pointer}/action_id", max_len=MAX_ACTION_ID)
        if kind == "button":
            self.text(value.get("text"), f"{pointer}/text", max_len=MAX_BUTTON_TEXT, plain_only=True)
            if "url" in value:
                self.url(value["url"], f"{pointer}/url")
            if "value" in value:
                self.string(value["value"], f"{pointer}/value", max_len=MAX_BUTTON_VALUE)
            if "style" in value and value["style"] not in ("primary", "danger"):
                self.fail(f"{pointer}/style", "must be one of: primary, danger")
        elif kind == "image":
            self.image_parts(value, pointer)
        else:
            check = _ELEMENT_CHECKS.get(kind)
            if check is not None:
                check(self, value, pointer)
        if "placeholder" in value:
            self.text(value["placeholder"], f"{pointer}/placeholder", max_len=MAX_PLACEHOLDER, plain_only=True)

    def items(self, value: Any, pointer: str, *, max_items: int) -> list[Any] | None:
        """A non-empty array of at most ``max_items`` (Slack's wording), else None after a problem."""
        if not isinstance(value, list) or not value:
            self.fail(pointer, "must provide a non-empty array")
            return None
        if len(value) > max_items:
            self.fail(pointer, f"no more than {max_items} items allowed")
            return None
        return value

    def options(self, value: Any, pointer: str, *, max_items: int, plain_only: bool = True) -> None:
        options = self.items(value, pointer, max_items=max_items)
        for i, option in enumerate(options or []):
            self.option(option, f"{pointer}/{i}", plain_only=plain_only)

    def option(self, value: Any, pointer: str, *, plain_only: bool = True) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must provide an object")
            return
        self.text(value.get("text"), f"{pointer}/text", max_len=MAX_OPTION_TEXT, plain_only=plain_only)
        if "value" not in value:
            self.fail(pointer, "missing required field: value")
        else:
            self.string(value["value"], f"{pointer}/value", max_len=MAX_OPTION_VALUE)

    def image_parts(self, value: dict[str, Any], pointer: str) -> None:
        if "image_url" in value:
            self.url(value["image_url"], f"{pointer}/image_url")
        elif "slack_file" not in value:
            self.fail(pointer, "must provide either image_url or slack_file")
        self.string(value.get("alt_text"), f"{pointer}/alt_text", max_len=MAX_IMAGE_ALT)


def _section(c: Checker, block: dict[str, Any], p: str) -> None:
    if "text" not in block and "fields" not in block:
        c.fail(p, "must provide either text or fields")
    if "text" in block:
        c.text(block["text"], f"{p}/text", max_len=MAX_SECTION_TEXT)
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not fields:
            c.fail(f"{p}/fields", "must provide a non-empty array")
        elif len(fields) > MAX_SECTION_FIELDS:
            c.fail(f"{p}/fields", f"no more than {MAX_SECTION_FIELDS} items allowed")
        else:
            for i, item in enumerate(fields):
                c.text(item, f"{p}/fields/{i}", max_len=MAX_FIELD_TEXT)
    if "accessory" in block:
        c.element(block["accessory"], f"{p}/accessory", allowed=ACCESSORY_ELEMENTS)


def _header(c: Checker, block: dict[str, Any], p: str) -> None:
    c.text(block.get("text"), f"{p}/text", max_len=MAX_HEADER_TEXT, plain_only=True)


def _context(c: Checker, block: dict[str, Any], p: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        c.fail(f"{p}/elements", "must provide a non-empty array")
        return
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        c.fail(f"{p}/elements", f"no more than {MAX_CONTEXT_ELEMENTS} items allowed")
        return
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            c.image_parts(element, f"{p}/elements/{i}")
        else:
            c.text(element, f"{p}/elements/{i}", max_len=MAX_SECTION_TEXT)


def _divider(c: Checker, block: dict[str, Any], p: str) -> None:
    return None


def _actions(c: Checker, block: dict[str, Any], p: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        c.fail(f"{p}/elements", "must provide a non-empty array")
        return
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        c.fail(f"{p}/elements", f"no more than {MAX_ACTIONS_ELEMENTS} items allowed")
        return
    allowed = INTERACTIVE_ELEMENTS - {
        "image",
        "plain_text_input",
        "rich_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "file_input",
    }
    for i, element in enumerate(elements):
        c.element(element, f"{p}/elements/{i}", allowed=allowed)


def _image(c: Checker, block: dict[str, Any], p: str) -> None:
    c.image_parts(block, p)
    if "title" in block:
        c.text(block["title"], f"{p}/title", max_len=MAX_IMAGE_ALT, plain_only=True)


def _rich_text(c: Checker, block: dict[str, Any], p: str) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list):
        c.fail(f"{p}/elements", "must provide an array")
        return
    for i, element in enumerate(elements):
        if not isinstance(element, dict) or element.get("type") not in (
            "rich_text_section",
            "rich_text_list",
            "rich_text_preformatted",
            "rich_text_quote",
        ):
            c.fail(f"{p}/elements/{i}/type", "must be a rich text element")


def _input(c: Checker, block: dict[str, Any], p: str) -> None:
    c.text(block.get("label"), f"{p}/label", max_len=MAX_LABEL, plain_only=True)
    if "element" not in block:
        c.fail(f"{p}/element", "must provide an element")
    else:
        c.element(block["element"], f"{p}/element", allowed=INTERACTIVE_ELEMENTS - {"button", "image", "overflow"})


def _static_select(c: Checker, element: dict[str, Any], p: str) -> None:
    if ("options" in element) == ("option_groups" in element):
        c.fail(p, "must provide exactly one of options or option_groups")
    elif "options" in element:
        c.options(element["options"], f"{p}/options", max_items=MAX_SELECT_OPTIONS)
    else:
        groups = c.items(element["option_groups"], f"{p}/option_groups", max_items=MAX_SELECT_OPTIONS)
        for i, group in enumerate(groups or []):
            if not isinstance(group, dict):
                c.fail(f"{p}/option_groups/{i}", "must provide an object")
                continue
            c.text(group.get("label"), f"{p}/option_groups/{i}/label", max_len=MAX_OPTION_TEXT, plain_only=True)
            c.options(group.get("options"), f"{p}/option_groups/{i}/options", max_items=MAX_SELECT_OPTIONS)
    if "initial_option" in element:
        c.option(element["initial_option"], f"{p}/initial_option")


def _external_select(c: Checker, element: dict[str, Any], p: str) -> None:
    minimum = element.get("min_query_length", 3)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        c.fail(f"{p}/min_query_length", "must be a non-negative integer")
    if "initial_option" in element:
        c.option(element["initial_option"], f"{p}/initial_option")


def _users_select(c: Checker, element: dict[str, Any], p: str) -> None:
    if "initial_user" in element:
        c.string(element["initial_user"], f"{p}/initial_user", max_len=MAX_ACTION_ID)


def _checkboxes(c: Checker, element: dict[str, Any], p: str) -> None:
    c.options(element.get("options"), f"{p}/options", max_items=MAX_CHECKBOX_OPTIONS, plain_only=False)
    initial = element.get("initial_options", [])
    if not isinstance(initial, list):
        c.fail(f"{p}/initial_options", "must provide an array")


def _overflow(c: Checker, element: dict[str, Any], p: str) -> None:
    c.options(element.get("options"), f"{p}/options", max_items=MAX_OVERFLOW_OPTIONS)


def _number_input(c: Checker, element: dict[str, Any], p: str) -> None:
    if "is_decimal_allowed" not in element:
        c.fail(p, "missing required field: is_decimal_allowed")
    elif not isinstance(element["is_decimal_allowed"], bool):
        c.fail(f"{p}/is_decimal_allowed", "must be a boolean")
    for name in ("initial_value", "min_value", "max_value"):
        if name in element:
            c.string(element[name], f"{p}/{name}", max_len=MAX_OPTION_VALUE)


def _datepicker(c: Checker, element: dict[str, Any], p: str) -> None:
    value = element.get("initial_date")
    if value is not None and not (isinstance(value, str) and _is_date(value)):
        c.fail(f"{p}/initial_date", "must match the format YYYY-MM-DD")


def _datetimepicker(c: Checker, element: dict[str, Any], p: str) -> None:
    value = element.get("initial_date_time")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**10):
        c.fail(f"{p}/initial_date_time", "must be a UNIX timestamp in seconds (an integer of at most 10 digits)")
    if "focus_on_load" in element and not isinstance(element["focus_on_load"], bool):
        c.fail(f"{p}/focus_on_load", "must be a boolean")


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _plain_text_input(c: Checker, element: dict[str, Any], p: str) -> None:
    lengths: dict[str, int] = {}
    for name, low in (("min_length", 0), ("max_length", 1)):
        value = element.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_TEXT_INPUT:
            c.fail(f"{p}/{name}", f"must be an integer from {low} to {MAX_TEXT_INPUT}")
        else:
            lengths[name] = value
    if lengths.get("min_length", 0) > lengths.get("max_length", MAX_TEXT_INPUT):
        c.fail(f"{p}/min_length", "must not be greater than max_length")
    if "initial_value" in element:
        c.string(element["initial_value"], f"{p}/initial_value", max_len=MAX_TEXT_INPUT, min_len=0)


_ELEMENT_CHECKS: Mapping[str, Callable[[Checker, dict[str, Any], str], None]] = MappingProxyType(
    {
        "static_select": _static_select,
        "external_select": _external_select,
        "users_select": _users_select,
        "checkboxes": _checkboxes,
        "overflow": _overflow,
        "number_input": _number_input,
        "datepicker": _datepicker,
        "datetimepicker": _datetimepicker,
        "plain_text_input": _plain_text_input,
    }
)


_BLOCKS: Mapping[str, Callable[[Checker, dict[str, Any], str], None]] = MappingProxyType(
    {
        "section": _section,
        "header": _header,
        "context": _context,
        "divider": _divider,
        "actions": _actions,
        "image": _image,
        "rich_text": _rich_text,
        "input": _input,
    }
)
KNOWN_BLOCK_TYPES = frozenset(_BLOCKS)


def validate_blocks(
    blocks: Any, *, max_blocks: int = MAX_BLOCKS, pointer: str = "/blocks", surface: str = "message"
) -> list[str]:
    """Problems with the ``blocks`` of a message (or of a view: ``max_blocks=100``, ``pointer="/view/blocks"``,
    ``surface="view"``); empty when they are valid."""
    c = Checker()
    if not isinstance(blocks, list):
        c.fail(pointer, "must provide an array")
        return c.problems
    if len(blocks) > max_blocks:
        c.fail(pointer, f"no more than {max_blocks} items allowed")
        return c.problems
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        p = f"{pointer}/{i}"
        if not isinstance(block, dict):
            c.fail(p, "must provide an object")
            continue
        kind = block.get("type")
        check = _BLOCKS.get(kind) if isinstance(kind, str) else None
        if check is None:
            c.fail(f"{p}/type", f"unsupported type {kind!r}" if kind else "must provide a type")
            continue
        if "block_id" in block and c.string(block["block_id"], f"{p}/block_id", max_len=MAX_BLOCK_ID):
            if block["block_id"] in seen_ids:
                c.fail(f"{p}/block_id", f"must be unique within the {surface}")
            seen_ids.add(block["block_id"])
        check(c, block, p)
    return c.problems


def blocks_text_length(blocks: Any) -> int:
    """Characters of text in ``blocks``: every string ``text`` member at any depth — the ``text`` of
    each text object (section text and fields, headers, context elements, button labels, option
    labels, input labels...) and of rich-text elements.  URLs, values, ids and alt texts do not count."""
    if isinstance(blocks, list):
        return sum(blocks_text_length(item) for item in blocks)
    if not isinstance(blocks, dict):
        return 0
    return sum(len(v) if k == "text" and isinstance(v, str) else blocks_text_length(v) for k, v in blocks.items())


def fallback_text(blocks: list[Any]) -> str:
    """The text Slack builds for a message posted with blocks and no ``text``."""
    parts: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            parts.append(text["text"])
        for item in block.get("fields") or []:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
    return "\n".join(parts) if parts else "This content can't be displayed."
