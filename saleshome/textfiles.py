"""Reading the text and YAML files a user hands to the CLI (``settings import FILE``,
``notifications create|edit --file FILE``, a JWT login's ``PREFIX_PRIVATE_KEY_FILE``) — the one
way they are read.

Invariants:

- A file is UTF-8, with or without a byte order mark; anything else is refused with an
  :class:`~saleshome.errors.InputFileError` naming the file and what was found there
  ("UTF-16 (byte order mark)", "not UTF-8: byte 0xe9 at line 3, column 7").
- Malformed YAML is refused the same way, naming the file, the line and the column (1-based)
  and the problem; so is any value the YAML loader cannot build (``2024-02-30``, ``!!int x``,
  an unknown tag, nesting too deep).  Nothing reaches the caller as a traceback.
- The error is one line (control characters of the input are escaped), so that a bad file
  gets one clear error and the command changes nothing: callers read the file before they
  open anything.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from saleshome.errors import InputFileError

__all__ = ["load_yaml", "read_text_file", "read_yaml_file", "read_yaml_mapping"]

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_KINDS = {str: "plain text", list: "a list", int: "a number", float: "a number", bool: "a boolean"}
_SAVE_AS_UTF8 = "save it as UTF-8"
_MAX_DEPTH = 100  # nesting deeper than this is refused before Python's recursion limit is reached


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (an error stays one line)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of the character at ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def decode_text(data: bytes, source: str, *, secret: bool = False) -> str:
    """``data`` as UTF-8 text (a leading byte order mark dropped); anything else → :class:`InputFileError`
    (``secret``: the error says where, never which byte)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            raise InputFileError(f"{source}: the file is {encoding} (byte order mark), not UTF-8: {_SAVE_AS_UTF8}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        before = data[:start].decode("utf-8-sig")  # valid: the first bad byte is at `start`
        line, column = _position(before, len(before))
        byte = "a byte" if secret else f"byte 0x{data[start]:02x}"
        raise InputFileError(f"{source}: not UTF-8: {byte} at line {line}, column {column}: {_SAVE_AS_UTF8}") from None
    if "\x00" in text:
        line, column = _position(text, text.index("\x00"))
        raise InputFileError(f"{source}: not UTF-8 text: a NUL byte at line {line}, column {column} (UTF-16 or "
                             f"UTF-32 without a byte order mark?): {_SAVE_AS_UTF8}")
    return text


def read_text_file(path: Path, *, secret: bool = False) -> str:
    """The text of ``path`` (UTF-8, byte order mark or not); unreadable or not UTF-8 → :class:`InputFileError`
    (``secret``, e.g. a private key: the error never quotes the file's content)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return decode_text(data, str(path), secret=secret)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, where a value it cannot build is a :class:`ConstructorError` at that value.

    (PyYAML raises bare ``ValueError``, ``IndexError``, ``AttributeError``... for ``2024-02-30``,
    ``!!int ""``, ``!!timestamp x``.)
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # PyYAML's constructors fail on bad input in many ways
            kind = str(node.tag).rsplit(":", 1)[-1]
            value = _one_line(repr(node.value)) if isinstance(node, yaml.ScalarNode) else "this value"
            detail = f" ({_one_line(str(exc))})" if isinstance(exc, ValueError) else ""
            raise ConstructorError(None, None, f"{value} is not a valid {kind}{detail}", node.start_mark) from None

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > _MAX_DEPTH:
                raise ConstructorError(None, None, f"nested more than {_MAX_DEPTH} levels deep",
                                       self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str, source: str) -> Any:
    """``text`` as YAML data; malformed YAML → :class:`InputFileError` naming ``source``, line and column."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InputFileError(f"{source}: malformed YAML{where}: {_one_line(problem)}") from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise InputFileError(f"{source}: malformed YAML at line {line}, column {column}: character U+{code:04X} "
                             "is not allowed in YAML") from None
    except RecursionError:
        raise InputFileError(f"{source}: malformed YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{source}: malformed YAML: {_one_line(str(exc))}") from None


def read_yaml_file(path: Path) -> Any:
    """The YAML data of ``path`` (UTF-8); any problem reading it → :class:`InputFileError` naming where."""
    return load_yaml(read_text_file(path), str(path))


def read_yaml_mapping(path: Path, *, expected: str) -> dict[Any, Any]:
    """:func:`read_yaml_file`, which must be a mapping (``expected`` says of what, for the error)."""
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        found = "an empty document" if data is None else _KINDS.get(type(data), f"a {type(data).__name__}")
        raise InputFileError(f"{path}: expected a mapping ({expected}), found {found}")
    return data
