"""Content rules of `trolyso kb check`: short first answers, every fact sourced and dated, nothing
meant for maintainers shown, and the issue-12 fixes kept in place."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pydantic import ValidationError

from bot.checks import content_findings
from bot.core import answers
from bot.core.flow_runner import FlowRunner
from bot.core.i18n import LANGUAGES, use
from bot.data.flows import FlowSet
from bot.data.knowledge import CATALOG_IDS, KnowledgeBase
from bot.data.models import Cite, Procedure, Source, Text
from bot.data.sourcing import Findings, check_flow, check_procedure, citizen_texts

TODAY = dt.date(2026, 12, 3)


def _findings(proc: Procedure) -> Findings:
    found = Findings()
    check_procedure(proc, TODAY, found)
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("proc_id", CATALOG_IDS)
def test_every_first_answer_fits_a_phone_screen(kb: KnowledgeBase, proc_id: str, lang: str) -> None:
    """Each procedure's overview and FAQ answers stay within 600 characters, each section within 900."""
    proc = kb.procedures[proc_id]
    with use(lang):
        firsts = answers.first_messages(proc)
        sections = {s: answers.render_section(proc, s) for s in answers.SECTIONS}
    assert firsts[0][0] == "overview"
    long_first = {where: len(text) for where, text in firsts if len(text) > answers.FIRST_MESSAGE_MAX}
    assert not long_first, long_first
    long_sections = {s: len(text) for s, text in sections.items() if len(text) > answers.SECTION_MAX}
    assert not long_sections, long_sections


def test_the_shipped_content_passes_every_content_rule(kb: KnowledgeBase, flows: FlowSet) -> None:
    """The knowledge base and flows have no content error and no warning as of the audit day."""
    found = content_findings(kb, flows, TODAY)
    assert found.errors == []
    assert found.warnings == []


def test_a_fact_part_without_a_source_is_an_error(kb: KnowledgeBase) -> None:
    """A procedure whose fees name no source id is refused with the field named."""
    proc = kb.procedures["passport"]
    bare = proc.model_copy(update={"cite": proc.cite.model_copy(update={"fees": ()})})
    errors = _findings(bare).errors
    assert any("knowledge/passport.yaml: cite.fees:" in e for e in errors), errors
    assert not any("cite.fees" in e for e in _findings(proc).errors)


def test_a_source_dated_in_the_future_is_an_error(kb: KnowledgeBase) -> None:
    """A `checked` date after today is refused: a date must say when someone really re-read the page."""
    proc = kb.procedures["passport"]
    first = proc.sources[0].model_copy(update={"checked": TODAY + dt.timedelta(days=1)})
    found = _findings(proc.model_copy(update={"sources": (first, *proc.sources[1:])}))
    assert any(f"source {first.id}: checked 2026-12-04 is in the future" in e for e in found.errors)


def test_a_source_older_than_a_year_is_a_warning(kb: KnowledgeBase) -> None:
    """A source last checked over 12 months ago is a warning (so `--strict` fails), not an error."""
    proc = kb.procedures["passport"]
    old = proc.sources[0].model_copy(update={"checked": TODAY - dt.timedelta(days=366)})
    found = _findings(proc.model_copy(update={"sources": (old, *proc.sources[1:])}))
    assert found.errors == []
    assert any(f"source {old.id} was last checked" in w for w in found.warnings)


@pytest.mark.parametrize("phrase", ["not verified", "chưa kiểm chứng", "TODO", "chưa đọc toàn văn", "not read in full"])
def test_a_maintainer_phrase_in_a_citizen_field_is_an_error(kb: KnowledgeBase, phrase: str) -> None:
    """A maintainer's phrase in fees is refused; the same phrase in `notes:` is allowed."""
    proc = kb.procedures["passport"]
    noisy = proc.model_copy(update={"fees": Text(vi=f"200.000 đồng ({phrase})", en=f"200,000 VND ({phrase})")})
    errors = _findings(noisy).errors
    assert any("fees.vi" in e for e in errors), errors
    assert any("fees.en" in e for e in errors), errors
    quiet = proc.model_copy(update={"notes": f"fee {phrase}"})
    assert _findings(quiet).errors == []


def test_citing_an_unknown_source_id_is_refused_at_load(kb: KnowledgeBase) -> None:
    """A cite entry naming no source of the file fails validation and names the id."""
    data = kb.procedures["passport"].model_dump()
    data["cite"]["fees"] = ["no_such_source"]
    with pytest.raises(ValidationError, match="no_such_source"):
        Procedure.model_validate(data)


def test_a_checklist_block_without_sources_is_an_error(flows: FlowSet) -> None:
    """A flow result block that lists fees but names no source is refused."""
    flow = flows.flows["identity_card"]
    index = next(i for i, b in enumerate(flow.result) if b.fees)
    block = flow.result[index].model_copy(update={"sources": ()})
    bare = flow.model_copy(update={"result": (*flow.result[:index], block, *flow.result[index + 1:])})
    found = Findings()
    check_flow(bare, flows.sources[flow.id], TODAY, found)
    assert any(f"result[{index}]: states" in e and "names no source" in e for e in found.errors), found.errors


