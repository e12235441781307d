"""Build hook: the wheel carries config.example.toml inside `bot` for `ruche init`.

The root config.example.toml stays the one source (docs and tests read it there); this copies
it into the built package, so an installed wheel has it without a second file in the repository.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLE = "config.example.toml"


class BuildWithExample(build_py):
    """build_py that also copies the root config.example.toml to bot/config.example.toml."""

    def run(self) -> None:
        """Build as usual, then add the example unless this is an editable install."""
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "bot" / EXAMPLE
            self.copy_file(EXAMPLE, str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """List the copied example too, so it is recorded like every other built file."""
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs.append(str(Path(self.build_lib) / "bot" / EXAMPLE))
        return outputs


setup(cmdclass={"build_py": BuildWithExample})
