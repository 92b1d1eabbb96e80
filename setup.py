"""Build hooks only (the metadata is in pyproject.toml).

A wheel must serve pages with no checkout beside it, so building it
- copies the top-level templates/ into the package as council/_templates (council/paths.py finds it), and
- compiles every catalogue (.po) into the .mo files the app loads.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithTemplates(build_py):
    def run(self):
        super().run()
        if self.dry_run:
            return
        target = Path(self.build_lib) / "council"
        shutil.rmtree(target / "_templates", ignore_errors=True)
        shutil.copytree(HERE / "templates", target / "_templates")
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((HERE / "council" / "locale").glob("*/LC_MESSAGES/*.po")):
            out = target / po.relative_to(HERE / "council").with_suffix(".mo")
            out.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=po.parent.parent.name, domain=po.stem)
            with out.open("wb") as fh:
                write_mo(fh, catalog)


setup(cmdclass={"build_py": BuildWithTemplates})