def test_a_checklist_ends_with_its_dated_source_and_link(flows: FlowSet) -> None:
    """The identity-card checklist for a damaged card ends "Nguồn: …, cập nhật dd/mm/yyyy" and a link."""
    flow = flows.flows["identity_card"]
    with use("vi"):
        text = FlowRunner(flows).render_result(flow, {"card_case": "lost", "lost_or_damaged": "damaged_card"})[0].text
    *_rest, source, link = text.split("\n")
    assert re.fullmatch(r"🔎 Nguồn: .+, cập nhật \d{2}/\d{2}/\d{4}", source), source
    assert link.startswith("https://")
    assert "70.000 đồng" in text
    assert "cấp lại" in text


def test_every_source_has_an_id_title_url_issuer_and_date(kb: KnowledgeBase) -> None:
    """Every source has an id, a title, an issuer, a web address and a check date not after the audit day."""
    sources: list[Source] = [s for p in kb.procedures.values() for s in p.sources]
    assert len(sources) > 100
    for s in sources:
        assert s.id
        assert s.title
        assert s.issuer
        assert s.url.startswith(("https://", "http://"))
        assert s.checked <= TODAY


def _all_texts(kb: KnowledgeBase, flows: FlowSet) -> list[tuple[str, str]]:
    out = [(f"{p.id}{w}", body) for p in kb.procedures.values() for w, t in citizen_texts(p, "") for body in (t.vi, t.en)]
    out += [(f"flow {f.id}{w}", body) for f in flows.flows.values() for w, t in citizen_texts(f, "") for body in (t.vi, t.en)]
    return out


def test_no_text_dates_the_end_of_district_police_to_july_2025(kb: KnowledgeBase, flows: FlowSet) -> None:
    """District police ended on 1/3/2025; no sentence ties police and 1/7/2025 together any more."""
    wrong = []
    for where, body in _all_texts(kb, flows):
        for sentence in re.split(r"(?<=[.;(])\s", body):
            if "1/7/2025" in sentence and re.search(r"công an|police", sentence, re.IGNORECASE):
                wrong.append((where, sentence))
    assert wrong == []
    authority = kb.procedures["temporary_residence"].authority
    assert "1/3/2025" in authority.vi
    assert "1/3/2025" in authority.en


def test_identity_card_states_the_damaged_card_fee_cmnd_and_home_visits(kb: KnowledgeBase) -> None:
    """The identity-card answer says a damaged card is a 70,000 VND re-issue, CMND ended 1/1/2025,
    and people who cannot travel get the card made at home, with the help button offered."""
    card = kb.procedures["identity_card"]
    assert card.names.vi == "Thẻ căn cước (trước đây là CCCD)"
    assert re.search(r"hỏng không dùng được: 70\.000 đồng", card.fees.vi)
    assert "damaged so it cannot be used: 70,000 VND" in card.fees.en
    assert "1/1/2025" in card.summary.vi
    assert card.deadlines is not None
    assert "1/1/2025" in card.deadlines.vi
    for proc_id in ("identity_card", "vneid"):
        proc = kb.procedures[proc_id]
        home = [f for f in proc.faq if "tận nhà" in f.a.vi]
        assert home, f"{proc_id} does not mention home visits"
        assert "Gặp người hỗ trợ" in home[0].a.vi
        assert "Talk to a person" in home[0].a.en
        with use("vi"):
            buttons = answers.procedure_answer(proc, "overview", True, proc.faq.index(home[0]))[0].buttons
        assert any(b.payload == "h" for b in buttons)


def test_exam_registration_does_not_speak_of_2025_as_the_coming_exam(kb: KnowledgeBase) -> None:
    """The exam answer talks of the coming exam and the official page, not the 2025 calendar."""
    exam = kb.procedures["exam_registration"]
    texts = [body for _w, t in citizen_texts(exam, "") for body in (t.vi, t.en)]
    assert not [t for t in texts if "2025" in t]
    assert "thisinh.thitotnghiepthpt.edu.vn" in exam.processing_time.vi


def test_an_empty_cite_is_the_default_for_old_files() -> None:
    """Files without a `cite:` still load (with every part uncited), so the check, not the loader,
    tells the writer what to add."""
    assert Cite().fees == ()
    assert Cite().summary == ()


def test_penalty_questions_open_the_deadlines_section(kb: KnowledgeBase) -> None:
    """"bị phạt", "quá hạn" ask for deadlines and penalties; a procedure without them answers from fees."""
    from bot.core.aspects import detect_aspect

    assert detect_aspect(["bi", "phat"]) == "rules"
    assert detect_aspect(["khai", "sinh", "qua", "han"]) == "rules"
    assert detect_aspect(["le", "phi", "bao", "nhieu"]) == "fees"
    with use("vi"):
        card = answers.procedure_answer(kb.procedures["identity_card"], "rules", True)[0].text
        copy = answers.procedure_answer(kb.procedures["certified_copy"], "rules", False)[0].text
    assert "Thời hạn và mức phạt" in card
    assert "500.000–1.000.000" in card
    assert "Lệ phí và thời gian" in copy
