"""SOQL errors as Salesforce reports them: an error code, and the query with a caret under the problem.

Message texts marked *confirmed* below were checked against public material quoting real
Salesforce responses (error bodies, Salesforce documentation); the others follow the same
pattern but could not be confirmed and are marked *unconfirmed*.
"""

from __future__ import annotations

_WSDL = " Please reference your WSDL or the describe call for the appropriate names."


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` (``MALFORMED_QUERY``, ``INVALID_FIELD``, ...) and ``message``."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message

    @classmethod
    def at(cls, soql: str, pos: int, error_code: str, detail: str) -> SoqlError:
        """The error ``detail`` located at character offset ``pos`` of ``soql``, formatted as Salesforce does.

        ``"\\nSELECT Foo FROM Account\\n       ^\\nERROR at Row:1:Column:8\\nNo such column ..."``: the
        offending row of the query, a caret under the offending token, 1-based row and column.
        (Salesforce shows only a window of very long rows; this shows the whole row — unconfirmed.)
        """
        pos = max(0, min(pos, len(soql)))
        row = soql.count("\n", 0, pos) + 1
        start = soql.rfind("\n", 0, pos) + 1
        end = soql.find("\n", pos)
        line = soql[start : end if end >= 0 else len(soql)].rstrip("\r")
        column = pos - start + 1
        message = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}"
        return cls(error_code, message)


def unexpected_token(token: str) -> str:
    """MALFORMED_QUERY (confirmed: ``unexpected token: 'FROM'``, ``unexpected token: '<EOF>'``)."""
    return f"unexpected token: '{token}'"


def no_such_column(name: str, entity: str) -> str:
    """INVALID_FIELD (confirmed)."""
    return (
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, "
        f"be sure to append the '__c' after the custom field name.{_WSDL}"
    )


def bad_relationship(name: str) -> str:
    """INVALID_FIELD (confirmed)."""
    return (
        f"Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
        f"relationship, be sure to append the '__r' after the custom relationship name.{_WSDL}"
    )


def unsupported_object(name: str) -> str:
    """INVALID_TYPE (confirmed)."""
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        f"be sure to append the '__c' after the entity name.{_WSDL}"
    )


def not_filterable(field: str) -> str:
    """INVALID_FIELD (confirmed)."""
    return f"field '{field}' can not be filtered in a query call"


def compound_not_filterable(kind: str) -> str:
    """INVALID_FIELD (confirmed for addresses: ``Address fields can only be filtered using Distance expressions``)."""
    return f"{kind} fields can only be filtered using Distance expressions"


def not_sortable(field: str) -> str:
    """MALFORMED_QUERY (text confirmed; the code is MALFORMED_QUERY per a live reproduction found in public code)."""
    return f"field '{field}' can not be sorted in a query call"


def wrong_value_type(field: str, type_name: str, *, quoted: bool) -> str:
    """INVALID_FIELD.

    Confirmed for ``double``, ``date`` and ``dateTime`` ("... and should not be enclosed in quotes");
    ``boolean``, ``int``, ``id`` and the ``string`` form ("should be enclosed in quotes") are unconfirmed.
    """
    quotes = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return f"value of filter criterion for field '{field}' must be of type {type_name} and {quotes}"


def invalid_id(value: str) -> str:
    """INVALID_QUERY_FILTER_OPERATOR (confirmed: ``invalid ID field: abc``)."""
    return f"invalid ID field: {value}"


def duplicate_field(path: str) -> str:
    """INVALID_FIELD (confirmed by the SOQL reference, FIELDS())."""
    return f"duplicate field selected: {path}"


def bad_escape(literal: str, sequence: str) -> str:
    """MALFORMED_QUERY (unconfirmed)."""
    return f"Invalid string literal '{literal}'. Illegal character sequence '{sequence}' in string literal."


def invalid_date(text: str) -> str:
    """MALFORMED_QUERY (unconfirmed)."""
    return f"Invalid date: {text}"


def offset_too_large(entity: str) -> str:
    """NUMBER_OUTSIDE_VALID_RANGE (the 2,000 limit is documented; the text is unconfirmed)."""
    return f"Maximum SOQL offset allowed for apiName {entity} is 2000"


def includes_on_wrong_field(field: str) -> str:
    """INVALID_QUERY_FILTER_OPERATOR (unconfirmed)."""
    return f"includes or excludes operator only valid on multipicklist field: {field}"
