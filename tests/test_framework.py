"""The framework file: the shipped one is sound; a broken one is refused naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import run_hmip
from hmip_tui.errors import HmipError
from hmip_tui.framework import load_framework, load_framework_file, schema_dir

SHIPPED = schema_dir() / "hmip-adult-pdu-2022.yaml"


def test_shipped_framework_matches_its_published_json_schema():
    schema = json.loads((schema_dir() / "framework.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(SHIPPED.read_text()), schema)


def test_shipped_framework_holds_the_reports_standards_and_wording():
    fw = load_framework("hmip-adult-pdu", "2022.1")
    assert [s.id for s in fw.rated_standards] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert fw.max_score == 27
    assert fw.standard("2.6").rated_by == "not_rated"
    assert fw.question("2.2.3").text == "Does assessment focus sufficiently on keeping other people safe?"
    assert fw.question("2.5.1").text.startswith("Does reviewing focus sufficiently on supporting the compliance")
    assert fw.question("2.2.1").note_required and not fw.question("2.2.1.a").note_required
    assert fw.question("2.1.1.b").type.values == ("done", "not_done", "not_required")
    assert fw.question("MO.a").type.option("absent").counts_as == "no"


def test_applicability_follows_the_profile():
    fw = load_framework()
    court = fw.question("2.1.1.c")
    assert court.applies_to({"pre_sentence_report": "yes"})
    assert court.why_not({"pre_sentence_report": "no"}) == "court work is assessed only where a pre-sentence report was given"
    assert fw.question("PR.b").applies_to({"sentence_type": "licence"})
    assert not fw.question("PR.b").applies_to({"sentence_type": "community_order"})


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(SHIPPED.read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["standards"][5]["key_questions"][0].pop("text"),
     "field standards.5.key_questions.0: 'text' is a required property"),
    (lambda d: d["standards"][5]["key_questions"][0]["prompts"][0].update(type="traffic_light"),
     "field standards.5.key_questions.0.prompts.0.type: unknown answer type 'traffic_light'"),
    (lambda d: d["standards"][5]["key_questions"][1].update(id="2.2.1"),
     "question id '2.2.1' is used twice"),
    (lambda d: d["standards"][4].update(applies_when={"court_report": ["yes"]}),
     "field standards.4.applies_when.court_report: not a profile field"),
    (lambda d: d["rating"]["bands"].reverse(), "field rating.bands: bands must start at 0"),
    (lambda d: d.pop("version"), "field (top level): 'version' is a required property"),
])
def test_a_broken_framework_names_file_and_field(tmp_path, edit, message):
    path = _broken(tmp_path, edit)
    with pytest.raises(HmipError) as err:
        load_framework_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_framework_check_command(tmp_path):
    ok = run_hmip("framework", "check", str(SHIPPED))
    assert ok.returncode == 0 and "is valid" in ok.stdout
    path = _broken(tmp_path, lambda d: d["standards"][5]["key_questions"][0].pop("text"))
    bad = run_hmip("framework", "check", str(path))
    assert bad.returncode == 1
    assert "broken.yaml: field standards.5.key_questions.0: 'text' is a required property" in bad.stderr
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n")
    assert "is not valid YAML" in run_hmip("framework", "check", str(tmp_path / "bad.yaml")).stderr


def test_every_key_question_has_guidance_and_the_version_stays():
    """Guidance is optional in the file and changes no question's meaning: the shipped framework
    gives it for every key question and stays 2022.1, so answers given before keep their version."""
    fw = load_framework()
    assert fw.version == "2022.1"
    keys = [q for q in fw.questions.values() if q.kind == "key_question"]
    assert keys and all(q.guidance and 40 < len(q.guidance) <= 800 for q in keys)
    assert fw.question("2.1.1.b").guidance  # a prompt may have its own too
    assert fw.question("2.2.1.a").guidance is None  # and most do not: optional


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["standards"][5]["key_questions"][0].update(guidance=""),
     "field standards.5.key_questions.0.guidance: '' should be non-empty"),
    (lambda d: d["standards"][5]["key_questions"][0].update(guidance=["a list"]),
     "field standards.5.key_questions.0.guidance: ['a list'] is not of type 'string'"),
    (lambda d: d["standards"][5]["key_questions"][0]["prompts"][0].update(guidance="x" * 801),
     "field standards.5.key_questions.0.prompts.0.guidance"),
])
def test_broken_guidance_is_refused_naming_the_field(tmp_path, edit, message):
    path = _broken(tmp_path, edit)
    with pytest.raises(HmipError) as err:
        load_framework_file(path)
    assert str(path) in str(err.value) and message in str(err.value)
    bad = run_hmip("framework", "check", str(path))
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and message in bad.stderr


def test_a_framework_without_guidance_still_loads(tmp_path):
    def strip(d):
        for s in d["standards"]:
            for k in s.get("key_questions", []):
                k.pop("guidance", None)
                for p in k.get("prompts", []):
                    p.pop("guidance", None)
            for item in s.get("items", []):
                item.pop("guidance", None)
    fw = load_framework_file(_broken(tmp_path, strip))
    assert all(q.guidance is None for q in fw.questions.values())
