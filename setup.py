"""Build hook: the Japanese message catalogues are compiled (.po → .mo) into every built package.

The .mo files are build products (not in git), so an installation made with pip from the source
tree — the production install of docs/operations.md — would otherwise serve English pages under
lang="ja". Everything else about the package is declared in pyproject.toml.
"""
from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(".").glob("*/translations/*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            if not target.parent.exists():
                continue  # a package that is not part of the distribution
            with po.open("rb") as source:
                catalog = read_po(source)
            with target.open("wb") as out:
                write_mo(out, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogues})
