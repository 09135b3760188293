"""Editing a Salesforce record from Slack, as the member: the Edit button, the modal, its submission.

- :mod:`.form`: the value classes (:class:`EditRef`, :class:`EditField`), the modal (:func:`edit_view`, callback
  ``edit_record``), the loading and result modals, the signed ``private_metadata`` (:func:`encode_ref`/
  :func:`decode_ref`), the Edit button (:func:`edit_button`, action ``edit_record``);
- :mod:`.values`: the submitted values, typed, and the checks made in the modal (:func:`read_submission`);
- :mod:`.load`: the record, its object info and picklist values read as the member → the fields offered;
- :mod:`.handlers`: the Edit action (ack, loading modal, then the form), lookups' ``block_suggestion``, the
  controlling picklists' re-render;
- :mod:`.save` (the submission: PATCH as the member, 412, Salesforce's refusals) is built beside these.
"""

from __future__ import annotations

from .form import (
    CALLBACK_ID,
    Action,
    EditField,
    EditRef,
    EditRefused,
    Kind,
    Option,
    button_value,
    decode_ref,
    derive_key,
    edit_button,
    edit_view,
    encode_ref,
    loading_view,
    parse_button_value,
    result_view,
)
from .values import read_submission

__all__ = [
    "CALLBACK_ID",
    "Action",
    "EditField",
    "EditRef",
    "EditRefused",
    "Kind",
    "Option",
    "button_value",
    "decode_ref",
    "derive_key",
    "edit_button",
    "edit_view",
    "encode_ref",
    "loading_view",
    "parse_button_value",
    "read_submission",
    "result_view",
]
