"""Loading knowledge/: every problem named `knowledge/<file>.yaml:<line>` with its field, all at once."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.data.knowledge import KnowledgeBase, load_knowledge
from bot.data.models import Text
from bot.data.paths import knowledge_dir
from bot.errors import DataError, TrolysoError

CATALOG = Path("/work/shared/spec/catalog.md")
_CATALOG_ROW = re.compile(r"^\| `([a-z_]+)` \| ([^|]+?) \| [^|]+ \|$", re.MULTILINE)
_PROBLEM = re.compile(r"^knowledge/(?P<file>[a-z_]+\.yaml)(?::(?P<line>\d+))?: ")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the real knowledge folder, free to break."""
    return Path(shutil.copytree(knowledge_dir(), tmp_path / "knowledge"))


def edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"the edit did not apply to {path.name}"
    path.write_text(after, encoding="utf-8")


def line_no(path: Path, pattern: str) -> int:
    """1-based line of the first line matching ``pattern`` in the (edited) file."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not in {path.name}")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_knowledge(folder)
    assert isinstance(caught.value, TrolysoError)
    assert caught.value.problems, "a DataError must list its problems"
    return caught.value.problems


def only_problem(folder: Path) -> tuple[str, int | None, str]:
    """The single problem reported: its file, line and message."""
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    found = _PROBLEM.match(problems[0])
    assert found, f"{problems[0]!r} does not start with knowledge/<file>.yaml:<line>"
    line = found["line"]
    return found["file"], int(line) if line else None, problems[0]


# --- one broken file -------------------------------------------------------------------------


def test_missing_required_field_is_named(folder: Path) -> None:
    """A procedure without `summary` is reported as a required field, with the file and a line."""
    edit(folder / "passport.yaml", lambda t: re.sub(r"(?m)^summary:\n(?:  .*\n)+", "", t))
    file, line, problem = only_problem(folder)
    assert file == "passport.yaml"
    assert line is not None
    assert ": summary: " in problem
    assert "required" in problem


def test_wrong_type_names_the_line_and_field(folder: Path) -> None:
    """`aliases: 5` is reported at the line of `aliases`, naming the field."""
    path = folder / "passport.yaml"
    edit(path, lambda t: re.sub(r"(?m)^aliases:\n(?:  - .*\n)+", "aliases: 5\n", t))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", line_no(path, r"^aliases: 5$"))
    assert ": aliases: " in problem


def test_text_given_as_a_plain_string_is_a_wrong_type(folder: Path) -> None:
    """`names:` as a string instead of {vi, en} is reported at its line."""
    path = folder / "passport.yaml"
    edit(path, lambda t: re.sub(r"(?m)^names:\n(?:  .*\n)+", 'names: "Hộ chiếu"\n', t))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", line_no(path, r"^names: "))
    assert ": names: " in problem


def test_unknown_field_is_named_with_its_line(folder: Path) -> None:
    """A misspelt or unknown key is reported at its own line as unknown."""
    path = folder / "passport.yaml"
    edit(path, lambda t: t.replace("id: passport\n", "id: passport\ncolour: blue\n", 1))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", line_no(path, r"^colour: blue$"))
    assert ": colour: " in problem
    assert "unknown field" in problem


def test_yaml_syntax_error_names_the_line(folder: Path) -> None:
    """A YAML syntax error is reported as such, at (or right after) the broken line."""
    path = folder / "passport.yaml"
    edit(path, lambda t: t.replace("id: passport\n", "id: passport\nbroken: [unclosed, list\n", 1))
    file, line, problem = only_problem(folder)
    broken = line_no(path, r"^broken: ")
    assert file == "passport.yaml"
    assert line is not None
    assert broken <= line <= broken + 1, problem
    assert "YAML syntax error" in problem


def test_duplicate_key_is_an_error_at_the_second_key(folder: Path) -> None:
    """A key given twice is an error naming the key and the line of the repeat."""
    path = folder / "passport.yaml"
    edit(path, lambda t: t.replace("id: passport\n", "id: passport\nid: passport\n", 1))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", 3)
    assert "duplicate key 'id'" in problem


def test_id_must_match_the_file_name(folder: Path) -> None:
    """An id that differs from the file name is reported at the id's line."""
    path = folder / "passport.yaml"
    edit(path, lambda t: t.replace("id: passport\n", "id: passports\n", 1))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", line_no(path, r"^id: passports$"))
    assert ": id: " in problem
    assert "file name" in problem


