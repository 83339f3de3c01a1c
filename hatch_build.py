"""Build hook: the wheel carries the data folders and compiled translation catalogs.

knowledge/, flows/ and locales/ live beside bot/ in the checkout (people edit them there); in the
wheel they go to bot/_data/, where bot/data/paths.py looks when there is no checkout. The .mo
catalogs are gitignored build products, so they are compiled here from the .po files rather than
copied (a stale or missing .mo in the checkout never reaches a wheel). An editable install runs
from the checkout and needs none of this.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DATA = "bot/_data"


class DataHook(BuildHookInterface):  # type: ignore[misc,type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        include: dict[str, str] = build_data["force_include"]
        for folder in ("knowledge", "flows"):
            for path in sorted((root / folder).rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    include[str(path)] = f"{DATA}/{path.relative_to(root).as_posix()}"
        self._compiled = Path(tempfile.mkdtemp(prefix="trolyso-mo-"))
        for po in sorted((root / "locales").rglob("*.po")):
            relative = po.relative_to(root)
            include[str(po)] = f"{DATA}/{relative.as_posix()}"
            mo = self._compiled / relative.with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            include[str(mo)] = f"{DATA}/{relative.with_suffix('.mo').as_posix()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
