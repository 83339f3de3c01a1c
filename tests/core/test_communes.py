"""bot.core.communes: finding a Nghệ An commune the way people type it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.communes import THRESHOLD, CommuneFinder, CommuneHit
from bot.data.communes import CommuneBook, load_communes


@pytest.fixture(scope="module")
def finder() -> CommuneFinder:
    return CommuneFinder(load_communes())


def top(finder: CommuneFinder, text: str) -> CommuneHit:
    hits = finder.search(text)
    assert hits, f"nothing found for {text!r}"
    return hits[0]


def ids(hits: list[CommuneHit]) -> list[str]:
    return [h.commune.id for h in hits]


# --- current names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anh Sơn", "nghean.xa-anh-son"),
        ("anh son", "nghean.xa-anh-son"),
        ("ANH SƠN", "nghean.xa-anh-son"),
        ("Phường Vinh Hưng", "nghean.phuong-vinh-hung"),
        ("vinh hung", "nghean.phuong-vinh-hung"),
        ("nghi loc", "nghean.xa-nghi-loc"),
        ("nghia loc", "nghean.xa-nghia-loc"),
        ("keng du", "nghean.xa-keng-du"),
        ("cua lo", "nghean.phuong-cua-lo"),
        ("thanh binh tho", "nghean.xa-thanh-binh-tho"),
    ],
)
def test_current_name_with_or_without_accents_scores_one(
    finder: CommuneFinder, text: str, expected: str
) -> None:
    """A current name typed exactly, accents and case aside, is the first hit with score 1.0 and no old unit."""
    hit = top(finder, text)
    assert (hit.commune.id, hit.score, hit.via) == (expected, 1.0, None)


@pytest.mark.parametrize(
    "text",
    ["xã Anh Sơn", "xa anh son", "x. Anh Sơn", "X.Anh Son", "Xã Anh Sơn, tỉnh Nghệ An", "tôi ở xã Anh Sơn",
     "mình ở anh sơn", "ở Anh Sơn nghệ an", "anh son, nghe an"],
)  # fmt: skip
def test_prefixes_and_filler_words_are_ignored(finder: CommuneFinder, text: str) -> None:
    hit = top(finder, text)
    assert (hit.commune.id, hit.score) == ("nghean.xa-anh-son", 1.0)


@pytest.mark.parametrize("text", ["phường Vinh Hưng", "phuong vinh hung", "p. Vinh Hưng", "P.Vinh Hưng",
                                  "p vinh hung", "P.Vinh Hưng - TP Vinh"])  # fmt: skip
def test_ward_prefixes(finder: CommuneFinder, text: str) -> None:
    hit = top(finder, text)
    assert (hit.commune.id, hit.score) == ("nghean.phuong-vinh-hung", 1.0)


def test_exact_name_hides_look_alikes(finder: CommuneFinder) -> None:
    """ "Nghi Lộc" typed exactly is not also answered with Nghĩa Lộc, one letter away."""
    assert ids(finder.search("Nghi Lộc")) == ["nghean.xa-nghi-loc"]
    assert ids(finder.search("Nghĩa Lộc")) == ["nghean.xa-nghia-loc"]


# --- typos -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ngi loc", "nghean.xa-nghi-loc"),  # missing letter
        ("nghi lco", "nghean.xa-nghi-loc"),  # swapped letters
        ("vinh hng", "nghean.phuong-vinh-hung"),  # missing letter
        ("vinh hunq", "nghean.phuong-vinh-hung"),  # wrong letter
        ("anhson", "nghean.xa-anh-son"),  # words run together
        ("thanh binhh tho", "nghean.xa-thanh-binh-tho"),  # extra letter
        ("quynh luuu", "nghean.xa-quynh-luu"),  # letter repeated for emphasis
        ("hung nguyen nma", "nghean.xa-hung-nguyen-nam"),
    ],
)
def test_one_typo_still_finds_the_commune(finder: CommuneFinder, text: str, expected: str) -> None:
    hit = top(finder, text)
    assert hit.commune.id == expected
    assert THRESHOLD <= hit.score < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nghix locj", "nghean.xa-nghi-loc"),
        ("anh sown", "nghean.xa-anh-son"),
        ("vinh hwng", "nghean.phuong-vinh-hung"),
        ("dieenx chaau", "nghean.xa-dien-chau"),
    ],
)
def test_telex_leftovers_are_read_as_the_letters_meant(
    finder: CommuneFinder, text: str, expected: str
) -> None:
    hit = top(finder, text)
    assert hit.commune.id == expected
    assert hit.score == 1.0


# --- old names (before 1/7/2025) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "old"),
    [
        ("Đức Sơn", "nghean.xa-anh-son", "Xã Đức Sơn"),
        ("thị trấn Kim Nhan", "nghean.xa-anh-son", "Thị trấn Kim Nhan"),
        ("tt kim nhan", "nghean.xa-anh-son", "Thị trấn Kim Nhan"),
        ("Quán Bàu", "nghean.phuong-vinh-hung", "Phường Quán Bàu"),
        ("phường Bến Thủy", "nghean.phuong-truong-vinh", "Phường Bến Thủy"),
        ("Nghi Thủy", "nghean.phuong-cua-lo", "Phường Nghi Thủy"),
        ("xã Diễn Kỷ", "nghean.xa-duc-chau", "Xã Diễn Kỷ"),
        ("Quỳnh Đôi", "nghean.xa-quynh-anh", "Xã Quỳnh Đôi"),
        ("Xá Lượng", "nghean.xa-tuong-duong", "Xã Xá Lượng"),
        ("thị trấn Dùng", "nghean.xa-dai-dong", "Thị trấn Dùng"),
        ("Hà Huy Tập", "nghean.phuong-vinh-phu", "Phường Hà Huy Tập"),
    ],
)
def test_old_names_find_the_new_unit_and_say_which_old_unit(
    finder: CommuneFinder, text: str, expected: str, old: str
) -> None:
    hit = top(finder, text)
    assert hit.commune.id == expected
    assert hit.via is not None
    assert hit.via.full_name == old
    assert THRESHOLD <= hit.score < 1.0  # never mistaken for a current name


def test_old_name_with_a_typo(finder: CommuneFinder) -> None:
    hit = top(finder, "nghi cog bac")
    assert hit.commune.id == "nghean.xa-phuc-loc"
    assert hit.via is not None
    assert hit.via.name == "Nghi Công Bắc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bình Sơn", {"nghean.xa-thanh-binh-tho", "nghean.xa-quynh-luu"}),
        ("Đồng Văn", {"nghean.xa-thong-thu", "nghean.xa-tien-dong", "nghean.xa-dai-dong"}),
        ("Minh Sơn", {"nghean.xa-thuan-trung", "nghean.xa-cat-ngan"}),
        ("Long Sơn", {"nghean.xa-yen-xuan", "nghean.phuong-thai-hoa"}),
    ],
)
def test_old_name_of_several_districts_returns_each(
    finder: CommuneFinder, text: str, expected: set[str]
) -> None:
    hits = finder.search(text)
    assert set(ids(hits)) == expected
    assert len({h.score for h in hits}) == 1  # nothing in the text prefers one of them
    assert all(h.via is not None and h.via.name == text for h in hits)
    assert len({h.via.district for h in hits if h.via}) == len(expected)  # one per old district


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đức Sơn Anh Sơn", "nghean.xa-anh-son"),
        ("xã Minh Sơn, huyện Thanh Chương", "nghean.xa-cat-ngan"),
        ("x. Minh Sơn, h. Đô Lương", "nghean.xa-thuan-trung"),
        ("minh son do luong", "nghean.xa-thuan-trung"),
        ("Bình Sơn, Quỳnh Lưu", "nghean.xa-quynh-luu"),
        ("binh son anh son", "nghean.xa-thanh-binh-tho"),
        ("Đồng Văn huyện Tân Kỳ", "nghean.xa-tien-dong"),
        ("châu tiến quỳ hợp", "nghean.xa-chau-hong"),
        ("hung loc tp vinh", "nghean.phuong-vinh-loc"),
        ("Nghĩa Mỹ, tx Thái Hòa", "nghean.xa-dong-hieu"),
    ],
)
def test_old_district_ranks_the_right_unit_first(finder: CommuneFinder, text: str, expected: str) -> None:
    hits = finder.search(text)
    assert hits
    assert hits[0].commune.id == expected
    assert all(h.score < hits[0].score for h in hits[1:])


def test_current_name_outranks_an_old_unit_of_the_same_name(finder: CommuneFinder) -> None:
    """ "Nam Đàn" is a new commune and also the old town now in Vạn An: the current name comes first."""
    hits = finder.search("Nam Đàn")
    assert ids(hits) == ["nghean.xa-nam-dan", "nghean.xa-van-an"]
    assert (hits[0].score, hits[0].via) == (1.0, None)
    assert hits[1].via is not None
    assert hits[1].via.kind == "thi_tran"


def test_old_name_of_the_same_unit_is_kept_as_via(finder: CommuneFinder) -> None:
    """ "Nghi Thủy, Cửa Lò" is one ward: the old ward is reported so the answer can mention it."""
    hit = top(finder, "Nghi Thủy, Cửa Lò")
    assert hit.commune.id == "nghean.phuong-cua-lo"
    assert hit.via is not None
    assert hit.via.name == "Nghi Thủy"


# --- nonsense, limits, speed -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["asdfgh", "làm căn cước", "tôi muốn làm hộ chiếu", "xin chào", "Hà Nội", "quận 1", "", "   ", "xã",
     "Nghệ An", "???", "thanh chuong", "sơn"],
)  # fmt: skip
def test_nonsense_and_bare_words_find_nothing(finder: CommuneFinder, text: str) -> None:
    assert finder.search(text) == []


def test_limit_is_respected(finder: CommuneFinder) -> None:
    assert len(finder.search("Đồng Văn")) == 3
    assert len(finder.search("Đồng Văn", limit=2)) == 2
    assert ids(finder.search("Đồng Văn", limit=1)) == ids(finder.search("Đồng Văn"))[:1]
    assert finder.search("Anh Sơn", limit=0) == []


def test_scores_are_sorted_and_above_threshold(finder: CommuneFinder) -> None:
    for text in ("long son", "minh son do luong", "Đông Thành", "ngi loc", "Nghi Thủy, Cửa Lò"):
        scores = [h.score for h in finder.search(text)]
        assert scores == sorted(scores, reverse=True)
        assert all(THRESHOLD <= s <= 1.0 for s in scores)


def test_an_empty_book_finds_nothing() -> None:
    assert CommuneFinder(CommuneBook()).search("Anh Sơn") == []


def test_a_small_book_is_searched_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "communes.yaml").write_text(
        "provinces:\n"
        "  - {key: demo, name: Demo, code: '99', source: https://example.org/nq, legal_basis: NQ 1,\n"
        "     checked: 2026-11-23, units: [{id: demo.xa-hoa-binh, kind: xa, name: Hòa Bình,\n"
        "     former: [{name: Yên Lạc, kind: xa, district: Kim Bôi}]}]}\n",
        encoding="utf-8",
    )
    finder = CommuneFinder(load_communes(tmp_path / "communes.yaml"))
    assert top(finder, "hoa binh").score == 1.0
    hit = top(finder, "yen lac kim boi")
    assert hit.via is not None
    assert hit.via.district == "Kim Bôi"
