"""Errors as HTTP answers: every error class has a status and a code, the docs' table agrees, bodies locate."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import just_workflow as jw
from fixtures import ANNA, ROOT, moa_definition
from just_workflow import errors
from just_workflow.http import http_error


def _subclasses(kind: type) -> set[type]:
    """``kind`` and every class below it that the library defines for its users.

    Not the tests' own, nor the test kit's (``ServerUnavailable``: no test server here), which no portal meets.
    """
    below = {sub for direct in kind.__subclasses__() for sub in _subclasses(direct)}
    library = (sub for sub in below if sub.__module__.startswith("just_workflow"))
    return {kind, *(sub for sub in library if not sub.__module__.startswith("just_workflow.testing"))}


def test_every_error_class_has_its_own_answer() -> None:
    """Each class of the error tree is in HTTP_ERRORS itself (not by its base), with a known status and a unique code."""
    declared = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, jw.WorkflowError)
    }
    tree = _subclasses(jw.WorkflowError)
    assert declared <= tree
    missing = sorted(kind.__name__ for kind in tree if kind not in jw.HTTP_ERRORS)
    assert missing == []
    codes = [answer.code for answer in jw.HTTP_ERRORS.values()]
    assert len(codes) == len(set(codes)) and all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)
    assert {answer.status for answer in jw.HTTP_ERRORS.values()} <= {200, 400, 403, 404, 409, 422, 500, 503}


def test_the_docs_table_says_what_the_mapping_says() -> None:
    """Each row of docs/embedding.md's error table gives the status HTTP_ERRORS holds for its errors."""
    text = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    table = text[text.index("| error | raised by | HTTP |") :].split("\n\n")[0]
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    seen = set()
    for row in rows:
        names, _raised, status = (cell.strip() for cell in row.strip("|").split("|")[:3])
        for name in re.findall(r"`(\w+)`", names):
            seen.add(name)
            assert jw.HTTP_ERRORS[getattr(jw, name)].status == int(status.split()[0]), row
    assert seen == {kind.__name__ for kind in jw.HTTP_ERRORS} - {
        "WorkflowError",
        "Refusal",
        "DefinitionError",
        "AuditError",
    }


def _refused(call: Any) -> jw.WorkflowError:
    with pytest.raises(jw.WorkflowError) as caught:
        call()
    return caught.value


@pytest.fixture
def engine() -> jw.Engine:
    return jw.Engine([moa_definition()])


def test_a_stale_fire_answers_409_with_both_seqs(engine: jw.Engine) -> None:
    """A ConcurrencyConflict is 409 and its body gives the instance, the expected and the actual seq."""
    instance = engine.start("moa", ANNA)
    engine.fire(instance.id, "contact", ANNA)
    error = _refused(lambda: engine.fire(instance.id, "contact", ANNA, expected_seq=instance.seq))
    assert jw.http_status(error) == 409
    body = jw.error_body(error)
    assert body["code"] == "concurrency_conflict" and str(error) == body["message"]
    assert (body["instance"], body["expected"], body["actual"]) == (instance.id, 1, 2)


def test_an_invalid_payload_answers_422_with_every_bad_field(engine: jw.Engine) -> None:
    """The engine's InvalidPayload names each bad input in ``fields``; the body carries them."""
    instance = engine.fire(engine.start("moa", ANNA).id, "contact", ANNA)
    payload = {"offer": "free_lunches", "staff": "three", "colour": "red"}
    error = _refused(lambda: engine.fire(instance.id, "define", ANNA, payload))
    assert isinstance(error, jw.InvalidPayload) and jw.http_status(error) == 422
    body = jw.error_body(error)
    assert body["code"] == "invalid_payload" and body["trigger"] == "define"
    assert sorted(body["fields"]) == ["colour", "fields", "offer", "staff"]
    assert "not one of the choices" in body["fields"]["offer"] and "missing" in body["fields"]["fields"]
    assert body["reasons"] == list(body["fields"].values())


