"""knowledge/communes.yaml: the shipped Nghệ An data, and problems named `file:line: field: fix`."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from bot.data.communes import Commune, CommuneBook, load_communes, slug
from bot.errors import DataError

_PROBLEM = re.compile(r"^knowledge/communes\.yaml:(?P<line>\d+): (?P<field>\S+): (?P<message>.+)$")

# Điều 1, items 1-3 of Nghị quyết 1678/NQ-UBTVQH15, read word for word in the published text.
RESOLUTION_ITEMS = {
    "nghean.xa-anh-son": [("thi_tran", "Kim Nhan"), ("xa", "Đức Sơn"), ("xa", "Phúc Sơn")],
    "nghean.xa-yen-xuan": [("xa", "Cao Sơn"), ("xa", "Khai Sơn"), ("xa", "Lĩnh Sơn"), ("xa", "Long Sơn")],
    "nghean.xa-nhan-hoa": [("xa", "Cẩm Sơn"), ("xa", "Hùng Sơn"), ("xa", "Tam Đỉnh")],
}
# Names the resolution qualifies with their district because two districts had one.
QUALIFIED = {
    ("Minh Sơn", "Thanh Chương"): "nghean.xa-cat-ngan",
    ("Minh Sơn", "Đô Lương"): "nghean.xa-thuan-trung",
    ("Nam Sơn", "Đô Lương"): "nghean.xa-do-luong",
    ("Nam Sơn", "Quỳ Hợp"): "nghean.xa-muong-chong",
    ("Bình Sơn", "Anh Sơn"): "nghean.xa-thanh-binh-tho",
    ("Bình Sơn", "Quỳnh Lưu"): "nghean.xa-quynh-luu",
    ("Nghĩa Thái", "Nam Đàn"): "nghean.xa-nam-dan",
    ("Nghĩa Thái", "Tân Kỳ"): "nghean.xa-tan-phu",
    ("Đồng Văn", "Quế Phong"): "nghean.xa-thong-thu",
    ("Đồng Văn", "Tân Kỳ"): "nghean.xa-tien-dong",
    ("Đồng Văn", "Thanh Chương"): "nghean.xa-dai-dong",
    ("Châu Tiến", "Quỳ Châu"): "nghean.xa-chau-tien",
    ("Châu Tiến", "Quỳ Hợp"): "nghean.xa-chau-hong",
    ("Tam Hợp", "Quỳ Hợp"): "nghean.xa-tam-hop",
    ("Tam Hợp", "Tương Dương"): "nghean.xa-tam-thai",
    ("Tân Sơn", "Đô Lương"): "nghean.xa-van-hien",
    ("Tân Sơn", "Quỳnh Lưu"): "nghean.xa-quynh-tam",
    ("Ngọc Sơn", "Quỳnh Lưu"): "nghean.xa-quynh-son",
    ("Ngọc Sơn", "Thanh Chương"): "nghean.xa-xuan-lam",
}
KEPT_UNCHANGED = {"Bình Chuẩn", "Mỹ Lý", "Bắc Lý", "Keng Đu", "Huồi Tụ", "Mường Lống", "Châu Bình",
                  "Lượng Minh", "Hữu Khuông"}  # fmt: skip

VALID = """\
provinces:
  - key: demo
    name: Demo
    code: "99"
    source: https://example.org/nghi-quyet
    legal_basis: Nghị quyết 1/NQ-UBTVQH15
    checked: 2026-11-23
    units:
      - id: demo.xa-anh-son
        kind: xa
        name: Anh Sơn
        former:
          - {name: Kim Nhan, kind: thi_tran, district: Anh Sơn}
        contact: {name: UBND xã Anh Sơn}
      - id: demo.phuong-vinh-hung
        kind: phuong
        name: Vinh Hưng
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "communes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def book() -> CommuneBook:
    return load_communes()


def nghean(book: CommuneBook) -> list[Commune]:
    (province,) = [p for p in book.provinces if p.key == "nghean"]
    return list(province.units)


# --- the shipped file --------------------------------------------------------------------------


def test_shipped_file_has_the_130_units_of_nghe_an(book: CommuneBook) -> None:
    """130 units after 1/7/2025: 119 xã and 11 phường, all under province code 40."""
    units = nghean(book)
    assert len(units) == 130
    assert Counter(u.kind for u in units) == {"xa": 119, "phuong": 11}
    province = book.province_of("nghean.xa-anh-son")
    assert province is not None
    assert (province.name, province.code) == ("Nghệ An", "40")
    assert "1678/NQ-UBTVQH15" in province.legal_basis
    assert province.source.startswith("https://")


