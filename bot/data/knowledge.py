"""Load and validate knowledge/: one file per procedure, synonyms.yaml, intents.yaml and
not_covered.yaml (the procedures the assistant does not guide yet)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.data.models import IntentsFile, NotCoveredFile, NotCoveredTopic, Procedure, SynonymsFile
from bot.data.paths import knowledge_dir
from bot.data.scam_models import ScamsFile
from bot.data.yamlfile import describe_validation_error, line_of, read_yaml
from bot.errors import DataError

M = TypeVar("M", bound=BaseModel)

CATALOG_IDS: tuple[str, ...] = (
    "vneid", "identity_card", "permanent_residence", "temporary_residence", "temporary_absence",
    "accommodation_notice", "residence_confirmation", "birth_registration", "death_registration",
    "marriage_registration", "marital_status", "vehicle_registration", "driving_license", "passport",
    "criminal_record", "traffic_fine", "personal_tax", "unemployment_benefit", "health_insurance",
    "exam_registration", "public_service_portal", "certified_copy",
)  # fmt: skip
"""The ids of shared/spec/catalog.md: a contract, never renamed."""

HUMAN_HELP = "human_help"
SPECIAL_FILES = {"synonyms.yaml", "intents.yaml", "communes.yaml", "replies.yaml", "not_covered.yaml", "scams.yaml"}


@dataclass(frozen=True)
class KnowledgeBase:
    procedures: dict[str, Procedure]
    synonyms: SynonymsFile
    intents: IntentsFile
    warnings: tuple[str, ...] = ()
    not_covered: tuple[NotCoveredTopic, ...] = ()
    scams: ScamsFile | None = None  # knowledge/scams.yaml; without it no scam is recognised


def _validate(model: type[M], path: Path, data: Any, problems: list[str]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe_validation_error(_label(path), data, exc))
        return None


def _label(path: Path) -> str:
    return f"knowledge/{path.name}"


def load_knowledge(folder: Path | None = None) -> KnowledgeBase:
    """Read every file, collect every problem, and raise one DataError listing them all."""
    folder = folder or knowledge_dir()
    problems: list[str] = []
    warnings: list[str] = []
    procedures: dict[str, Procedure] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        try:
            data = read_yaml(path, _label(path))
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        proc = _validate(Procedure, path, data, problems)
        if proc is None:
            continue
        if proc.id != path.stem:
            line = line_of(data, ("id",))
            problems.append(
                f"{_label(path)}:{line}: id: {proc.id!r} does not match the file name;"
                f" rename the file to {proc.id}.yaml or fix the id"
            )
            continue
        procedures[proc.id] = proc
        warnings.extend(_suspicious(path, proc))
    for missing in sorted(set(CATALOG_IDS) - procedures.keys()):
        if not (folder / f"{missing}.yaml").exists():
            problems.append(
                f"knowledge/{missing}.yaml: missing: the catalog id {missing!r} has no file; add it"
            )

    synonyms = intents = None
    for name, model in (("synonyms.yaml", SynonymsFile), ("intents.yaml", IntentsFile)):
        path = folder / name
        if not path.exists():
            problems.append(f"knowledge/{name}: missing; this file is required")
            continue
        try:
            data = read_yaml(path, _label(path))
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        parsed = _validate(model, path, data, problems)
        if isinstance(parsed, SynonymsFile):
            synonyms = parsed
        elif isinstance(parsed, IntentsFile):
            intents = parsed
    not_covered = _not_covered(folder, procedures, problems)
    scams = _load_scams(folder / "scams.yaml", procedures, problems)
    if problems or synonyms is None or intents is None:
        raise DataError(problems)
    return KnowledgeBase(procedures, synonyms, intents, tuple(warnings), not_covered, scams)


def _not_covered(folder: Path, procedures: dict[str, Procedure], problems: list[str]) -> tuple[NotCoveredTopic, ...]:
    """The topics of not_covered.yaml (optional), checked against the procedures that exist."""
    path = folder / "not_covered.yaml"
    if not path.exists():
        return ()
    try:
        data = read_yaml(path, _label(path))
    except DataError as exc:
        problems.extend(exc.problems)
        return ()
    parsed = _validate(NotCoveredFile, path, data, problems)
    if parsed is None:
        return ()
    for i, topic in enumerate(parsed.topics):
        if topic.id in procedures:
            line = line_of(data, ("topics", i, "id"))
            problems.append(f"{_label(path)}:{line}: topics.{i}.id: {topic.id!r} is a procedure the assistant"
                            " covers; remove the topic")  # fmt: skip
        listed = isinstance(data["topics"][i].get("replaces"), list)  # one entry or a list of them
        for j, replaces in enumerate(topic.replaces):
            if replaces.procedure not in procedures:
                line = line_of(data, ("topics", i, "replaces", j) if listed else ("topics", i, "replaces"))
                problems.append(f"{_label(path)}:{line}: topics.{i}.replaces.procedure: no procedure"
                                f" {replaces.procedure!r}; use a file name of knowledge/")  # fmt: skip
    return parsed.topics


def _load_scams(path: Path, procedures: dict[str, Procedure], problems: list[str]) -> ScamsFile | None:
    if not path.exists():
        return None
    try:
        data = read_yaml(path, _label(path))
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    scams = _validate(ScamsFile, path, data, problems)
    if scams is not None:
        for i, proc_id in enumerate(scams.reminder_procedures):
            # A catalog id or a file that failed to load is reported on its own already.
            if proc_id not in procedures and proc_id not in CATALOG_IDS and not (path.parent / f"{proc_id}.yaml").exists():
                line = line_of(data, ("reminder_procedures", i))
                problems.append(f"{_label(path)}:{line}: reminder_procedures: {proc_id!r} is not a procedure;"
                                " use an id of a file in knowledge/")  # fmt: skip
    return scams


def _suspicious(path: Path, proc: Procedure) -> list[str]:
    """Things that load but are probably mistakes; `kb check --strict` fails on them."""
    out = []
    label = _label(path)
    seen: set[str] = set()
    for text in (*proc.aliases, *proc.examples):
        key = text.casefold().strip()
        if key in seen:
            out.append(f"{label}: warning: {text!r} is listed twice in aliases/examples")
        seen.add(key)
    for alias in proc.aliases:
        if len(alias.split()) > 8 or alias.rstrip().endswith("?"):
            out.append(f"{label}: warning: alias {alias!r} reads like a question; move it to examples"
                       " (an alias makes every word of it a name of the procedure)")  # fmt: skip
    if not any(s.url.startswith("https://") for s in proc.sources):
        out.append(f"{label}: warning: no https source; cite the official page")
    return out
