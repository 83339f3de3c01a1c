"""Communes and wards by province (knowledge/communes.yaml), validated when loaded.

The file is optional data: without it the book is empty. With it, every problem is collected and
reported at once as ``knowledge/communes.yaml:<line>: <field>: <what is wrong and how to fix it>``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.data.models import Frozen
from bot.data.paths import knowledge_dir
from bot.data.yamlfile import describe_validation_error, line_of, read_yaml
from bot.errors import DataError

LABEL = "knowledge/communes.yaml"
UnitKind = Literal["xa", "phuong"]
FormerKind = Literal["xa", "phuong", "thi_tran"]

MAX_ID_BYTES = 40
_ID_RE = re.compile(r"^[a-z][a-z0-9]*\.(xa|phuong)-[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9]{1,19}$")
_URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
_PREFIX = {"xa": "Xã", "phuong": "Phường", "thi_tran": "Thị trấn"}


def slug(name: str) -> str:
    """The ascii slug of a Vietnamese name, as used in unit ids: "Anh Sơn Đông" -> "anh-son-dong"."""
    plain = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d").casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _web_address(value: str | None) -> str | None:
    if value is not None and not _URL_RE.match(value):
        raise ValueError("must be a full web address starting with https://, without spaces")
    return value


class FormerUnit(Frozen):
    """A unit merged into a new one, named as the resolution names it."""

    name: str = Field(min_length=1)
    kind: FormerKind
    district: str | None = Field(default=None, min_length=1)

    @property
    def full_name(self) -> str:
        """The name with its prefix: "Thị trấn Kim Nhan", "Xã Đức Sơn", "Phường Quán Bàu"."""
        return f"{_PREFIX[self.kind]} {self.name}"


class ContactPoint(Frozen):
    """Where to reach a commune. Phone, address and url only as published, with source and date."""

    name: str = Field(min_length=3)
    phone: str | None = Field(default=None, min_length=3)
    address: str | None = Field(default=None, min_length=3)
    url: str | None = None
    source: str | None = None
    checked: dt.date | None = None

    _urls = field_validator("url", "source")(_web_address)

    @model_validator(mode="after")
    def _sourced(self) -> ContactPoint:
        if (self.phone or self.address or self.url) and not (self.source and self.checked):
            raise ValueError(
                "a phone, address or url needs `source` (the page that publishes it) and `checked`"
                " (the date it was read); add both or remove the detail"
            )
        return self


class Commune(Frozen):
    """One current commune (xã) or ward (phường)."""

    id: str
    kind: UnitKind
    name: str = Field(min_length=1)
    code: str | None = Field(default=None, pattern=r"^\d{5}$")
    former: tuple[FormerUnit, ...] = ()
    contact: ContactPoint | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                "ids look like <province key>.<xa|phuong>-<ascii slug of the name>, e.g. nghean.xa-anh-son"
            )
        if len(v.encode()) > MAX_ID_BYTES:
            raise ValueError(f"ids are at most {MAX_ID_BYTES} bytes; shorten the slug")
        return v

    @property
    def full_name(self) -> str:
        """The name with its prefix: "Xã Anh Sơn", "Phường Vinh Hưng"."""
        return f"{_PREFIX[self.kind]} {self.name}"

    @property
    def unchanged(self) -> bool:
        """True for a unit the 2025 reorganisation kept as it was (no former units listed)."""
        return not self.former


class Province(Frozen):
    key: str
    name: str = Field(min_length=1)
    code: str = Field(pattern=r"^\d{2}$")
    source: str
    legal_basis: str = Field(min_length=3)
    checked: dt.date
    cross_checked: tuple[str, ...] = ()
    units: tuple[Commune, ...]

    _urls = field_validator("source")(_web_address)

    @field_validator("cross_checked")
    @classmethod
    def _cross(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for url in v:
            _web_address(url)
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not _KEY_RE.match(v):
            raise ValueError("a province key is a short lower-case ascii slug, e.g. nghean")
        return v


class CommunesFile(Frozen):
    version: Literal[1] = 1
    provinces: tuple[Province, ...]


@dataclass(frozen=True)
class CommuneBook:
    """Every known commune, by id; built once at load time."""

    provinces: tuple[Province, ...] = ()
    _by_id: dict[str, tuple[Province, Commune]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index = {unit.id: (province, unit) for province in self.provinces for unit in province.units}
        object.__setattr__(self, "_by_id", index)

    def get(self, commune_id: str) -> Commune | None:
        found = self._by_id.get(commune_id)
        return found[1] if found else None

    def all(self) -> list[Commune]:
        return [unit for province in self.provinces for unit in province.units]

    def province_of(self, commune_id: str) -> Province | None:
        found = self._by_id.get(commune_id)
        return found[0] if found else None

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Commune]:
        return iter(self.all())


def load_communes(path: Path | None = None) -> CommuneBook:
    """Read and validate the communes file; a missing file is an empty book."""
    path = path or knowledge_dir() / "communes.yaml"
    if not path.exists():
        return CommuneBook()
    data = read_yaml(path, LABEL)
    try:
        parsed = CommunesFile.model_validate(data)
    except ValidationError as exc:
        raise DataError(describe_validation_error(LABEL, data, exc)) from exc
    problems = _cross_checks(parsed, data)
    if problems:
        raise DataError(problems)
    return CommuneBook(parsed.provinces)


def _at(data: Any, *loc: int | str) -> str:
    line = line_of(data, loc)
    return f"{LABEL}:{line}" if line else LABEL


def _cross_checks(parsed: CommunesFile, data: Any) -> list[str]:
    """What one unit cannot know alone: id prefixes, unique ids, unique names, repeated formers."""
    problems: list[str] = []
    keys: dict[str, int] = {}
    ids: dict[str, str] = {}
    for p, province in enumerate(parsed.provinces):
        if province.key in keys:
            problems.append(
                f"{_at(data, 'provinces', p, 'key')}: provinces.{p}.key: {province.key!r} is also the key of"
                f" provinces.{keys[province.key]}; give each province its own key"
            )
        keys.setdefault(province.key, p)
        if not province.units:
            problems.append(
                f"{_at(data, 'provinces', p, 'units')}: provinces.{p}.units: {province.name} has no units;"
                " list its communes and wards"
            )
        names: dict[tuple[str, str], int] = {}
        for u, unit in enumerate(province.units):
            where = ("provinces", p, "units", u)
            path = f"provinces.{p}.units.{u}"
            prefix = f"{province.key}.{unit.kind}-"
            if not unit.id.startswith(prefix):
                problems.append(
                    f"{_at(data, *where, 'id')}: {path}.id: {unit.id!r} must start with {prefix!r}"
                    f" (province key and kind); e.g. {prefix}{slug(unit.name)}"
                )
            if unit.id in ids:
                problems.append(
                    f"{_at(data, *where, 'id')}: {path}.id: {unit.id!r} is already the id of {ids[unit.id]};"
                    " ids are unique, never reused"
                )
            ids.setdefault(unit.id, path)
            name_key = (unit.kind, slug(unit.name))
            if name_key in names:
                problems.append(
                    f"{_at(data, *where, 'name')}: {path}.name: {unit.full_name!r} is listed twice in"
                    f" {province.name} (also units.{names[name_key]}); remove the duplicate"
                )
            names.setdefault(name_key, u)
            seen: set[tuple[str, str, str]] = set()
            for f, former in enumerate(unit.former):
                former_key = (former.kind, slug(former.name), slug(former.district or ""))
                if former_key in seen:
                    problems.append(
                        f"{_at(data, *where, 'former', f)}: {path}.former.{f}: {former.full_name!r} is"
                        f" listed twice for {unit.full_name}; remove the duplicate"
                    )
                seen.add(former_key)
    return problems
