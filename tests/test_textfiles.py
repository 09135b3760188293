"""saleshome.textfiles: any bytes are either UTF-8 YAML data or one `InputFileError` line naming the source."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saleshome.errors import InputFileError
from saleshome.textfiles import decode_text, load_yaml

# Pieces of YAML that PyYAML's loader trips over in its own ways (tags whose constructors raise bare
# ValueError/IndexError/AttributeError, impossible timestamps, deep nesting, control characters).
PIECES = [*":-[]{}!&*?|>'\"#%@`, \n\t\r", "!!int", "!!float", "!!bool", "!!timestamp", "!!binary", "!!set", "!!omap",
          "!!pairs", "!!python/name:os.system", "!nope", "2024-02-30", "a", "1", "\x85", "\u2028", "- ", "? ",
          "<<: ", "*a", "&a ", "\x00", "\x07", "\ufeff", "%YAML 1.1\n---\n", "---", "...", "[" * 300]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=200),
                 st.lists(st.sampled_from(PIECES), max_size=40).map(lambda p: "".join(p).encode("utf-8"))))
def test_any_bytes_are_data_or_one_line_naming_the_source(data: bytes) -> None:
    try:
        load_yaml(decode_text(data, "f.yaml"), "f.yaml")
    except InputFileError as exc:
        assert exc.message.startswith("f.yaml: ") and "\n" not in exc.message and "\r" not in exc.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a: 1\nb:\n  c: caf\xe9\n", "f.yaml: not UTF-8: byte 0xe9 at line 3, column 9: save it as UTF-8"),
        (b"\xef\xbb\xbfa: 1\n\xff", "f.yaml: not UTF-8: byte 0xff at line 2, column 1: save it as UTF-8"),
        ("a: 1".encode("utf-16"), "f.yaml: the file is UTF-16 (byte order mark), not UTF-8: save it as UTF-8"),
        ("a: 1".encode("utf-32"), "f.yaml: the file is UTF-32 (byte order mark), not UTF-8: save it as UTF-8"),
        (b"a: !!int ''", "f.yaml: malformed YAML at line 1, column 4: '' is not a valid int"),
        (b"a: !!timestamp x", "f.yaml: malformed YAML at line 1, column 4: 'x' is not a valid timestamp"),
        (b"a:\n  b: \x07", "f.yaml: malformed YAML at line 2, column 6: character U+0007 is not allowed in YAML"),
        (b"[" * 500, "f.yaml: malformed YAML at line 1, column 101: nested more than 100 levels deep"),
    ],
)
def test_the_error_names_the_encoding_or_the_line_and_column(data: bytes, message: str) -> None:
    with pytest.raises(InputFileError) as refused:
        load_yaml(decode_text(data, "f.yaml"), "f.yaml")
    assert refused.value.message == message


def test_utf8_with_or_without_a_byte_order_mark() -> None:
    for data in ("a: café".encode(), b"\xef\xbb\xbf" + "a: café".encode()):
        assert load_yaml(decode_text(data, "f.yaml"), "f.yaml") == {"a": "café"}


def test_a_private_key_file_is_read_the_same_way_quoting_none_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from saleshome.errors import ConfigurationError
    from saleshome.salesforce.credentials import read_env

    key = tmp_path / "key.der"
    key.write_bytes(b"0\x82\x04\xa4\x02\x01")  # a DER key where a PEM one belongs
    monkeypatch.setenv("SF_X_PRIVATE_KEY_FILE", str(key))
    with pytest.raises(ConfigurationError) as refused:
        read_env("SF_X")
    assert refused.value.message == (f"SF_X_PRIVATE_KEY_FILE: {key}: not UTF-8: a byte at line 1, column 2: "
                                     "save it as UTF-8")
    key.write_text("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n")
    assert read_env("SF_X")["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")
