"""The inspection framework: loaded from `schema/*.yaml`, validated, and held as typed objects.

The framework is data. Code here knows the *shape* of a framework (standards, key questions,
prompts, answer types, bands) but none of its content, so correcting a wording or a band edge
never touches Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import HmipError

FRAMEWORK_SCHEMA = "framework.schema.json"


def schema_dir() -> Path:
    """Where frameworks live: inside the installed package, or the checkout's top-level schema/."""
    packaged = Path(__file__).parent / "schema"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schema"


@dataclass(frozen=True, slots=True)
class AnswerOption:
    id: str
    label: str
    counts_as: str  # "yes", "no" or "na": how the option counts towards a percentage
    key: str  # the key that gives this answer in the case walk


@dataclass(frozen=True, slots=True)
class AnswerType:
    id: str
    label: str
    options: tuple[AnswerOption, ...]

    def option(self, value: str) -> AnswerOption | None:
        for option in self.options:
            if option.id == value:
                return option
        return None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


@dataclass(frozen=True, slots=True)
class Condition:
    """A question applies only where the profile field holds one of `values`."""

    field: str
    values: frozenset[str]
    why_not: str

    def holds(self, profile: dict) -> bool:
        return profile.get(self.field) in self.values


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    kind: str  # "key_question", "prompt" or "item"
    type: AnswerType
    note_required: bool
    standard_id: str
    parent_id: str | None
    conditions: tuple[Condition, ...]  # the standard's, the key question's and its own
    prompts: tuple[Question, ...] = ()
    guidance: str | None = None  # what a sufficient answer looks like (optional, in the file)

    def applies_to(self, profile: dict) -> bool:
        return all(c.holds(profile) for c in self.conditions)

    def why_not(self, profile: dict) -> str | None:
        """The reason this question does not apply to a case with `profile`, or None if it does."""
        for c in self.conditions:
            if not c.holds(profile):
                return c.why_not
        return None


@dataclass(frozen=True, slots=True)
class Standard:
    id: str
    domain: int
    title: str
    statement: str
    rated_by: str  # "judgement", "cases" or "not_rated"
    key_questions: tuple[Question, ...]
    items: tuple[Question, ...]
    why_not: str | None

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question of the standard in walk order: each key question's prompts, then it."""
        out: list[Question] = []
        for kq in self.key_questions:
            out.extend(kq.prompts)
            out.append(kq)
        out.extend(self.items)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Band:
    id: str
    label: str
    start: float  # the lowest percentage in the band
    score: int
    colour: str
    words: str


@dataclass(frozen=True, slots=True)
class ProfileOption:
    id: str
    label: str
    short: str | None = None  # for narrow screens, where the file gives one


@dataclass(frozen=True, slots=True)
class ProfileField:
    id: str
    label: str
    type: str  # "choice", "date" or "text"
    required: bool
    options: tuple[ProfileOption, ...]
    conditions: tuple[Condition, ...]

    def applies_to(self, profile: dict) -> bool:
        return all(c.holds(profile) for c in self.conditions)

    def label_of(self, value: str | None) -> str:
        for option in self.options:
            if option.id == value:
                return option.label
        return value or ""

    def short_label_of(self, value: str | None) -> str:
        for option in self.options:
            if option.id == value:
                return option.short or option.label
        return value or ""


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    label: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class Grouping:
    """A named way of splitting cases: a profile field, or groups of its values."""

    id: str
    label: str
    field: str
    groups: tuple[Group, ...]

    def group_of(self, profile: dict) -> str | None:
        value = profile.get(self.field)
        for group in self.groups:
            if value in group.values:
                return group.id
        return None


@dataclass(frozen=True, slots=True)
class Comparison:
    by: str
    group: str
    reference: str


