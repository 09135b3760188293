"""Every file the CLI reads (``settings import``, ``notifications create|edit --file``): a file that is not
UTF-8 YAML of the right shape is refused with one line naming the file (and the line and column), exit
status 2, no traceback, nothing changed."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from saleshome.settings.context import SettingsContext
from tests.fixtures.cli import run_cli
from tests.fixtures.workspace import ALIAS, People

from .conftest import control_tables, dump_tables
from .test_import_export import example_for

pytestmark = pytest.mark.integration

NOTIFICATION = (
    "template: threshold_crossed\n"
    "options: {field: Amount, value: 100000, direction: up}\n"
    "recipients:\n"
    "  owner: true\n"
    "title: \"Deal over 100k\"\n"
)
# Bytes that, inserted into a valid document, usually break it: flow brackets, quotes, tabs, anchors,
# tags, NUL, a Latin-1 "é", a lone UTF-8 continuation byte, a bad indentation.
BREAKERS = (b"[", b"{", b"}", b"]", b'"', b"'", b"\t", b"&", b"*x", b"!!int ", b"!nope ", b"\x00", b"\xe9",
            b"\x80", b"\n - ", b": :", b"\n   x", b"%", b"@", b"`", b"2024-02-30 ", b"? [a]\n")


def _not_a_mapping(data: bytes) -> bool:
    """True when ``data`` is not a UTF-8 YAML mapping (what every file-reading command must refuse)."""
    try:
        return not isinstance(yaml.safe_load(data.decode("utf-8-sig")), dict)
    except Exception:  # decoding, or PyYAML in any of its ways
        return True


def near_valid(document: bytes) -> st.SearchStrategy[bytes]:
    """``document`` with one spot broken: a breaking byte sequence inserted, or re-encoded, or cut short."""
    position = st.integers(min_value=0, max_value=len(document))
    inserted = st.builds(lambda at, what: document[:at] + what + document[at:], position, st.sampled_from(BREAKERS))
    reencoded = st.sampled_from(("utf-16", "utf-16-le", "utf-32", "latin-1")).map(
        lambda enc: document.decode("utf-8").replace("Deal", "Déal").replace("acme", "acmé").encode(enc))
    cut = position.map(lambda at: document[:at])
    return st.one_of(inserted, reencoded, cut)


@pytest.fixture()
def workspace(ready: SettingsContext, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[SettingsContext, bytes]:
    """The example settings applied (notifications included); returns the context and the exported document."""
    path = tmp_path / "example.yaml"
    path.write_text(example_for())
    code, _, err = run_cli(monkeypatch, capsys, "settings", "import", str(path), "--as", people.sales_admin)
    assert code == 0, err
    code, exported, err = run_cli(monkeypatch, capsys, "settings", "export")
    assert code == 0, err
    return ready, exported.encode("utf-8")


COMMANDS = {
    "settings import": ("settings", "import", "{file}", "--as", "{admin}"),
    "settings import --dry-run": ("settings", "import", "{file}", "--dry-run", "--as", "{admin}"),
    "notifications create --file": ("notifications", "create", "new-one", "--org", ALIAS, "--file", "{file}",
                                    "--as", "{admin}"),
    "notifications edit --file": ("notifications", "edit", "big-deals", "--file", "{file}", "--as", "{admin}"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_random_and_broken_files_get_one_line_and_change_nothing(
    command: str, workspace: tuple[SettingsContext, bytes], people: People, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx, exported = workspace
    valid = exported if command.startswith("settings") else NOTIFICATION.encode("utf-8")
    path = tmp_path / "input.yaml"
    args = [a.format(file=path, admin=people.sales_admin) for a in COMMANDS[command]]
    tables = control_tables(ctx.control)
    before = dump_tables(ctx.control, tables)

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
    @given(st.one_of(st.binary(max_size=300), near_valid(valid)))
    @example(b"name: caf\xe9\n")  # Latin-1
    @example("template: stage_changed\n".encode("utf-16"))  # UTF-16 with its byte order mark
    @example(b"template: [stage_changed\n")
    @example(b"")
    def check(data: bytes) -> None:
        assume(_not_a_mapping(data))
        path.write_bytes(data)
        code, out, err = run_cli(monkeypatch, capsys, *args)
        assert code == 2, (data, code, out, err)
        assert err.startswith(f"error: {path}: ") and err.count("\n") == 1, (data, err)
        assert "Traceback" not in err and out == "", (data, out, err)

    check()
    assert dump_tables(ctx.control, tables) == before
    code, after, _ = run_cli(monkeypatch, capsys, "settings", "export")
    assert code == 0 and after.encode("utf-8") == exported


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("restrictions:\n  include_external: false\n  # café\n".encode("latin-1"),
         "not UTF-8: byte 0xe9 at line 3, column 8: save it as UTF-8"),
        ("restrictions:\n  include_external: false\n".encode("utf-16"),
         "the file is UTF-16 (byte order mark), not UTF-8"),
        ("restrictions:\n  include_external: false\n".encode("utf-32"),
         "the file is UTF-32 (byte order mark), not UTF-8"),
        ("restrictions:\n  include_external: false\n".encode("utf-16-le"),
         "not UTF-8 text: a NUL byte at line 1, column 2 (UTF-16 or UTF-32 without a byte order mark?)"),
        (b"restrictions: {channel_types: [public\n", "malformed YAML at line 2, column 1: expected ',' or ']'"),
        (b"celebrations:\n  enabled: true\n   message: x\n", "malformed YAML at line 3, column 11"),
        (b"orgs: {acme: {won_stage: 2024-02-30}}\n",
         "malformed YAML at line 1, column 26: '2024-02-30' is not a valid timestamp (day is out of range"),
        (b"- a\n- list\n", "expected a mapping (of sections: restrictions, celebrations, orgs), found a list"),
    ],
)
def test_settings_import_names_the_encoding_or_the_line_and_column(
    data: bytes, message: str, ready: SettingsContext, people: People, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "sales-home.yaml"
    path.write_bytes(data)
    before = dump_tables(ready.control)
    code, out, err = run_cli(monkeypatch, capsys, "settings", "import", str(path), "--as", people.sales_admin)
    assert code == 2 and out == "" and err.startswith(f"error: {path}: {message}") and err.count("\n") == 1, err
    assert dump_tables(ready.control) == before


def test_utf8_with_or_without_byte_order_mark_is_read(
    ready: SettingsContext, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "celebrations:\n  message: \"{owner} a gagné {opportunity} — bravo\"\n"
    for name, data in (("plain.yaml", text.encode("utf-8")), ("bom.yaml", codecs.BOM_UTF8 + text.encode("utf-8"))):
        path = tmp_path / name
        path.write_bytes(data)
        code, out, err = run_cli(monkeypatch, capsys, "settings", "import", str(path), "--dry-run",
                                 "--as", people.sales_admin)
        assert code == 0 and "gagné" in out and "Dry run" in out, (name, out, err)


def test_notification_files_and_option_values_are_read_the_same_way(
    ready: SettingsContext, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"template: threshold_crossed\noptions: {field: Amount, value: 100000\n")
    code, out, err = run_cli(monkeypatch, capsys, "notifications", "create", "big", "--org", ALIAS, "--file",
                             str(path), "--as", people.sales_admin)
    assert code == 2 and err == f"error: {path}: malformed YAML at line 3, column 1: expected ',' or '}}', " \
                                "but got '<stream end>'\n", err
    code, out, err = run_cli(monkeypatch, capsys, "notifications", "create", "big", "--org", ALIAS, "--template",
                             "stage_changed", "--option", "to_stages=[Won", "--as", people.sales_admin)
    assert code == 2 and err.startswith("error: --option 'to_stages=[Won': malformed YAML at line 1, column ") \
        and err.count("\n") == 1, err
    path.write_bytes(NOTIFICATION.encode("utf-8"))
    code, out, err = run_cli(monkeypatch, capsys, "notifications", "create", "big", "--org", ALIAS, "--file",
                             str(path), "--as", people.sales_admin)
    assert code == 0 and "Created big" in out, err