def test_missing_catalog_file_is_reported(folder: Path) -> None:
    """Deleting a catalog procedure's file is reported under that file's name."""
    (folder / "passport.yaml").unlink()
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", None)
    assert "'passport'" in problem
    assert "missing" in problem


@pytest.mark.parametrize(
    "url", ["www.xuatnhapcanh.gov.vn/page", "ftp://xuatnhapcanh.gov.vn", "https:/xuatnhapcanh.gov.vn",
            "https://", "https://xuat nhap canh.gov.vn"],
)  # fmt: skip
def test_bad_source_url_is_reported_at_its_line(folder: Path, url: str) -> None:
    """A source whose url is not a full web address is reported at the url's line as sources.0.url."""
    path = folder / "passport.yaml"
    edit(path, lambda t: re.sub(r"(?m)^(  - id: \S+\n    url: )https://\S+", lambda m: f'{m[1]}"{url}"', t, count=1))
    file, line, problem = only_problem(folder)
    assert (file, line) == ("passport.yaml", line_no(path, r'^    url: "'))
    assert ": sources.0.url: " in problem


def test_every_problem_is_reported_together(folder: Path) -> None:
    """Two broken files give two problems in one error, one naming each file."""
    edit(folder / "passport.yaml", lambda t: t.replace("id: passport\n", "id: passport\ncolour: blue\n", 1))
    edit(folder / "vneid.yaml", lambda t: t.replace("id: vneid\n", "id: vneid\nid: vneid\n", 1))
    problems = problems_of(folder)
    assert len(problems) == 2, problems
    assert {p.split(":")[0] for p in problems} == {"knowledge/passport.yaml", "knowledge/vneid.yaml"}


def test_a_missing_synonyms_file_is_reported(folder: Path) -> None:
    """synonyms.yaml is required; without it loading fails naming the file."""
    (folder / "synonyms.yaml").unlink()
    assert problems_of(folder) == ["knowledge/synonyms.yaml: missing; this file is required"]


def test_a_synonym_too_long_to_ever_match_is_reported(folder: Path) -> None:
    """The normaliser looks for phrases of at most MAX_PHRASE_WORDS words: a longer variant would
    be silently dead (seven were, until 2026-12-03), so it is an error naming the file and line."""
    path = folder / "synonyms.yaml"
    edit(path, lambda s: s.replace("    variants: [to cong nghe so cong dong,",
                                   "    variants: [to cong nghe so cong dong cua xa phuong noi toi dang song,", 1))
    name, line, problem = only_problem(folder)
    assert name == "synonyms.yaml"
    assert line == line_no(path, r"canonical: to cong nghe so$")  # the group holding it
    assert "would never match" in problem


# --- the real knowledge base -----------------------------------------------------------------


def catalog_ids() -> list[str]:
    return [pid for pid, _name in _CATALOG_ROW.findall(CATALOG.read_text(encoding="utf-8"))]


def test_the_real_knowledge_base_loads_without_warnings(kb: KnowledgeBase) -> None:
    """The shipped knowledge base loads cleanly, with no warnings for `kb check --strict`."""
    assert kb.warnings == ()


def test_every_catalog_procedure_is_present(kb: KnowledgeBase) -> None:
    """Every id in the catalog table of shared/spec/catalog.md has a procedure under that id."""
    ids = catalog_ids()
    assert len(ids) == 22
    missing = [pid for pid in ids if pid not in kb.procedures]
    assert not missing, f"catalog ids without a procedure: {missing}"


@pytest.mark.parametrize("proc_id", catalog_ids())
def test_each_procedure_cites_a_checked_https_source(kb: KnowledgeBase, proc_id: str) -> None:
    """Each procedure has at least one https source with a title and a checked date not in the future."""
    sources = kb.procedures[proc_id].sources
    https = [s for s in sources if s.url.startswith("https://")]
    assert https, f"{proc_id} has no https source"
    for source in sources:
        assert isinstance(source.checked, dt.date)
        assert source.checked <= dt.date.today(), source
        assert source.title.strip()