def test_a_party_triggers_bad_payload_names_its_fields(engine: jw.Engine) -> None:
    """An invite with a role that has no parties and no party id names both inputs."""
    instance = engine.start("moa", ANNA)
    error = _refused(lambda: engine.fire(instance.id, "invite", ANNA, {"role": "department"}))
    assert isinstance(error, jw.InvalidPayload)
    assert sorted(error.fields) == ["party", "role"]


def test_a_stranger_is_told_403_without_learning_the_parties(engine: jw.Engine) -> None:
    """NotAParty is 403 with its own code; the body's message does not name the instance's parties."""
    instance = engine.start("moa", ANNA)
    error = _refused(lambda: engine.fire(instance.id, "contact", jw.Actor("bruno", "sme")))
    assert isinstance(error, jw.NotAParty) and "anna" in str(error)
    body = jw.error_body(error)
    assert jw.http_status(error) == 403 and body["code"] == "not_a_party"
    assert "anna" not in json.dumps(body) and body["actor_id"] == "bruno"


def test_the_errors_start_raises_are_not_500(engine: jw.Engine) -> None:
    """An unknown protocol is 404, a role that may not start 403, a taken id 409, a bad id 400."""
    engine.start("moa", ANNA, instance_id="taken")
    calls = {
        404: lambda: engine.start("no_such", ANNA),
        403: lambda: engine.start("moa", jw.Actor("dora", "department")),
        409: lambda: engine.start("moa", ANNA, instance_id="taken"),
        400: lambda: engine.start("moa", ANNA, instance_id="\ud800"),
    }
    for status, call in calls.items():
        error = _refused(call)
        assert jw.http_status(error) == status, error
        json.dumps(jw.error_body(error))


def test_a_hook_error_is_the_stored_answer_201_after_a_start(engine: jw.Engine) -> None:
    """A failing hook after a start is 201 (the start is stored), after a fire 200; the body names the hook."""

    def mail(_instance: jw.Instance, _event: jw.Event) -> None:
        raise OSError("no mail server")

    engine.after_fire(mail)
    started = _refused(lambda: engine.start("moa", ANNA))
    assert isinstance(started, jw.HookError) and jw.http_status(started) == 201
    fired = _refused(lambda: engine.fire(started.instance.id, "contact", ANNA))  # type: ignore[attr-defined]
    assert jw.http_status(fired) == 200
    assert jw.error_body(fired) | {"message": ""} == {
        "code": "hook_failed",
        "message": "",
        "hook": "test_a_hook_error_is_the_stored_answer_201_after_a_start.<locals>.mail",
        "instance": started.instance.id,  # type: ignore[attr-defined]
        "seq": 2,
    }


def test_a_subclass_is_found_before_its_base() -> None:
    """An error class outside the table answers as its nearest base in it."""

    class Late(jw.StoreBusy):
        pass

    assert http_error(Late("locked")) == jw.HTTP_ERRORS[jw.StoreBusy]
    assert (
        jw.error_body(jw.DefinitionError([errors.Problem("bad", path="$.states")]))["problems"][0]["path"]
        == "$.states"
    )


def test_a_failed_batch_answers_as_its_failing_item(engine: jw.Engine) -> None:
    """A BatchFailed has the status of the error its item raised; the body nests that error's body."""
    instance = engine.start("moa", ANNA)
    with pytest.raises(jw.BatchFailed) as caught, engine.batch() as batch:
        batch.fire(instance.id, "contact", ANNA)
        batch.fire(instance.id, "contact", ANNA)
    error = caught.value
    assert jw.http_status(error) == 409 == jw.http_status(error.error)
    body = jw.error_body(error)
    assert (body["code"], body["index"]) == ("batch_failed", 1)
    assert body["error"] == jw.error_body(error.error) and body["error"]["code"] == "transition_not_allowed"
