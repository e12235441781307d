"""Fast checks of what the package says about itself: version, license and changelog."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import metadata, version
from pathlib import Path

from packaging_support import ROOT

import bot

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_one_version_everywhere() -> None:
    """pyproject.toml, bot.__version__ and the installed metadata agree."""
    assert bot.__version__ == PROJECT["version"] == version("ruche")


def test_version_option_prints_the_installed_version() -> None:
    ruche = Path(sys.executable).parent / "ruche"
    result = subprocess.run([str(ruche), "--version"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, f"ruche {version('ruche')}")


def test_license_is_the_complete_agpl_v3() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].strip() == "GNU AFFERO GENERAL PUBLIC LICENSE"
    assert lines[1].strip() == "Version 3, 19 November 2007"
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert lines[-1] == "<https://www.gnu.org/licenses/>."
    # The text as the FSF publishes it: 661 lines, 34,523 bytes.
    assert (len(lines), len(text.encode("utf-8"))) == (661, 34523)
    assert PROJECT["license"] == "AGPL-3.0-or-later"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert metadata("ruche")["License-Expression"] == "AGPL-3.0-or-later"


def test_changelog_has_the_released_version_and_unreleased() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased"
    assert PROJECT["version"] in headings
