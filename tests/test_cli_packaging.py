"""The wheel carries what the `saleshome` command reads next to its package: the demo's example settings."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import saleshome
from saleshome.cli.demo import EXAMPLE_SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = shutil.which("uv") or (str(ROOT / ".tools" / "bin" / "uv") if (ROOT / ".tools/bin/uv").exists() else None)
    assert found, "uv is neither on PATH nor in .tools/ (run `make setup`)"
    return found


@pytest.mark.slow
def test_the_wheel_ships_the_example_settings_where_the_demo_reads_them(tmp_path: Path) -> None:
    built = subprocess.run([_uv(), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("saleshome-*.whl")
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    # saleshome/cli/demo.py finds the example relative to the package: the same relative path inside the installed wheel
    relative = EXAMPLE_SETTINGS.relative_to(Path(saleshome.__file__).resolve().parents[1])
    installed = site / relative
    assert installed.is_file(), f"{relative} is not in {wheel.name}"
    assert installed.read_text(encoding="utf-8") == (ROOT / "examples" / "sales-home.yaml").read_text(encoding="utf-8")