def test_ids_are_unique_and_spell_province_kind_and_name(book: CommuneBook) -> None:
    """Every id is `nghean.<kind>-<slug of the name>`, at most 40 bytes, and no two units share one."""
    units = nghean(book)
    ids = [u.id for u in units]
    assert len(set(ids)) == len(ids)
    for unit in units:
        assert unit.id == f"nghean.{unit.kind}-{slug(unit.name)}", unit.id
        assert len(unit.id.encode()) <= 40
        assert book.get(unit.id) is unit


def test_the_eleven_wards(book: CommuneBook) -> None:
    wards = {u.name for u in nghean(book) if u.kind == "phuong"}
    assert wards == {"Trường Vinh", "Thành Vinh", "Vinh Hưng", "Vinh Phú", "Vinh Lộc", "Cửa Lò",
                     "Hoàng Mai", "Tân Mai", "Quỳnh Mai", "Thái Hòa", "Tây Hiếu"}  # fmt: skip


def test_units_kept_unchanged_are_the_nine_of_the_resolution(book: CommuneBook) -> None:
    """Nine units were not rearranged; every other unit lists the units merged into it."""
    assert {u.name for u in nghean(book) if u.unchanged} == KEPT_UNCHANGED
    assert all(len(u.former) >= 2 for u in nghean(book) if not u.unchanged)


def test_former_units_account_for_the_412_units_before_the_reorganisation(book: CommuneBook) -> None:
    """Nghệ An had 412 commune-level units before 1/7/2025: 403 merged plus 9 kept unchanged."""
    assert sum(len(u.former) for u in nghean(book)) + len(KEPT_UNCHANGED) == 412


def test_every_former_name_appears_once_per_district(book: CommuneBook) -> None:
    """An old unit is merged into exactly one new unit: (name, district) never repeats."""
    pairs = Counter((f.name, f.district) for u in nghean(book) for f in u.former)
    assert [pair for pair, count in pairs.items() if count > 1] == []
    assert all(f.district for u in nghean(book) for f in u.former)


def test_former_units_of_one_new_unit_share_a_district(book: CommuneBook) -> None:
    """In Nghệ An every 2025 merger stayed inside one old district."""
    for unit in nghean(book):
        assert len({f.district for f in unit.former}) <= 1, unit.id


def test_items_read_in_the_resolution_text(book: CommuneBook) -> None:
    for unit_id, expected in RESOLUTION_ITEMS.items():
        unit = book.get(unit_id)
        assert unit is not None
        assert [(f.kind, f.name) for f in unit.former] == expected


def test_names_the_resolution_qualifies_by_district(book: CommuneBook) -> None:
    """Each old name shared by two districts goes to the unit the resolution names for that district."""
    found = {(f.name, f.district): u.id for u in nghean(book) for f in u.former}
    for key, unit_id in QUALIFIED.items():
        assert found[key] == unit_id, key


def test_cua_lo_and_the_vinh_wards(book: CommuneBook) -> None:
    """Cửa Lò's seven wards became phường Cửa Lò; Vinh's former wards and communes are district Vinh."""
    cua_lo = book.get("nghean.phuong-cua-lo")
    assert cua_lo is not None
    assert {f.name for f in cua_lo.former} == {"Nghi Hải", "Nghi Hòa", "Nghi Hương", "Nghi Tân", "Nghi Thu",
                                               "Nghi Thủy", "Thu Thủy"}  # fmt: skip
    assert {f.kind for f in cua_lo.former} == {"phuong"}
    vinh_loc = book.get("nghean.phuong-vinh-loc")
    assert vinh_loc is not None
    assert [(f.kind, f.name, f.district) for f in vinh_loc.former][:2] == [
        ("phuong", "Hưng Lộc", "Vinh"),
        ("xa", "Nghi Phong", "Vinh"),
    ]


def test_contacts_are_the_peoples_committee_without_unsourced_details(book: CommuneBook) -> None:
    for unit in nghean(book):
        assert unit.contact is not None
        assert unit.contact.name == f"UBND {unit.full_name[0].lower()}{unit.full_name[1:]}"
        if unit.contact.phone or unit.contact.address or unit.contact.url:
            assert unit.contact.source
            assert unit.contact.checked


def test_names_are_composed_unicode_without_prefix(book: CommuneBook) -> None:
    """NFC text (what keyboards send) and no "Xã"/"Phường" inside the name itself."""
    names = [u.name for u in nghean(book)] + [f.name for u in nghean(book) for f in u.former]
    for name in names:
        assert unicodedata.normalize("NFC", name) == name
        assert not re.match(r"(?i)(xã|phường|thị trấn)\s", name), name


def test_full_names(tmp_path: Path) -> None:
    units = load_communes(write(tmp_path, VALID)).all()
    assert [u.full_name for u in units] == ["Xã Anh Sơn", "Phường Vinh Hưng"]
    assert units[0].former[0].full_name == "Thị trấn Kim Nhan"


# --- loading errors ----------------------------------------------------------------------------


