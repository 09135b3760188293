"""Run the ``saleshome`` console script in-process, as a user types it (errors printed as message and hint)."""

from __future__ import annotations

import io
import sys

import pytest

from saleshome.cli import main


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    """``saleshome ARGS...`` with ``stdin`` as its input: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["saleshome", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exited:
        code = exited.code
    out, err = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out, err