@dataclass(frozen=True, slots=True)
class SecondReadingRule:
    """Which cases moderation always second-reads, and what share of the rest by default."""

    conditions: tuple[Condition, ...]  # any one holding picks the case
    share: float

    def always(self, profile: dict) -> bool:
        return any(c.holds(profile) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class SmallNumbers:
    """Breakdown and comparison groups with fewer relevant cases than `min_cases` are `show`n
    suppressed (count of Yes, percentage and comparison withheld) or flagged."""

    min_cases: int = 0  # 0: no group is small
    show: str = "suppress"

    def small(self, relevant: int) -> bool:
        """A group too small to publish as it is: some cases, but fewer than the threshold (an
        empty group has no percentage to withhold)."""
        return 0 < relevant < self.min_cases

    @property
    def suppressed(self) -> bool:
        return self.show == "suppress"


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    title: str
    path: Path
    bands: tuple[Band, ...]
    overall_edges: tuple[tuple[str, int], ...]  # (rating, lowest total score), lowest first
    relative_rate_threshold: float
    answer_types: dict[str, AnswerType]
    profile: tuple[ProfileField, ...]
    groupings: dict[str, Grouping]
    breakdowns: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    standards: tuple[Standard, ...]
    questions: dict[str, Question] = field(repr=False)
    second_reading: SecondReadingRule = SecondReadingRule((), 0.1)
    small_numbers: SmallNumbers = SmallNumbers()

    @property
    def rated_standards(self) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.rated_by != "not_rated")

    @property
    def max_score(self) -> int:
        return len(self.rated_standards) * max(b.score for b in self.bands)

    def standard(self, standard_id: str) -> Standard:
        for s in self.standards:
            if s.id == standard_id:
                return s
        known = ", ".join(s.id for s in self.standards)
        raise HmipError(f"unknown standard {standard_id!r}: this framework has {known}")

    def question(self, question_id: str) -> Question:
        try:
            return self.questions[question_id]
        except KeyError:
            raise HmipError(
                f"unknown question {question_id!r}: framework {self.id} {self.version} has no such question"
            ) from None

    def band(self, band_id: str) -> Band:
        for b in self.bands:
            if b.id == band_id:
                return b
        known = ", ".join(b.id for b in self.bands)
        raise HmipError(f"unknown rating {band_id!r}: use one of {known}")

    def profile_field(self, field_id: str) -> ProfileField | None:
        for f in self.profile:
            if f.id == field_id:
                return f
        return None

    def grouping(self, grouping_id: str) -> Grouping:
        """A declared grouping, or a plain profile field seen as one group per option."""
        if grouping_id in self.groupings:
            return self.groupings[grouping_id]
        f = self.profile_field(grouping_id)
        if f is None:
            raise HmipError(f"unknown breakdown {grouping_id!r}: not a profile field or grouping")
        return Grouping(
            f.id, f.label, f.id, tuple(Group(o.id, o.label, frozenset({o.id})) for o in f.options)
        )

    def applicability_fields(self) -> tuple[str, ...]:
        """The profile fields any question's applicability depends on."""
        return tuple(sorted({c.field for q in self.questions.values() for c in q.conditions}))