def problems(tmp_path: Path, text: str) -> list[re.Match[str]]:
    with pytest.raises(DataError) as caught:
        load_communes(write(tmp_path, text))
    found = [_PROBLEM.match(p) for p in caught.value.problems]
    assert all(found), caught.value.problems
    return [m for m in found if m]


def line_of(text: str, pattern: str, nth: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)]
    return hits[nth - 1]


def test_valid_demo_file_loads(tmp_path: Path) -> None:
    book = load_communes(write(tmp_path, VALID))
    assert [u.id for u in book.all()] == ["demo.xa-anh-son", "demo.phuong-vinh-hung"]
    assert book.get("demo.phuong-vinh-hung") is not None
    assert book.get("demo.xa-nowhere") is None
    assert book.province_of("demo.xa-nowhere") is None
    unit = book.get("demo.phuong-vinh-hung")
    assert unit is not None
    assert unit.unchanged
    assert unit.contact is None


def test_missing_file_is_an_empty_book(tmp_path: Path) -> None:
    book = load_communes(tmp_path / "communes.yaml")
    assert book.all() == []
    assert len(book) == 0
    assert book.get("nghean.xa-anh-son") is None


def test_id_of_the_wrong_kind_is_named_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace("id: demo.phuong-vinh-hung", "id: demo.xa-vinh-hung")
    (found,) = problems(tmp_path, text)
    assert int(found["line"]) == line_of(text, r"id: demo\.xa-vinh-hung")
    assert found["field"] == "provinces.0.units.1.id"
    assert "demo.phuong-" in found["message"]
    assert "demo.phuong-vinh-hung" in found["message"]  # the fix is spelled out


def test_malformed_id_is_a_field_error(tmp_path: Path) -> None:
    text = VALID.replace("id: demo.xa-anh-son", "id: Demo.Xã Anh Sơn")
    (found,) = problems(tmp_path, text)
    assert int(found["line"]) == line_of(text, r"id: Demo")
    assert found["field"] == "provinces.0.units.0.id"
    assert "nghean.xa-anh-son" in found["message"]


def test_duplicate_id_and_name_are_reported(tmp_path: Path) -> None:
    text = VALID + "      - id: demo.xa-anh-son\n        kind: xa\n        name: Anh Sơn\n"
    found = problems(tmp_path, text)
    assert [(int(m["line"]), m["field"]) for m in found] == [
        (line_of(text, r"id: demo\.xa-anh-son", 2), "provinces.0.units.2.id"),
        (line_of(text, r"name: Anh Sơn$", 2), "provinces.0.units.2.name"),
    ]
    assert "already the id of provinces.0.units.0" in found[0]["message"]
    assert "listed twice" in found[1]["message"]


def test_unknown_kind_and_empty_name_are_all_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("kind: thi_tran", "kind: huyen").replace("name: Vinh Hưng", 'name: ""')
    found = problems(tmp_path, text)
    fields = {m["field"]: int(m["line"]) for m in found}
    assert fields == {
        "provinces.0.units.0.former.0.kind": line_of(text, r"kind: huyen"),
        "provinces.0.units.1.name": line_of(text, r'name: ""'),
    }


def test_unknown_field_is_named(tmp_path: Path) -> None:
    text = VALID.replace("        kind: phuong\n", "        kind: phuong\n        population: 60159\n")
    (found,) = problems(tmp_path, text)
    assert found["field"] == "provinces.0.units.1.population"
    assert int(found["line"]) == line_of(text, "population")
    assert "unknown field" in found["message"]


def test_contact_phone_needs_a_source(tmp_path: Path) -> None:
    text = VALID.replace(
        "contact: {name: UBND xã Anh Sơn}", "contact: {name: UBND xã Anh Sơn, phone: '0238 000'}"
    )
    (found,) = problems(tmp_path, text)
    assert found["field"] == "provinces.0.units.0.contact"
    assert int(found["line"]) == line_of(text, "contact:")
    assert "source" in found["message"]
    assert "checked" in found["message"]


def test_missing_required_province_field(tmp_path: Path) -> None:
    text = VALID.replace("    legal_basis: Nghị quyết 1/NQ-UBTVQH15\n", "")
    (found,) = problems(tmp_path, text)
    assert found["field"] == "provinces.0.legal_basis"
    assert "required" in found["message"]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = VALID.replace("kind: phuong", "kind: [phuong")
    with pytest.raises(DataError) as caught:
        load_communes(write(tmp_path, text))
    (problem,) = caught.value.problems
    assert problem.startswith("knowledge/communes.yaml:")
    assert "YAML syntax error" in problem


def test_province_without_units_is_reported(tmp_path: Path) -> None:
    text = VALID.split("    units:\n")[0] + "    units: []\n"
    (found,) = problems(tmp_path, text)
    assert found["field"] == "provinces.0.units"
    assert int(found["line"]) == line_of(text, "units:")
    assert "no units" in found["message"]
