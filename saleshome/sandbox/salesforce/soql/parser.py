"""SOQL text → a typed syntax tree (dataclasses), with the grammar in ``grammar.lark`` (LALR).

Only syntax is checked here: names are not resolved (see :mod:`.compiler`).  Every node keeps
``pos``, the 0-based character offset where it starts, for Salesforce's caret error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import errors
from .errors import SoqlError

# ------------------------------------------------------------------------------------ syntax tree


@dataclass(frozen=True)
class FieldPath:
    """A field name, or a parent relationship path such as ``Account.Owner.Name`` (names as written)."""

    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class NullValue:
    pos: int


@dataclass(frozen=True)
class BoolValue:
    value: bool
    pos: int


@dataclass(frozen=True)
class NumberValue:
    """A number as written (no exponent): ``text`` and its exact ``value``."""

    text: str
    value: Decimal
    pos: int

    @property
    def is_integer(self) -> bool:
        return "." not in self.text


@dataclass(frozen=True)
class StringValue:
    """A quoted string: ``value`` with escapes decoded, ``like_pattern`` for LIKE.

    ``like_pattern`` is a SQL LIKE pattern with escape character ``\\``: the SOQL wildcards ``%`` and
    ``_`` stay wildcards, while ``\\%``, ``\\_`` and ``\\\\`` become escaped literals.
    """

    value: str
    like_pattern: str
    raw: str
    pos: int


@dataclass(frozen=True)
class DateValue:
    value: date
    pos: int


@dataclass(frozen=True)
class DateTimeValue:
    """A datetime literal, converted to UTC (aware)."""

    value: datetime
    pos: int


@dataclass(frozen=True)
class DateLiteral:
    """A relative date range such as ``THIS_QUARTER`` (``n`` None) or ``LAST_N_DAYS:7``; ``name`` is upper-case."""

    name: str
    n: int | None
    pos: int


Value = NullValue | BoolValue | NumberValue | StringValue | DateValue | DateTimeValue | DateLiteral


@dataclass(frozen=True)
class Comparison:
    """``path op value`` with op one of ``= != < <= > >= LIKE`` (``<>`` is read as ``!=``)."""

    path: FieldPath
    op: str
    value: Value


@dataclass(frozen=True)
class InList:
    """``path [NOT] IN (...)``, or ``INCLUDES``/``EXCLUDES`` (op ``IN``, ``NOT IN``, ``INCLUDES``, ``EXCLUDES``)."""

    path: FieldPath
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | InList | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY item; ``nulls_first`` None means Salesforce's default (first when ascending)."""

    path: FieldPath
    descending: bool
    nulls_first: bool | None


@dataclass(frozen=True)
class Query:
    """A parsed ``SELECT``: either ``COUNT()`` (``is_count``) or ``fields``."""

    fields: tuple[FieldPath, ...]
    is_count: bool
    object_name: str
    object_pos: int
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    offset_pos: int = 0


# ------------------------------------------------------------------------------------ parsing


@cache
def _parser() -> Lark:
    grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", maybe_placeholders=False)


def parse(soql: str) -> Query:
    """Parse ``soql`` (raises :class:`SoqlError` ``MALFORMED_QUERY`` on a syntax error)."""
    try:
        tree = _parser().parse(soql)
    except UnexpectedInput as exc:
        raise _syntax_error(soql, exc) from None
    try:
        query: Query = _Builder(soql).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, SoqlError):
            raise exc.orig_exc from None
        raise
    return query


def _syntax_error(soql: str, exc: UnexpectedInput) -> SoqlError:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return SoqlError.at(soql, exc.token.start_pos or 0, "MALFORMED_QUERY", errors.unexpected_token(exc.token))
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        word = re.match(r"[\w.:+-]+|\S", soql[pos:])
        text = word.group(0) if word else soql[pos : pos + 1]
        return SoqlError.at(soql, pos, "MALFORMED_QUERY", errors.unexpected_token(text))
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        return SoqlError.at(soql, len(soql), "MALFORMED_QUERY", errors.unexpected_token("<EOF>"))
    return SoqlError.at(soql, 0, "MALFORMED_QUERY", errors.unexpected_token("<EOF>"))  # pragma: no cover


_SIMPLE_ESCAPES = MappingProxyType(
    {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))", re.IGNORECASE
)