def _texts(value: object, where: str) -> list[tuple[str, Text]]:
    """Every bilingual Text inside a procedure, with a path to it for messages."""
    if isinstance(value, Text):
        return [(where, value)]
    if isinstance(value, tuple):
        return [t for i, item in enumerate(value) for t in _texts(item, f"{where}[{i}]")]
    fields = getattr(type(value), "model_fields", None)
    if fields is None:
        return []
    return [t for name in fields for t in _texts(getattr(value, name), f"{where}.{name}")]


@pytest.mark.parametrize("proc_id", catalog_ids())
def test_each_procedure_text_exists_in_vietnamese_and_english(kb: KnowledgeBase, proc_id: str) -> None:
    """Names, summary, papers, fees, FAQ and every other text are non-empty in both languages."""
    texts = _texts(kb.procedures[proc_id], proc_id)
    assert len(texts) >= 6
    empty = [where for where, text in texts if not text.vi.strip() or not text.en.strip()]
    assert not empty, f"empty translations: {empty}"
    same = [where for where, text in texts if where.endswith((".names", ".summary")) and text.vi == text.en]
    assert not same, f"English is a copy of the Vietnamese: {same}"


# --- not_covered.yaml --------------------------------------------------------------------------


def test_shipped_not_covered_topics_load_with_unique_ids(kb: KnowledgeBase) -> None:
    """The real not_covered.yaml loads; no topic id is a procedure id."""
    ids = [t.id for t in kb.not_covered]
    assert len(ids) >= 15
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(kb.procedures)


def test_a_topic_named_like_a_procedure_is_reported_with_its_line(folder: Path) -> None:
    """A topic whose id is a covered procedure is an error naming not_covered.yaml and the line."""
    path = folder / "not_covered.yaml"
    edit(path, lambda s: s.replace("  - id: divorce\n", "  - id: passport\n", 1))
    name, line, problem = only_problem(folder)
    assert name == "not_covered.yaml"
    assert line == line_no(path, r"^  - id: passport$")
    assert "topics.0.id" in problem
    assert "covers" in problem


def test_a_replaced_procedure_that_does_not_exist_is_reported(folder: Path) -> None:
    """replaces.procedure must name a knowledge file; a typo is an error with its line."""
    path = folder / "not_covered.yaml"
    edit(path, lambda s: s.replace("replaces: {procedure: vehicle_registration,", "replaces: {procedure: vehicle_registraton,", 1))
    name, line, problem = only_problem(folder)
    assert name == "not_covered.yaml"
    assert line == line_no(path, "vehicle_registraton")
    assert "replaces.procedure" in problem


def test_a_replaced_procedure_in_a_list_that_does_not_exist_is_reported(folder: Path) -> None:
    """replaces may list several procedures; a typo in any names its own line."""
    path = folder / "not_covered.yaml"
    edit(path, lambda s: s.replace("      - {procedure: birth_registration,", "      - {procedure: birth_registraton,", 1))
    name, line, problem = only_problem(folder)
    assert name == "not_covered.yaml"
    assert line == line_no(path, "birth_registraton")
    assert "replaces.procedure" in problem


def test_a_topic_without_aliases_is_a_field_error(folder: Path) -> None:
    """A topic needs at least three aliases; too few is named by field and line."""
    path = folder / "not_covered.yaml"
    edit(path, lambda s: s.replace(
        "    aliases: [nhận con nuôi, xin con nuôi, con nuôi, đăng ký nuôi con nuôi, nhận nuôi, adoption, adopt a child]",
        "    aliases: [nhận con nuôi]", 1))
    name, line, problem = only_problem(folder)
    assert name == "not_covered.yaml"
    assert line == line_no(path, r"aliases: \[nhận con nuôi\]")
    assert "aliases" in problem


def test_a_duplicate_topic_is_reported(folder: Path) -> None:
    """Two topics with one id are an error naming not_covered.yaml."""
    path = folder / "not_covered.yaml"
    edit(path, lambda s: s.replace("  - id: pension\n", "  - id: divorce\n", 1))
    name, _line, problem = only_problem(folder)
    assert name == "not_covered.yaml"
    assert "declared twice" in problem
