"""The `saleshome` command line: every command answers --help, and the built-in commands work."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import saleshome
from saleshome.cli import EXIT_FAILURE, EXIT_TEMPFAIL, app, main
from saleshome.errors import ConfigurationError, QuotaExceededError, SalesHomeError

runner = CliRunner()


# typer builds click-style commands (its own vendored click): a group has `.commands`.
def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of the tree, as argument paths (the root is `()`)."""
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, (*path, name))
    return paths


ALL_COMMANDS = _command_paths(typer.main.get_command(app))


def test_the_tree_has_the_builtin_commands() -> None:
    assert {("demo",), ("version",), ("sandbox", "salesforce"), ("sandbox", "simulate")} <= set(ALL_COMMANDS)


# The settings groups of issue 6 (`saleshome <group> --help` each), with their main commands.
SETTINGS_GROUPS: dict[str, set[str]] = {
    "roles": {"list", "grant", "revoke"},
    "lists": {"list", "show", "views", "add", "remove", "add-default", "remove-default"},
    "layouts": {"show", "set", "reset"},
    "restrictions": {"show", "set"},
    "celebrations": {"show", "set", "won-stage"},
    "settings": {"show", "export", "import", "audit"},
    "notifications": {"templates", "create", "edit", "delete", "enable", "disable", "list", "show", "stats"},
}


@pytest.mark.parametrize("group", SETTINGS_GROUPS)
def test_the_settings_groups_and_their_main_commands_are_in_the_tree(group: str) -> None:
    assert (group,) in ALL_COMMANDS
    commands = {path[1] for path in ALL_COMMANDS if len(path) == 2 and path[0] == group}
    assert SETTINGS_GROUPS[group] <= commands, f"saleshome {group} lacks {SETTINGS_GROUPS[group] - commands}"
    result = runner.invoke(app, [group, "--help"])
    assert result.exit_code == 0 and all(name in result.output for name in SETTINGS_GROUPS[group])


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(("saleshome", *path)))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    assert command.help or command.short_help, f"saleshome {' '.join(path)} has no help text"


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == saleshome.__version__


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConfigurationError("no org named 'acme'", hint="run `saleshome orgs list`"), EXIT_FAILURE),
        (QuotaExceededError("daily API budget spent", retry_after=3600), EXIT_TEMPFAIL),
    ],
)
def test_main_prints_errors_with_their_hint_and_no_traceback(
    error: SalesHomeError, status: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = typer.Typer()

    @failing.command()
    def fail() -> None:
        """Raise the error under test."""
        raise error

    monkeypatch.setattr("saleshome.cli.app", failing)
    monkeypatch.setattr(sys, "argv", ["saleshome"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == status
    err = capsys.readouterr().err
    assert f"error: {error.message}" in err
    assert ("hint: " in err) == (error.hint is not None)
    assert "Traceback" not in err


def test_the_console_script_is_installed() -> None:
    script_path = shutil.which("saleshome", path=str(Path(sys.executable).parent))
    assert script_path, "the `saleshome` console script is not installed next to this Python (run `make setup`)"
    script = subprocess.run(
        [script_path, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert script.returncode == 0, script.stderr
    assert "demo" in script.stdout