# --- loading -------------------------------------------------------------------------------


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _validate_shape(data, source: Path) -> None:
    import jsonschema  # only needed while loading a framework file

    schema = json.loads((schema_dir() / FRAMEWORK_SCHEMA).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        raise HmipError(f"{source}: field {_where(first.absolute_path)}: {first.message}")


def _conditions(raw: dict | None, why_not: str | None, where: str) -> tuple[Condition, ...]:
    if not raw:
        return ()
    reason = why_not or "it does not apply to this case's profile"
    return tuple(Condition(f, frozenset(v), reason) for f, v in raw.items())


def parse_framework(data: dict, source: Path, *, checked: bool = False) -> Framework:
    """Build a Framework from parsed YAML, refusing anything inconsistent with a clear sentence.

    `checked` skips the JSON Schema pass for data that passed it before (the cache); the
    cross-reference checks below always run.
    """
    if not isinstance(data, dict):
        raise HmipError(f"{source}: the file does not hold a framework (expected a mapping at the top)")
    if not checked:
        _validate_shape(data, source)

    def fail(where: str, message: str):
        raise HmipError(f"{source}: field {where}: {message}")

    answer_types = {
        tid: AnswerType(
            tid,
            t["label"],
            tuple(AnswerOption(o["id"], o["label"], o["counts_as"], o["key"]) for o in t["options"]),
        )
        for tid, t in data["answer_types"].items()
    }
    for tid, t in answer_types.items():
        ids = [o.id for o in t.options]
        keys = [o.key for o in t.options]
        if len(set(ids)) != len(ids):
            fail(f"answer_types.{tid}.options", "two options share an id")
        if len(set(keys)) != len(keys):
            fail(f"answer_types.{tid}.options", "two options share a key")

    profile = []
    for i, f in enumerate(data["profile"]):
        if f["type"] == "choice" and not f.get("options"):
            fail(f"profile.{i}.options", f"choice field {f['id']!r} needs options")
        profile.append(
            ProfileField(
                f["id"], f["label"], f["type"], f["required"],
                tuple(ProfileOption(o["id"], o["label"], o.get("short")) for o in f.get("options", ())),
                _conditions(f.get("applies_when"), None, f"profile.{i}"),
            )
        )
    field_options = {f.id: {o.id for o in f.options} for f in profile}
    if len(field_options) != len(profile):
        fail("profile", "two profile fields share an id")

    def check_condition(raw: dict | None, where: str) -> None:
        for fid, values in (raw or {}).items():
            if fid not in field_options:
                fail(f"{where}.applies_when.{fid}", "not a profile field")
            unknown = set(values) - field_options[fid]
            if field_options[fid] and unknown:
                fail(f"{where}.applies_when.{fid}", f"unknown value {sorted(unknown)[0]!r}")

    for i, f in enumerate(data["profile"]):
        check_condition(f.get("applies_when"), f"profile.{i}")

    defaults = data["defaults"]
    for kind, d in defaults.items():
        if d["type"] not in answer_types:
            fail(f"defaults.{kind}.type", f"unknown answer type {d['type']!r}")

    questions: dict[str, Question] = {}

    def make(raw: dict, kind: str, where: str, standard_id: str, parent: str | None,
             inherited: tuple[Condition, ...], prompts=()) -> Question:
        qid = raw["id"]
        if qid in questions:
            fail(f"{where}.id", f"question id {qid!r} is used twice")
        tid = raw.get("type", defaults[kind]["type"])
        if tid not in answer_types:
            fail(f"{where}.type", f"unknown answer type {tid!r}")
        check_condition(raw.get("applies_when"), where)
        q = Question(
            qid, raw["text"], kind, answer_types[tid],
            raw.get("note", defaults[kind]["note"]) == "required",
            standard_id, parent,
            inherited + _conditions(raw.get("applies_when"), raw.get("why_not"), where),
            tuple(prompts),
            raw.get("guidance"),
        )
        questions[qid] = q
        return q

    standards = []
    seen_standards = set()
    for si, s in enumerate(data["standards"]):
        where = f"standards.{si}"
        if s["id"] in seen_standards:
            fail(f"{where}.id", f"standard id {s['id']!r} is used twice")
        seen_standards.add(s["id"])
        check_condition(s.get("applies_when"), where)
        inherited = _conditions(s.get("applies_when"), s.get("why_not"), where)
        if s["rated_by"] == "cases" and not s.get("key_questions"):
            fail(f"{where}.key_questions", f"standard {s['id']} is rated from cases but has no key questions")
        if s["rated_by"] == "judgement" and (s.get("key_questions") or s.get("items")):
            fail(f"{where}", f"standard {s['id']} is rated by judgement and cannot hold case questions")
        kqs = []
        for ki, k in enumerate(s.get("key_questions", ())):
            kwhere = f"{where}.key_questions.{ki}"
            k_conditions = inherited + _conditions(k.get("applies_when"), k.get("why_not"), kwhere)
            prompts = [
                make(p, "prompt", f"{kwhere}.prompts.{pi}", s["id"], k["id"], k_conditions)
                for pi, p in enumerate(k.get("prompts", ()))
            ]
            kq_raw = {key: v for key, v in k.items() if key != "prompts"}
            kqs.append(make(kq_raw, "key_question", kwhere, s["id"], None, inherited, prompts))
        items = [
            make(it, "item", f"{where}.items.{ii}", s["id"], None, inherited)
            for ii, it in enumerate(s.get("items", ()))
        ]
        standards.append(
            Standard(s["id"], s["domain"], s["title"], s["statement"], s["rated_by"],
                     tuple(kqs), tuple(items), s.get("why_not"))
        )

    # Walk order: standards in file order, each key question's prompts before it.
    ordered = {q.id: q for s in standards for q in s.questions}

    bands = tuple(Band(b["id"], b["label"], b["from"], b["score"], b["colour"], b.get("words", ""))
                  for b in data["rating"]["bands"])
    if [b.start for b in bands] != sorted(b.start for b in bands) or bands[0].start != 0:
        fail("rating.bands", "bands must start at 0 and be listed lowest first")
    band_ids = {b.id for b in bands}
    overall = tuple((o["rating"], o["from"]) for o in data["rating"]["overall"])
    for i, (rating, _) in enumerate(overall):
        if rating not in band_ids:
            fail(f"rating.overall.{i}.rating", f"unknown rating {rating!r}")
    if overall[0][1] != 0 or [o[1] for o in overall] != sorted(o[1] for o in overall):
        fail("rating.overall", "overall edges must start at 0 and be listed lowest first")

    groupings = {}
    for gi, g in enumerate(data.get("groupings", ())):
        if g["field"] not in field_options:
            fail(f"groupings.{gi}.field", f"not a profile field: {g['field']!r}")
        for gr in g["groups"]:
            unknown = set(gr["values"]) - field_options[g["field"]]
            if unknown:
                fail(f"groupings.{gi}.groups", f"unknown value {sorted(unknown)[0]!r}")
        groupings[g["id"]] = Grouping(
            g["id"], g["label"], g["field"],
            tuple(Group(gr["id"], gr["label"], frozenset(gr["values"])) for gr in g["groups"]),
        )

    reading = data.get("moderation", {}).get("second_reading", {})
    check_condition(reading.get("always"), "moderation.second_reading")
    second_reading = SecondReadingRule(
        _conditions(reading.get("always"), None, "moderation.second_reading"), float(reading.get("share", 0.1)))

    fw = Framework(
        id=data["id"], version=str(data["version"]), title=data["title"], path=source,
        bands=bands, overall_edges=overall,
        relative_rate_threshold=float(data["rating"]["relative_rate_threshold"]),
        answer_types=answer_types, profile=tuple(profile), groupings=groupings,
        breakdowns=tuple(data.get("breakdowns", ())),
        comparisons=tuple(Comparison(c["by"], c["group"], c["reference"])
                          for c in data.get("comparisons", ())),
        standards=tuple(standards), questions=ordered, second_reading=second_reading,
        small_numbers=SmallNumbers(int(data["small_numbers"]["min_cases"]),
                                   data["small_numbers"].get("show", "suppress"))
        if "small_numbers" in data else SmallNumbers(),
    )
    for bi, b in enumerate(fw.breakdowns):
        if b not in groupings and b not in field_options:
            fail(f"breakdowns.{bi}", f"not a profile field or grouping: {b!r}")
    for ci, c in enumerate(fw.comparisons):
        where = f"comparisons.{ci}"
        if c.by not in groupings and c.by not in field_options:
            fail(f"{where}.by", f"not a profile field or grouping: {c.by!r}")
        group_ids = {g.id for g in fw.grouping(c.by).groups}
        for name in ("group", "reference"):
            if getattr(c, name) not in group_ids:
                fail(f"{where}.{name}", f"{getattr(c, name)!r} is not a group of {c.by}")
    return fw


def _cache_file(raw: bytes) -> Path | None:
    """Where the checked form of a framework with exactly this content is kept, if anywhere."""
    import hashlib
    import os

    from platformdirs import user_cache_path

    if os.environ.get("HMIP_NO_CACHE"):
        return None
    # The key covers the framework, the JSON Schema it was checked against, and the checks' own
    # version: a change to any of them means a full check again.
    schema = (schema_dir() / FRAMEWORK_SCHEMA).read_bytes()
    digest = hashlib.sha256(raw + schema + FRAMEWORK_SCHEMA_VERSION.encode()).hexdigest()[:32]
    return user_cache_path("hmip", appauthor=False) / "frameworks" / f"{digest}.json"


# Bump when the checks in parse_framework change, so cached frameworks are checked again.
# 3: optional guidance texts, short profile labels and the small-numbers threshold.
FRAMEWORK_SCHEMA_VERSION = "3"


def load_framework_file(path: Path | str) -> Framework:
    """Load and validate one framework file; any problem is one HmipError naming file and field.

    Parsing YAML and validating against the JSON Schema cost ~100 ms, on the path to the app's
    first paint. So once a file's content has passed, its parsed data is kept as JSON (never
    pickle: a cache file must not be able to run code), keyed by the SHA-256 of that content; an
    edited file has another key and is checked again in full.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise HmipError(f"{path}: no such framework file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HmipError(f"{path}: cannot read the framework file ({exc})") from None
    cache = _cache_file(raw)
    if cache is not None and cache.is_file():
        try:
            return parse_framework(json.loads(cache.read_text(encoding="utf-8")), path, checked=True)
        except (OSError, ValueError, HmipError, KeyError, TypeError):
            pass  # a damaged cache is ignored and rewritten below
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise HmipError(f"{path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    framework = parse_framework(data, path)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".part")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(cache)
        except (OSError, TypeError, ValueError):
            pass  # no cache, only a slower start next time
    return framework


@cache
def available_frameworks() -> tuple[Framework, ...]:
    return tuple(load_framework_file(p) for p in sorted(schema_dir().glob("*.yaml")))


def load_framework(framework_id: str | None = None, version: str | None = None) -> Framework:
    """The shipped framework with this id and version; the newest when either is left out."""
    matches = [
        f for f in available_frameworks()
        if (framework_id is None or f.id == framework_id) and (version is None or f.version == version)
    ]
    if not matches:
        known = ", ".join(f"{f.id} {f.version}" for f in available_frameworks()) or "none"
        wanted = " ".join(x for x in (framework_id, version) if x) or "any"
        raise HmipError(f"no framework {wanted} under {schema_dir()} (known: {known})")
    return max(matches, key=lambda f: f.version)