class _Builder(Transformer[Token, Any]):
    """Lark tree → syntax tree dataclasses; decodes and checks literals."""

    def __init__(self, soql: str) -> None:
        super().__init__()
        self._soql = soql

    def _error(self, pos: int, code: str, detail: str) -> SoqlError:
        return SoqlError.at(self._soql, pos, code, detail)

    # -- structure
    def start(self, items: list[Any]) -> Query:
        select, name, *clauses = items
        found: dict[str, Any] = {}
        for clause in clauses:
            found[clause[0]] = clause[1]
        return Query(
            fields=() if select is None else tuple(select),
            is_count=select is None,
            object_name=str(name),
            object_pos=name.start_pos or 0,
            where=found.get("where"),
            order_by=tuple(found.get("order", ())),
            limit=found["limit"][0] if "limit" in found else None,
            offset=found["offset"][0] if "offset" in found else None,
            offset_pos=found["offset"][1] if "offset" in found else 0,
        )

    def count_all(self, items: list[Any]) -> None:
        return None

    def field_list(self, items: list[FieldPath]) -> list[FieldPath]:
        return list(items)

    def field_path(self, items: list[Token]) -> FieldPath:
        return FieldPath(tuple(str(t) for t in items), items[0].start_pos or 0)

    def where_clause(self, items: list[Condition]) -> tuple[str, Condition]:
        return ("where", items[0])

    def single(self, items: list[Condition]) -> Condition:
        return items[0]

    def all_of(self, items: list[Condition]) -> And:
        return And(tuple(items))

    def any_of(self, items: list[Condition]) -> Or:
        return Or(tuple(items))

    def negation(self, items: list[Condition]) -> Not:
        return Not(items[0])

    def compare(self, items: list[Any]) -> Comparison:
        path, op, value = items
        return Comparison(path, "!=" if op == "<>" else str(op), value)

    def like(self, items: list[Any]) -> Comparison:
        return Comparison(items[0], "LIKE", items[1])

    def in_list(self, items: list[Any]) -> InList:
        return InList(items[0], "IN", items[1])

    def not_in_list(self, items: list[Any]) -> InList:
        return InList(items[0], "NOT IN", items[1])

    def includes(self, items: list[Any]) -> InList:
        return InList(items[0], "INCLUDES", items[1])

    def excludes(self, items: list[Any]) -> InList:
        return InList(items[0], "EXCLUDES", items[1])

    def value_list(self, items: list[Value]) -> tuple[Value, ...]:
        return tuple(items)

    def order_clause(self, items: list[OrderItem]) -> tuple[str, list[OrderItem]]:
        return ("order", list(items))

    def order_item(self, items: list[Any]) -> OrderItem:
        path: FieldPath = items[0]
        descending = False
        nulls_first: bool | None = None
        for item in items[1:]:
            if isinstance(item, Tree) and item.data == "direction":
                descending = str(item.children[0]).upper() == "DESC"
            elif isinstance(item, Tree) and item.data == "nulls":
                nulls_first = str(item.children[0]).upper() == "FIRST"
        return OrderItem(path, descending, nulls_first)

    def limit_clause(self, items: list[Token]) -> tuple[str, tuple[int, int]]:
        return ("limit", (self._count(items[0]), items[0].start_pos or 0))

    def offset_clause(self, items: list[Token]) -> tuple[str, tuple[int, int]]:
        return ("offset", (self._count(items[0]), items[0].start_pos or 0))

    def _count(self, token: Token) -> int:
        if not token.isdigit():
            raise self._error(token.start_pos or 0, "MALFORMED_QUERY", errors.unexpected_token(token))
        return int(token)

    # -- literals
    def string(self, items: list[Token]) -> StringValue:
        token = items[0]
        value, pattern = self._decode(token)
        return StringValue(value, pattern, str(token), token.start_pos or 0)

    def number(self, items: list[Token]) -> NumberValue:
        token = items[0]
        return NumberValue(str(token), Decimal(str(token)), token.start_pos or 0)

    def date(self, items: list[Token]) -> DateValue:
        token = items[0]
        try:
            return DateValue(date.fromisoformat(str(token)), token.start_pos or 0)
        except ValueError:
            raise self._error(token.start_pos or 0, "MALFORMED_QUERY", errors.invalid_date(token)) from None

    def datetime(self, items: list[Token]) -> DateTimeValue:
        token = items[0]
        match = _DATETIME.fullmatch(str(token))
        try:
            if match is None:
                raise ValueError(token)
            y, mo, d, h, mi, s, frac, zulu, sign, oh, om = match.groups()
            moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), int((frac or "0").ljust(3, "0")) * 1000)
            offset = timedelta() if zulu else timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
            return DateTimeValue((moment - offset).replace(tzinfo=UTC), token.start_pos or 0)
        except (ValueError, OverflowError):
            raise self._error(token.start_pos or 0, "MALFORMED_QUERY", errors.invalid_date(token)) from None

    def date_literal(self, items: list[Token]) -> DateLiteral:
        return DateLiteral(str(items[0]).upper(), None, items[0].start_pos or 0)

    def date_n_literal(self, items: list[Token]) -> DateLiteral:
        name, _, n = str(items[0]).upper().partition(":")
        return DateLiteral(name, int(n), items[0].start_pos or 0)

    def null(self, items: list[Token]) -> NullValue:
        return NullValue(items[0].start_pos or 0)

    def true(self, items: list[Token]) -> BoolValue:
        return BoolValue(True, items[0].start_pos or 0)

    def false(self, items: list[Token]) -> BoolValue:
        return BoolValue(False, items[0].start_pos or 0)

    def _decode(self, token: Token) -> tuple[str, str]:
        """Decode Salesforce string escapes: the value, and the LIKE pattern (escape character ``\\``)."""
        raw = str(token)[1:-1]
        value: list[str] = []
        pattern: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch != "\\":
                value.append(ch)
                pattern.append(ch)
                i += 1
                continue
            code = raw[i + 1]
            if code in "%_":
                value.append(code)
                pattern.append("\\" + code)
                i += 2
            elif code in _SIMPLE_ESCAPES:
                decoded = _SIMPLE_ESCAPES[code]
                value.append(decoded)
                pattern.append("\\\\" if decoded == "\\" else decoded)
                i += 2
            elif code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2 : i + 6]):
                decoded = chr(int(raw[i + 2 : i + 6], 16))
                value.append(decoded)
                pattern.append("\\" + decoded if decoded in "%_\\" else decoded)
                i += 6
            else:
                pos = (token.start_pos or 0) + 1 + i
                raise self._error(pos, "MALFORMED_QUERY", errors.bad_escape(str(token)[1:-1], raw[i : i + 2]))
        return _join_surrogates("".join(value)), _join_surrogates("".join(pattern))


def _join_surrogates(text: str) -> str:
    """Combine UTF-16 surrogate pairs written as two ``\\uXXXX`` escapes into one character."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return text
