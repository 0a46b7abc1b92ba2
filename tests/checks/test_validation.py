"""Static checks: every finding code, with its message and path, on small definitions built in code."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.checks.analysis import guards_exclusive
from just_workflow.checks.validation import structural_findings


def text(en: str) -> d.Text:
    """A text in every language of the partnership."""
    return d.Text(en, sk=f"{en} (sk)", es=f"{en} (es)", it=f"{en} (it)", sl=f"{en} (sl)")


def make(**changes: Any) -> d.Definition:
    """A clean review protocol: the author submits, the editor accepts or rejects."""
    base = d.Definition(
        protocol="review",
        version=1,
        title=text("Review"),
        roles=(d.Role("author", text("Author")), d.Role("editor", text("Editor"), open=True)),
        states=(
            d.State("draft", text("Draft")),
            d.State("review", text("In review")),
            d.State("published", text("Published"), final=True),
            d.State("rejected", text("Rejected"), final=True),
        ),
        initial="draft",
        context=(
            d.Field("summary", d.FieldType.STR, text("Summary")),
            d.Field(
                "decision",
                d.FieldType.STR,
                text("Decision"),
                choices=("accept", "reject"),
                choice_titles={"accept": text("Accept"), "reject": text("Reject")},
            ),
            d.Field("pages", d.FieldType.INT, text("Pages")),
        ),
        transitions=(
            d.Transition(
                "submit",
                ("draft",),
                ("author",),
                "review",
                inputs=(d.Input("summary"), d.Input("pages", required=False)),
                title=text("Submit"),
            ),
            d.Transition(
                "decide",
                ("review",),
                ("editor",),
                "published",
                inputs=(d.Input("decision"),),
                conditions=(d.Condition("decision", d.Op.EQ, "accept"),),
                title=text("Accept"),
            ),
            d.Transition(
                "decide",
                ("review",),
                ("editor",),
                "rejected",
                inputs=(d.Input("decision"),),
                conditions=(d.Condition("decision", d.Op.EQ, "reject"),),
                title=text("Reject"),
            ),
        ),
        invariants=(d.Invariant("published_has_summary", ("published",), requires=("summary",)),),
    )
    return attrs.evolve(base, **changes)


def with_transition(index: int, definition: d.Definition | None = None, **changes: Any) -> d.Definition:
    """The definition with transition ``index`` changed."""
    definition = definition or make()
    transitions = list(definition.transitions)
    transitions[index] = attrs.evolve(transitions[index], **changes)
    return attrs.evolve(definition, transitions=tuple(transitions))


def adding(definition: d.Definition | None = None, **extra: Any) -> d.Definition:
    """The definition with more transitions, states, roles or fields appended."""
    definition = definition or make()
    return attrs.evolve(
        definition, **{key: (*getattr(definition, key), *items) for key, items in extra.items()}
    )


def move(trigger: str, source: str, target: str | None, by: str = "editor", **changes: Any) -> d.Transition:
    """A titled transition."""
    return d.Transition(trigger, (source,), (by,), target, title=text(trigger), **changes)


def found(definition: d.Definition, code: str, **kwargs: Any) -> list[jw.Finding]:
    """The findings of ``check`` with ``code``."""
    return [finding for finding in jw.check(definition, **kwargs) if finding.code == code]


def one(definition: d.Definition, code: str, **kwargs: Any) -> jw.Finding:
    """The single finding of ``check`` with ``code``."""
    findings = found(definition, code, **kwargs)
    assert len(findings) == 1, jw.check(definition, **kwargs)
    return findings[0]


# The API


def test_a_clean_definition_has_no_findings() -> None:
    """The review protocol, titled and translated throughout, is clean."""
    assert jw.check(make()) == []
    assert structural_findings(make()) == []


def test_a_finding_reads_severity_code_path_and_message() -> None:
    """str(Finding) is the line the CLI prints; with a file (and a line and column) it starts with them."""
    finding = jw.Finding(
        jw.Severity.ERROR, jw.FindingCode.UNKNOWN_STATE, "Unknown state 'x'", path="$.initial"
    )
    assert str(finding) == "ERROR unknown-state $.initial: Unknown state 'x'"
    in_file = attrs.evolve(finding, file="p.yaml", line=3, column=10)
    assert str(in_file) == "p.yaml:3:10: ERROR unknown-state $.initial: Unknown state 'x'"


def test_structural_errors_hold_back_the_analyses() -> None:
    """While a definition has structural errors, check reports only those."""
    broken = attrs.evolve(make(), initial="drafts", title=d.Text("Review"))
    assert [f.code for f in jw.check(broken)] == ["unknown-state"]


def test_findings_come_in_document_order() -> None:
    """Sections in file order, names in declaration order, list items by index."""
    definition = make(
        roles=(d.Role("editor", text("Editor")), d.Role("ghost", text("Ghost")), d.Role("author")),
        states=(*make().states, d.State("limbo")),
    )
    definition = with_transition(2, definition, title=None)
    paths = [f.path for f in jw.check(definition)]
    assert paths == [
        "$.roles.ghost",
        "$.roles.author",
        "$.states.limbo",
        "$.states.limbo",
        "$.states.limbo",
        "$.transitions[2]",
    ]


def test_structural_findings_are_sorted_by_index_not_text() -> None:
    """$.transitions[10] comes after $.transitions[2]."""
    transitions = tuple(move(f"t{i}", "draft", "nowhere" if i in (2, 10) else "review") for i in range(11))
    paths = [f.path for f in structural_findings(make(transitions=transitions))]
    assert paths == ["$.transitions[2].to", "$.transitions[10].to"]


# Structure: names


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        (
            {"protocol": "Review"},
            "$.protocol",
            "Invalid protocol name 'Review'; names match ^[a-z][a-z0-9_]*$",
        ),
        (
            {"roles": (*make().roles, d.Role("Chief-Editor", text("Chief")))},
            "$.roles.Chief-Editor",
            "Invalid role name 'Chief-Editor'; names match ^[a-z][a-z0-9_]*$ (did you mean 'chief_editor'?)",
        ),
        (
            {"context": (*make().context, d.Field("2nd", d.FieldType.STR))},
            "$.context.2nd",
            "Invalid field name '2nd'; names match ^[a-z][a-z0-9_]*$",
        ),
        (
            {"invariants": (d.Invariant("Has summary", ("published",), requires=("summary",)),)},
            "$.invariants[0].name",
            "Invalid invariant name 'Has summary'; names match ^[a-z][a-z0-9_]*$ (did you mean 'has_summary'?)",
        ),
    ],
)
def test_bad_identifier(changes: dict[str, Any], path: str, fragment: str) -> None:
    """Names that are not lowercase identifiers are errors, with a fixed spelling when there is one."""
    finding = one(make(**changes), "bad-identifier")
    assert (finding.path, finding.severity) == (path, jw.Severity.ERROR)
    assert finding.message.startswith(fragment)


def test_bad_identifier_of_a_trigger_and_a_guard() -> None:
    """Triggers and guard names follow the same rule."""
    definition = with_transition(0, trigger="Submit", guards=("ok", "is-ready"))
    findings = found(definition, "bad-identifier")
    assert [f.path for f in findings] == ["$.transitions[0].trigger", "$.transitions[0].guards[1]"]
    assert "Invalid guard name 'is-ready'" in findings[1].message


def test_a_fixed_spelling_is_offered_only_when_it_is_valid() -> None:
    """A name starting with a digit gets no did-you-mean."""
    finding = one(make(context=(*make().context, d.Field("2nd", d.FieldType.STR))), "bad-identifier")
    assert "did you mean" not in finding.message


@pytest.mark.parametrize("version", [0, -1, True])
def test_bad_version(version: Any) -> None:
    """A version is an integer from 1."""
    finding = one(make(version=version), "bad-version")
    assert finding.path == "$.version"
    assert finding.message == f"Invalid version {version!r}; use an integer >= 1"


@pytest.mark.parametrize(
    ("section", "code", "message"),
    [
        ("states", "no-states", "No states: declare at least one state"),
        ("roles", "no-roles", "No roles: declare at least one role"),
        ("transitions", "no-transitions", "No transitions: declare how the protocol moves"),
    ],
)
def test_empty_sections(section: str, code: str, message: str) -> None:
    """A protocol needs states, roles and transitions."""
    finding = one(make(**{section: ()}), code)
    assert (finding.path, finding.message) == (f"$.{section}", message)


def test_duplicate_names_in_code_built_tuples() -> None:
    """A role, state or field declared twice is an error at its name."""
    definition = make(
        roles=(*make().roles, d.Role("author")),
        states=(*make().states, d.State("draft")),
        context=(*make().context, d.Field("pages", d.FieldType.INT)),
    )
    findings = found(definition, "duplicate-name")
    assert [(f.path, f.message) for f in findings] == [
        ("$.roles.author", "Duplicate role name 'author': declare each role once"),
        ("$.context.pages", "Duplicate field name 'pages': declare each field once"),
        ("$.states.draft", "Duplicate state name 'draft': declare each state once"),
    ]


def test_duplicate_invariant_names() -> None:
    """Two invariants with one name: the second is reported."""
    invariant = make().invariants[0]
    finding = one(make(invariants=(invariant, invariant)), "duplicate-name")
    assert finding.path == "$.invariants[1].name"
    assert finding.message == "Duplicate invariant name 'published_has_summary': declare each invariant once"


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"by": ("editor", "editor")}, "$.transitions[1].by[1]", "Role 'editor' is listed twice in `by`"),
        (
            {"sources": ("review", "review")},
            "$.transitions[1].from[1]",
            "State 'review' is listed twice in `from`",
        ),
        (
            {"requires": ("decision", "decision")},
            "$.transitions[1].requires[1]",
            "Field 'decision' is listed twice in `requires`",
        ),
        (
            {"inputs": (d.Input("decision"), d.Input("decision", required=False))},
            "$.transitions[1].input.decision",
            "Field 'decision' is listed twice in `input`",
        ),
        ({"guards": ("ok", "ok")}, "$.transitions[1].guards[1]", "Guard 'ok' is listed twice in `guards`"),
        (
            {"by": (), "signoff": d.Signoff(("editor", "author", "editor"))},
            "$.transitions[1].signoff.all_of[2]",
            "Role 'editor' is listed twice in `signoff.all_of`",
        ),
    ],
)
def test_duplicate_entry(changes: dict[str, Any], path: str, message: str) -> None:
    """A name listed twice in one list is an error at the second occurrence."""
    finding = one(with_transition(1, **changes), "duplicate-entry")
    assert (finding.path, finding.message) == (path, message)


def test_duplicate_entry_in_start_by_and_choices() -> None:
    """start_by and choices are lists of distinct names too."""
    field = d.Field("decision", d.FieldType.STR, choices=("accept", "reject", "accept"))
    definition = make(start_by=("author", "author"), context=(*make().context[:1], field, make().context[2]))
    assert [(f.path, f.message) for f in found(definition, "duplicate-entry")] == [
        ("$.context.decision.choices[2]", "Choice 'accept' is listed twice in `choices`"),
        ("$.start_by[1]", "Role 'author' is listed twice in `start_by`"),
    ]


# Structure: references


STATES = "states are: draft, review, published, rejected"


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        (
            make(initial="drafts"),
            "$.initial",
            f"Unknown state 'drafts' in `initial`; {STATES} (did you mean 'draft'?)",
        ),
        (
            with_transition(1, target="publishd"),
            "$.transitions[1].to",
            f"Unknown state 'publishd' in `to`; {STATES} (did you mean 'published'?)",
        ),
        (
            with_transition(1, sources=("review", "reviewing")),
            "$.transitions[1].from[1]",
            f"Unknown state 'reviewing' in `from`; {STATES} (did you mean 'review'?)",
        ),
        (
            make(invariants=(d.Invariant("x", ("archived",), requires=("summary",)),)),
            "$.invariants[0].in[0]",
            f"Unknown state 'archived' in `in`; {STATES}",
        ),
    ],
)
def test_unknown_state(definition: d.Definition, path: str, message: str) -> None:
    """Every state named must be declared; the message lists the states and the closest one."""
    finding = one(definition, "unknown-state")
    assert (finding.path, finding.message) == (path, message)


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        (
            with_transition(1, by=("editr",)),
            "$.transitions[1].by[0]",
            "Unknown role 'editr' in `by`; roles are: author, editor (did you mean 'editor'?)",
        ),
        (
            with_transition(1, by=(), signoff=d.Signoff(("editor", "reviewer"))),
            "$.transitions[1].signoff.all_of[1]",
            "Unknown role 'reviewer' in `signoff.all_of`; roles are: author, editor",
        ),
        (
            make(start_by=("authors",)),
            "$.start_by[0]",
            "Unknown role 'authors' in `start_by`; roles are: author, editor (did you mean 'author'?)",
        ),
    ],
)
def test_unknown_role(definition: d.Definition, path: str, message: str) -> None:
    """Every role named in by, signoff and start_by must be declared."""
    finding = one(definition, "unknown-role")
    assert (finding.path, finding.message) == (path, message)


FIELDS = "fields are: summary, decision, pages"


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        (
            with_transition(0, inputs=(d.Input("sumary"),)),
            "$.transitions[0].input.sumary",
            f"Unknown field 'sumary' in `input`; {FIELDS} (did you mean 'summary'?)",
        ),
        (
            with_transition(1, requires=("page",)),
            "$.transitions[1].requires[0]",
            f"Unknown field 'page' in `requires`; {FIELDS} (did you mean 'pages'?)",
        ),
        (
            with_transition(1, conditions=(d.Condition("decison", d.Op.EQ, "accept"),)),
            "$.transitions[1].conditions[0].field",
            f"Unknown field 'decison' in `conditions`; {FIELDS} (did you mean 'decision'?)",
        ),
        (
            make(invariants=(d.Invariant("x", ("published",), requires=("abstract",)),)),
            "$.invariants[0].requires[0]",
            f"Unknown field 'abstract' in `requires`; {FIELDS}",
        ),
        (
            make(
                invariants=(d.Invariant("x", ("published",), conditions=(d.Condition("page", d.Op.GE, 1),)),)
            ),
            "$.invariants[0].conditions[0].field",
            f"Unknown field 'page' in `conditions`; {FIELDS} (did you mean 'pages'?)",
        ),
    ],
)
def test_unknown_field(definition: d.Definition, path: str, message: str) -> None:
    """Every field named in inputs, requires and conditions must be declared."""
    finding = one(definition, "unknown-field")
    assert (finding.path, finding.message) == (path, message)


# Structure: fields and conditions


@pytest.mark.parametrize(
    ("field", "path", "message"),
    [
        (
            d.Field("pages", d.FieldType.INT, choices=("1", "2")),
            "$.context.pages.choices",
            "Field 'pages' of type int cannot have `choices`; only str and list[str] can",
        ),
        (
            d.Field("pages", d.FieldType.STR, choices=()),
            "$.context.pages.choices",
            "Field 'pages' has an empty `choices` list; list the allowed values or drop `choices`",
        ),
    ],
)
def test_bad_choices(field: d.Field, path: str, message: str) -> None:
    """Choices only for str and list[str] fields, and never empty."""
    finding = one(make(context=(*make().context[:2], field)), "bad-choices")
    assert (finding.path, finding.message) == (path, message)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            d.Field("pages", d.FieldType.INT, min_items=1),
            "Field 'pages' of type int cannot have `min_items`; only list[str] can",
        ),
        (
            d.Field("pages", d.FieldType.LIST_STR, min_items=-1),
            "Field 'pages' has `min_items` -1; use 0 or more",
        ),
    ],
)
def test_bad_min_items(field: d.Field, message: str) -> None:
    """min_items only for list[str] fields, and not negative."""
    finding = one(make(context=(*make().context[:2], field)), "bad-min-items")
    assert (finding.path, finding.message) == ("$.context.pages.min_items", message)


TYPED = (
    d.Field("name", d.FieldType.STR),
    d.Field(
        "level",
        d.FieldType.STR,
        choices=("basic", "advanced"),
        choice_titles={"basic": text("Basic"), "advanced": text("Advanced")},
    ),
    d.Field("count", d.FieldType.INT),
    d.Field("abroad", d.FieldType.BOOL),
    d.Field("start", d.FieldType.DATE),
    d.Field("tags", d.FieldType.LIST_STR),
    d.Field(
        "offer",
        d.FieldType.LIST_STR,
        choices=("internships", "teaching"),
        choice_titles={"internships": text("Internships"), "teaching": text("Teaching")},
    ),
)


def with_condition(field: str, op: d.Op, value: Any) -> d.Definition:
    """The review protocol with the typed fields as inputs of `submit`, guarded by a condition on ``field``."""
    inputs = (
        d.Input("summary"),
        d.Input("pages", required=False),
        *(d.Input(t.name, required=False) for t in TYPED),
    )
    definition = make(context=(*make().context, *TYPED))
    return with_transition(0, definition, inputs=inputs, conditions=(d.Condition(field, op, value),))


@pytest.mark.parametrize(
    ("field", "op", "value", "key", "message"),
    [
        ("name", d.Op.GT, "a", "op", "`gt` compares int or date fields; field 'name' is str: use eq, ne, in"),
        ("abroad", d.Op.LE, True, "op", "`le` compares int or date fields; field 'abroad' is bool"),
        ("tags", d.Op.GE, 1, "op", "`ge` compares int or date fields; field 'tags' is list[str]"),
        ("count", d.Op.CONTAINS, 1, "op", "`contains` applies to list[str] fields; field 'count' is int"),
        ("count", d.Op.EQ, "3", "value", "`eq` on field 'count' (int) needs an integer; got '3'"),
        ("count", d.Op.GT, True, "value", "`gt` on field 'count' (int) needs an integer; got true"),
        ("abroad", d.Op.EQ, "yes", "value", "`eq` on field 'abroad' (bool) needs true or false; got 'yes'"),
        ("name", d.Op.NE, 3, "value", "`ne` on field 'name' (str) needs a string; got 3"),
        (
            "start",
            d.Op.GE,
            "2024-02-30",
            "value",
            "`ge` on field 'start' (date) needs a date YYYY-MM-DD; got",
        ),
        ("start", d.Op.LT, "20240201", "value", "`lt` on field 'start' (date) needs a date YYYY-MM-DD; got"),
        ("start", d.Op.EQ, 20240201, "value", "`eq` on field 'start' (date) needs a date YYYY-MM-DD; got 2"),
        ("name", d.Op.IN, "a", "value", "`in` on field 'name' needs a list, each item a string; got 'a'"),
        (
            "count",
            d.Op.NOT_IN,
            (1, "2"),
            "value",
            "`not_in` on field 'count' (int) needs an integer; got '2'",
        ),
        (
            "tags",
            d.Op.CONTAINS,
            ("a",),
            "value",
            "`contains` on field 'tags' (list[str]) needs a string; got",
        ),
        ("tags", d.Op.EQ, "a", "value", "`eq` on field 'tags' (list[str]) needs a list of strings; got 'a'"),
        (
            "level",
            d.Op.EQ,
            "basics",
            "value",
            "'basics' is not a choice of field 'level'; choices are: basic",
        ),
        ("level", d.Op.IN, ("basic", "expert"), "value", "'expert' is not a choice of field 'level'"),
        ("offer", d.Op.CONTAINS, "teach", "value", "'teach' is not a choice of field 'offer'; choices are"),
        ("offer", d.Op.EQ, ("internships", "labs"), "value", "'labs' is not a choice of field 'offer'"),
        ("offer", d.Op.IN, (("teaching",), ("labs",)), "value", "'labs' is not a choice of field 'offer'"),
    ],
)
def test_bad_condition(field: str, op: d.Op, value: Any, key: str, message: str) -> None:
    """A condition's operator and value must fit the field's type and choices."""
    finding = one(with_condition(field, op, value), "bad-condition")
    assert finding.path == f"$.transitions[0].conditions[0].{key}"
    assert finding.message.startswith(message)


def test_bad_condition_messages_in_full() -> None:
    """A value that is not a choice gets the choices and the closest one; a bad date shows the value."""
    choice = one(with_condition("level", d.Op.EQ, "basics"), "bad-condition")
    assert choice.message == (
        "'basics' is not a choice of field 'level'; choices are: basic, advanced (did you mean 'basic'?)"
    )
    date = one(with_condition("start", d.Op.GE, "2024-02-30"), "bad-condition")
    assert date.message == "`ge` on field 'start' (date) needs a date YYYY-MM-DD; got '2024-02-30'"
    operator = one(with_condition("name", d.Op.LT, "b"), "bad-condition")
    assert (
        operator.message == "`lt` compares int or date fields; field 'name' is str: use eq, ne, in or not_in"
    )


@pytest.mark.parametrize(
    ("field", "op", "value"),
    [
        ("name", d.Op.EQ, "a"),
        ("name", d.Op.NOT_IN, ("a", "b")),
        ("level", d.Op.IN, ["basic"]),
        ("count", d.Op.GE, 0),
        ("count", d.Op.IN, (1, 2)),
        ("abroad", d.Op.NE, False),
        ("start", d.Op.LT, "2024-02-29"),
        ("tags", d.Op.CONTAINS, "x"),
        ("tags", d.Op.EQ, ("a", "b")),
        ("offer", d.Op.CONTAINS, "teaching"),
        ("offer", d.Op.NOT_IN, (("teaching",), ())),
    ],
)
def test_fitting_conditions_are_accepted(field: str, op: d.Op, value: Any) -> None:
    """Conditions whose operator and value fit the field give no finding at all."""
    assert jw.check(with_condition(field, op, value)) == []


def test_signoff_without_target() -> None:
    """A sign-off moves to a state, so it needs `to`."""
    definition = with_transition(1, by=(), target=None, signoff=d.Signoff(("editor", "author")))
    finding = one(definition, "signoff-without-target")
    assert finding.path == "$.transitions[1].signoff"
    assert finding.message == (
        "Transition 'decide' has a `signoff` but no `to`; a sign-off moves to a state: add `to`"
    )


def test_by_with_signoff() -> None:
    """`by` beside a sign-off may only repeat the signers (the loader puts them there)."""
    # The decision is optional here: a sign-off cannot require an input (see signoff-with-input).
    decided = with_transition(1, inputs=(d.Input("decision", required=False),))
    assert (
        jw.check(
            with_transition(1, decided, by=("author", "editor"), signoff=d.Signoff(("editor", "author")))
        )
        == []
    )
    finding = one(
        with_transition(1, by=("author",), signoff=d.Signoff(("editor", "author"))), "by-with-signoff"
    )
    assert finding.path == "$.transitions[1].by"
    assert finding.message == (
        "Transition 'decide' has both `by` (author) and `signoff`; omit `by`: "
        "the signers (editor, author) are the roles that fire it"
    )


def test_no_actor() -> None:
    """A transition without `by` and without `signoff` could be fired by nobody."""
    finding = one(with_transition(0, by=()), "no-actor")
    assert finding.path == "$.transitions[0].by"
    assert finding.message == "Transition 'submit' has no `by` and no `signoff`; roles are: author, editor"


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        (with_transition(0, sources=()), "$.transitions[0].from", "Transition 'submit' has an empty `from`"),
        (
            with_transition(1, by=(), signoff=d.Signoff(())),
            "$.transitions[1].signoff.all_of",
            "Transition 'decide' has an empty `signoff.all_of`; list the roles that sign",
        ),
        (
            make(invariants=(d.Invariant("x", (), requires=("summary",)),)),
            "$.invariants[0].in",
            "Invariant 'x' has an empty `in`; list the states it holds in",
        ),
    ],
)
def test_empty_list(definition: d.Definition, path: str, message: str) -> None:
    """from, signoff.all_of and an invariant's in must name at least one entry."""
    finding = one(definition, "empty-list")
    assert finding.path == path
    assert finding.message.startswith(message)


# Analyses


def test_unknown_guard_only_against_a_registry() -> None:
    """Named guards are checked against the registry when one is given, and only then."""
    definition = with_transition(1, guards=("budget_approved", "budget_aproved"))
    assert found(definition, "unknown-guard") == []
    finding = one(definition, "unknown-guard", guards={"budget_approved": lambda context, actor: True})
    assert finding.path == "$.transitions[1].guards[1]"
    assert finding.message == (
        "Unknown guard 'budget_aproved' in `guards`; registered guards are: budget_approved "
        "(did you mean 'budget_approved'?)"
    )


def test_unknown_guard_with_an_empty_registry() -> None:
    """An empty registry makes every named guard unknown, and says there are none."""
    finding = one(with_transition(1, guards=("ok",)), "unknown-guard", guards=())
    assert finding.message == "Unknown guard 'ok' in `guards`; registered guards are: none"


def test_unreachable_state() -> None:
    """A state no path from the initial state leads to."""
    definition = adding(
        states=(d.State("archived", text("Archived")),),
        transitions=(move("archive", "archived", "published"),),
    )
    finding = one(definition, "unreachable-state")
    assert finding.path == "$.states.archived"
    assert finding.message == "State 'archived' cannot be reached from the initial state 'draft'"


def test_moves_out_of_final_states_do_not_reach_anything() -> None:
    """A state reachable only through a final state is unreachable: a final state accepts no trigger."""
    definition = adding(
        states=(d.State("archived", text("Archived"), final=True),),
        transitions=(move("archive", "published", "archived"),),
    )
    assert [f.code for f in jw.check(definition)] == ["unreachable-state", "transition-from-final"]


def test_trap_state() -> None:
    """A non-final state from which no final state can be reached."""
    definition = adding(
        states=(d.State("limbo", text("Limbo")),),
        transitions=(move("park", "review", "limbo"), move("poke", "limbo", None)),
    )
    finding = one(definition, "trap-state")
    assert finding.path == "$.states.limbo"
    assert (
        finding.message
        == "No final state can be reached from state 'limbo'; final states are: published, rejected"
    )


def test_transition_from_final() -> None:
    """A transition leaving a final state is an error at that source."""
    finding = one(with_transition(0, sources=("draft", "published")), "transition-from-final")
    assert finding.path == "$.transitions[0].from[1]"
    assert finding.message == (
        "Transition 'submit' leaves the final state 'published'; a final state accepts no trigger"
    )


def test_no_final_state() -> None:
    """Without a final state no instance can finish; trap states are not reported on top."""
    states = tuple(attrs.evolve(state, final=False) for state in make().states)
    assert [(f.code, f.path) for f in jw.check(make(states=states))] == [("no-final-state", "$.states")]
    assert one(make(states=states), "no-final-state").message == (
        "No final state: mark at least one state `final: true`"
    )


def test_nondeterministic() -> None:
    """Two transitions of one trigger, state and role without exclusive guards."""
    definition = with_transition(2, conditions=())
    finding = one(definition, "nondeterministic")
    assert finding.path == "$.transitions[2]"
    assert finding.message == (
        "Transitions $.transitions[1] and $.transitions[2] both fire 'decide' in state 'review' for role "
        "'editor', and their guards are not mutually exclusive; give both a condition on the same field "
        "with disjoint values"
    )


def test_signoff_with_a_required_input() -> None:
    """A sign-off of several roles that requires an input can never complete: each signature clears the others."""
    signed = with_transition(
        0, by=("author", "editor"), signoff=d.Signoff(("author", "editor")), inputs=(d.Input("summary"),)
    )
    finding = one(signed, "signoff-with-input")
    assert finding.path == "$.transitions[0].input"
    assert finding.message.startswith(
        "Sign-off 'submit' requires input(s) summary: every signature would change"
    )
    optional = with_transition(
        0,
        by=("author", "editor"),
        signoff=d.Signoff(("author", "editor")),
        inputs=(d.Input("summary", False),),
    )
    assert not [f for f in jw.check(optional) if f.code == "signoff-with-input"]


def test_nondeterministic_lists_the_shared_states_and_roles() -> None:
    """Only the states and roles the two transitions share are named."""
    base = adding(roles=(d.Role("chair", text("Chair")),), transitions=(move("decide", "draft", "rejected"),))
    definition = with_transition(
        2, base, conditions=(), sources=("draft", "review"), by=("editor", "chair", "author")
    )
    definition = with_transition(1, definition, by=("author", "editor"))
    messages = [f.message for f in found(definition, "nondeterministic")]
    assert messages == [
        "Transitions $.transitions[1] and $.transitions[2] both fire 'decide' in state 'review' for roles "
        "'editor', 'author', and their guards are not mutually exclusive; give both a condition on the "
        "same field with disjoint values",
        "Transitions $.transitions[2] and $.transitions[3] both fire 'decide' in state 'draft' for role "
        "'editor', and their guards are not mutually exclusive; give both a condition on the same field "
        "with disjoint values",
    ]


@pytest.mark.parametrize(
    ("first", "second", "exclusive"),
    [
        (("decision", d.Op.EQ, "accept"), ("decision", d.Op.EQ, "reject"), True),
        (("decision", d.Op.EQ, "accept"), ("decision", d.Op.NE, "accept"), True),
        (("decision", d.Op.IN, ("accept",)), ("decision", d.Op.NOT_IN, ("accept",)), True),
        (("decision", d.Op.EQ, "accept"), ("decision", d.Op.IN, ("accept", "reject")), False),
        (("summary", d.Op.NE, "a"), ("summary", d.Op.NE, "b"), False),
        (("pages", d.Op.LT, 10), ("pages", d.Op.GE, 10), True),
        (("pages", d.Op.LE, 10), ("pages", d.Op.GE, 10), False),
        (("pages", d.Op.GT, 3), ("pages", d.Op.LT, 4), True),
        (("pages", d.Op.IN, (1, 2)), ("pages", d.Op.GT, 2), True),
    ],
)
def test_nondeterminism_needs_provably_exclusive_guards(
    first: tuple[str, d.Op, Any], second: tuple[str, d.Op, Any], exclusive: bool
) -> None:
    """Exclusive conditions on one field make a shared trigger deterministic; anything unproven is reported."""
    both = (d.Input("decision"), d.Input("pages"), d.Input("summary"))
    definition = with_transition(1, inputs=both, conditions=(d.Condition(*first),))
    definition = with_transition(2, definition, inputs=both, conditions=(d.Condition(*second),))
    assert (found(definition, "nondeterministic") == []) is exclusive


def test_conditions_on_a_field_taken_by_only_one_side_prove_nothing() -> None:
    """One transition judges the payload's value, the other the context's: they may differ."""
    definition = with_transition(2, inputs=())
    assert [f.path for f in found(definition, "nondeterministic")] == ["$.transitions[2]"]


def test_different_roles_or_states_are_not_nondeterministic() -> None:
    """One trigger, two transitions, but no shared role: the actor's role picks one."""
    definition = with_transition(2, conditions=(), by=("author",))
    assert found(definition, "nondeterministic") == []


def test_guard_never_passes() -> None:
    """A required field no path sets before the transition, and not one of its inputs."""
    definition = with_transition(0, requires=("decision",))
    finding = one(definition, "guard-never-passes")
    assert finding.path == "$.transitions[0].requires[0]"
    assert finding.message == (
        "Transition 'submit' needs field 'decision' in state 'draft', but no path there sets it and the "
        "transition does not take it as input: the guard can never pass (transitions that take 'decision' "
        "as input: decide)"
    )


def test_guard_never_passes_on_a_condition_field() -> None:
    """A condition on a field that is never set is false forever."""
    definition = with_transition(1, inputs=())
    definition = with_transition(2, definition, inputs=())
    findings = found(definition, "guard-never-passes")
    assert [f.path for f in findings] == [
        "$.transitions[1].conditions[0].field",
        "$.transitions[2].conditions[0].field",
    ]
    assert findings[0].message.endswith("(transitions that take 'decision' as input: none)")


def test_a_transitions_own_input_satisfies_its_guard() -> None:
    """Guards are judged with the payload applied: an input counts for the transition's own requires."""
    assert jw.check(with_transition(0, requires=("summary",))) == []


def test_fields_set_on_some_path_satisfy_a_guard() -> None:
    """May-analysis: a field set on one of two alternative paths is enough (the guard may pass)."""
    definition = adding(
        states=(d.State("ready", text("Ready")),),
        transitions=(
            move("polish", "draft", "ready", by="author", inputs=(d.Input("summary"), d.Input("decision"))),
            move("send", "ready", "review", by="author"),
            move("count", "review", "published", requires=("decision",)),
        ),
    )
    assert found(definition, "guard-never-passes") == []
    without = with_transition(3, definition, inputs=(d.Input("summary"),))
    assert [f.path for f in found(without, "guard-never-passes")] == ["$.transitions[5].requires[0]"]


def test_fields_set_later_around_a_loop_satisfy_a_guard() -> None:
    """May-analysis follows loops: a field set after a state, then back into it, may be set there."""
    definition = adding(
        transitions=(
            move("revise", "review", "draft", inputs=(d.Input("decision"),)),
            move("fast_track", "draft", "rejected", by="author", requires=("decision",)),
        ),
    )
    assert found(definition, "guard-never-passes") == []
    without = with_transition(3, definition, inputs=())
    assert [f.path for f in found(without, "guard-never-passes")] == ["$.transitions[4].requires[0]"]


def test_fields_set_only_behind_a_dead_guard_are_never_set() -> None:
    """A move whose guard can never pass sets nothing: a later guard reading its input is reported too."""
    notes = d.Field("notes", d.FieldType.STR, text("Notes"))
    definition = adding(
        context=(notes,),
        transitions=(
            move(
                "polish", "draft", "review", by="author", requires=("decision",), inputs=(d.Input("notes"),)
            ),
            move("count", "review", "rejected", requires=("notes",)),
        ),
    )
    assert [f.path for f in found(definition, "guard-never-passes")] == [
        "$.transitions[3].requires[0]",
        "$.transitions[4].requires[0]",
    ]


def test_invariant_may_break_for_a_missing_field() -> None:
    """A transition into an invariant's state where a required field may be unset."""
    definition = make(
        invariants=(d.Invariant("published_has_pages", ("published",), requires=("pages", "summary")),)
    )
    finding = one(definition, "invariant-may-break")
    assert finding.path == "$.transitions[1]"
    assert finding.message == (
        "Transition 'decide' may reach state 'published' without field 'pages' set, breaking invariant "
        "'published_has_pages'; add it to the transition's `requires` or required inputs"
    )


def test_must_analysis_needs_the_field_on_every_path() -> None:
    """A field set on only one of two alternative paths may be missing."""
    definition = adding(
        transitions=(move("shortcut", "draft", "review", by="author", inputs=(d.Input("pages"),)),),
    )
    assert [f.path for f in found(definition, "invariant-may-break")] == ["$.transitions[1]"]


def test_must_analysis_through_loops_keeps_what_every_round_sets() -> None:
    """A loop that sets nothing new keeps what the way in set; the transition's own requires count too."""
    definition = adding(
        transitions=(
            move("comment", "review", None, inputs=(d.Input("pages", required=False),)),
            move("revise", "review", "draft"),
        ),
    )
    assert found(definition, "invariant-may-break") == []
    looser = with_transition(0, definition, inputs=(d.Input("summary", required=False),))
    assert [f.path for f in found(looser, "invariant-may-break")] == ["$.transitions[1]"]
    fixed = with_transition(1, looser, requires=("summary",))
    assert found(fixed, "invariant-may-break") == []


def test_invariants_hold_in_their_states() -> None:
    """The engine enforces invariants, so a field an invariant of the source needs is set on leaving it."""
    definition = make(
        invariants=(
            d.Invariant("reviewed_has_pages", ("review",), requires=("pages",)),
            d.Invariant("published_has_pages", ("published",), requires=("pages",)),
        ),
    )
    assert [f.path for f in found(definition, "invariant-may-break")] == ["$.transitions[0]"]


def test_invariant_may_break_for_a_condition() -> None:
    """A transition into the state must keep the invariant's condition: by implying it, or by not changing it."""
    invariant = d.Invariant(
        "accepted", ("published",), conditions=(d.Condition("decision", d.Op.EQ, "accept"),)
    )
    assert found(make(invariants=(invariant,)), "invariant-may-break") == []
    definition = with_transition(
        1, make(invariants=(invariant,)), conditions=(d.Condition("pages", d.Op.GE, 1),)
    )
    definition = with_transition(2, definition, conditions=(d.Condition("pages", d.Op.LT, 1),))
    finding = one(definition, "invariant-may-break")
    assert finding.path == "$.transitions[1]"
    assert finding.message == (
        "Transition 'decide' may reach state 'published' with a value of 'decision' for which "
        "`decision eq 'accept'` fails, breaking invariant 'accepted'; give the transition a condition that "
        "implies it"
    )


def test_an_implying_condition_keeps_an_invariant() -> None:
    """A transition whose condition (pages ge 5) implies the invariant's (pages ge 1) keeps it."""
    invariant = d.Invariant("long", ("published",), conditions=(d.Condition("pages", d.Op.GE, 1),))
    definition = with_transition(
        1,
        make(invariants=(invariant,)),
        inputs=(d.Input("decision"), d.Input("pages")),
        conditions=(d.Condition("decision", d.Op.EQ, "accept"), d.Condition("pages", d.Op.GE, 5)),
    )
    assert found(definition, "invariant-may-break") == []


def test_a_stay_that_changes_the_field_may_break_the_condition() -> None:
    """Staying in the invariant's state keeps its condition unless the stay takes the field as input."""
    invariant = d.Invariant("paged", ("review",), conditions=(d.Condition("pages", d.Op.GE, 1),))
    definition = with_transition(
        0,
        make(invariants=(invariant,)),
        inputs=(d.Input("summary"), d.Input("pages")),
        conditions=(d.Condition("pages", d.Op.GE, 1),),
    )
    comment = move("comment", "review", None, by="author", inputs=(d.Input("summary"),))
    assert jw.check(adding(definition, transitions=(comment,))) == []
    repaginate = move("repaginate", "review", None, by="author", inputs=(d.Input("pages"),))
    finding = one(adding(definition, transitions=(comment, repaginate)), "invariant-may-break")
    assert finding.path == "$.transitions[4]"
    assert finding.message.startswith(
        "Transition 'repaginate' may reach state 'review' with a value of 'pages'"
    )


def test_invariant_at_start() -> None:
    """An invariant needing a field in the initial state is broken as soon as an instance starts."""
    definition = make(invariants=(d.Invariant("has_summary", ("review", "draft"), requires=("summary",)),))
    finding = one(definition, "invariant-at-start")
    assert finding.path == "$.invariants[0].in[1]"
    assert finding.message == (
        "Invariant 'has_summary' holds in the initial state 'draft', where an instance starts with no field "
        "set: it is broken from the start"
    )


def test_unused_role() -> None:
    """A role no by, signoff or start_by names is a warning."""
    definition = make(roles=(*make().roles, d.Role("chair", text("Chair"))))
    finding = one(definition, "unused-role")
    assert (finding.severity, finding.path) == (jw.Severity.WARNING, "$.roles.chair")
    assert finding.message == "Role 'chair' is never used: no `by`, `signoff` or `start_by` names it"
    assert jw.check(attrs.evolve(definition, start_by=("chair", "author"))) == []


def test_unused_field() -> None:
    """A field no transition takes as input is never set: a warning."""
    definition = make(context=(*make().context, d.Field("notes", d.FieldType.STR, text("Notes"))))
    finding = one(definition, "unused-field")
    assert (finding.severity, finding.path) == (jw.Severity.WARNING, "$.context.notes")
    assert finding.message == "Field 'notes' is never set: no transition takes it as `input`"


def test_missing_translation() -> None:
    """Each title or description lacking a language gives one warning listing the missing ones."""
    definition = make(title=d.Text("Review", sk="Recenzia"), description=d.Text("About"))
    definition = with_transition(0, definition, description=d.Text("Send", es="Enviar", it="Inviare"))
    assert [(f.path, f.message) for f in found(definition, "missing-translation")] == [
        ("$.title", "Title of the protocol has no translation in es, it, sl"),
        ("$.description", "Description of the protocol has no translation in sk, es, it, sl"),
        ("$.transitions[0].description", "Description of transition 'submit' has no translation in sk, sl"),
    ]


def test_missing_translation_of_fields_roles_states_and_invariants() -> None:
    """Every title and description is checked, wherever it is."""
    definition = make(
        roles=(d.Role("author", d.Text("Author")), make().roles[1]),
        context=(
            d.Field("summary", d.FieldType.STR, description=d.Text("What it says")),
            *make().context[1:],
        ),
        states=(d.State("draft", d.Text("Draft")), *make().states[1:]),
        invariants=(attrs.evolve(make().invariants[0], description=d.Text("Needs a summary")),),
    )
    assert [f.path for f in found(definition, "missing-translation")] == [
        "$.roles.author.title",
        "$.context.summary.description",
        "$.states.draft.title",
        "$.invariants[0].description",
    ]


def test_missing_title() -> None:
    """States, roles and transitions without a title are warnings; fields and invariants may go untitled."""
    definition = make(
        roles=(d.Role("author"), make().roles[1]),
        states=(d.State("draft"), *make().states[1:]),
        context=(d.Field("summary", d.FieldType.STR), *make().context[1:]),
    )
    definition = with_transition(2, definition, title=None)
    assert [(f.path, f.message) for f in found(definition, "missing-title")] == [
        ("$.roles.author", "Role 'author' has no title; give one in en, sk, es, it, sl"),
        ("$.states.draft", "State 'draft' has no title; give one in en, sk, es, it, sl"),
        ("$.transitions[2]", "Transition 'decide' has no title; give one in en, sk, es, it, sl"),
    ]


def test_warnings_are_warnings_and_errors_are_errors() -> None:
    """Severity by code: the text and unused findings warn, the rest are errors."""
    definition = with_transition(2, make(roles=(*make().roles, d.Role("chair"))), conditions=())
    severities = {f.code: f.severity for f in jw.check(definition)}
    assert severities == {
        "unused-role": jw.Severity.WARNING,
        "missing-title": jw.Severity.WARNING,
        "nondeterministic": jw.Severity.ERROR,
    }


def test_a_built_in_party_trigger_cannot_be_declared() -> None:
    """A transition named invite, remove_party or replace_party is an error: every protocol has them built in."""
    definition = make(transitions=(*make().transitions, move("invite", "review", None)))
    finding = one(definition, "reserved-trigger")
    assert finding.path == "$.transitions[3].trigger"
    assert finding.message.startswith(
        "Trigger 'invite' is built in (every protocol has 'invite', 'remove_party'"
    )


def test_party_rules_that_cannot_hold_are_errors() -> None:
    """Inviting into an open role, every_party beyond all_of or on an open role, a joining sign-off: errors."""
    open_invited = make(
        roles=(
            d.Role("author", text("Author")),
            d.Role("editor", text("Editor"), open=True, invited_by=("author",)),
        )
    )
    assert one(open_invited, "bad-party-rule").path == "$.roles.editor.invited_by"
    signoff = d.Signoff(("author",), every_party=("editor",))
    beyond = make(
        transitions=(
            *make().transitions,
            move("approve", "review", "published", by="author", signoff=signoff),
        )
    )
    assert "is in `every_party` but not in `all_of`" in one(beyond, "bad-party-rule").message
    on_open = d.Signoff(("author", "editor"), every_party=("editor",))
    counted = make(transitions=(*make().transitions, move("approve", "review", "published", signoff=on_open)))
    assert "is open: it has no bound parties" in one(counted, "bad-party-rule").message
    joining = make(
        transitions=(*make().transitions, move("approve", "review", "published", signoff=on_open, joins=True))
    )
    assert any("cannot `joins`" in f.message for f in found(joining, "bad-party-rule"))


def test_a_closed_role_nobody_binds_is_a_warning() -> None:
    """A closed role that does not start, is invited by nobody and joins nowhere never acts: a warning."""
    closed = make(
        roles=(d.Role("author", text("Author")), d.Role("editor", text("Editor"))), start_by=("author",)
    )
    finding = one(closed, "unbindable-role")
    assert (finding.severity, finding.path) == (jw.Severity.WARNING, "$.roles.editor")
    invited = make(
        roles=(d.Role("author", text("Author")), d.Role("editor", text("Editor"), invited_by=("author",))),
        start_by=("author",),
    )
    assert found(invited, "unbindable-role") == []


def test_copies_of_one_transition_give_one_finding_with_a_count() -> None:
    """3,000 copies of one move (one trigger, state and role) are one finding that counts the others."""
    copies = (with_transition(2, conditions=()).transitions[2],) * 3_000
    definition = attrs.evolve(make(), transitions=make().transitions[:2] + copies)
    (finding,) = found(definition, "nondeterministic")
    assert finding.path == "$.transitions[2]"
    assert finding.message.startswith("Transitions $.transitions[1] and $.transitions[2] both fire 'decide'")
    assert finding.message.endswith("with disjoint values (2,999 more like it)")


def test_thousands_of_exclusive_variants_are_deterministic() -> None:
    """Variants told apart by `eq` on one field, thousands of them, are proven exclusive (without comparing all pairs)."""
    fields = (*make().context, d.Field("variant", d.FieldType.INT))
    base = with_transition(2, make(context=fields))
    variants = tuple(
        attrs.evolve(base.transitions[2], conditions=(d.Condition("variant", d.Op.EQ, number),))
        for number in range(3_000)
    )
    definition = attrs.evolve(base, transitions=base.transitions[:1] + variants)
    assert found(definition, "nondeterministic") == []
    overlapping = attrs.evolve(definition, transitions=(*definition.transitions, variants[1234]))
    (finding,) = found(overlapping, "nondeterministic")
    assert finding.message.startswith("Transitions $.transitions[1235] and $.transitions[3001] both fire")


_CONDITIONS = st.sampled_from(
    [
        d.Condition("decision", d.Op.EQ, "accept"),
        d.Condition("decision", d.Op.EQ, "reject"),
        d.Condition("decision", d.Op.NE, "accept"),
        d.Condition("decision", d.Op.IN, ("accept", "reject")),
        d.Condition("decision", d.Op.NOT_IN, ("reject",)),
        d.Condition("pages", d.Op.EQ, 3),
        d.Condition("pages", d.Op.IN, (3, 4)),
        d.Condition("pages", d.Op.GE, 4),
        d.Condition("pages", d.Op.LT, 4),
    ]
)


@st.composite
def _variants(draw: st.DrawFn) -> d.Definition:
    """The fixture's protocol with many `decide` transitions from `review`, by random roles and conditions."""
    base = make()
    template = base.transitions[2]
    count = draw(st.integers(2, 12))
    variants = tuple(
        attrs.evolve(
            template,
            sources=tuple(draw(st.sets(st.sampled_from(["draft", "review"]), min_size=1))),
            by=tuple(draw(st.sets(st.sampled_from(["author", "editor"]), min_size=1))),
            inputs=tuple(d.Input(name) for name in draw(st.sets(st.sampled_from(["decision", "pages"])))),
            conditions=tuple(draw(st.lists(_CONDITIONS, max_size=3, unique=True))),
        )
        for _ in range(count)
    )
    return attrs.evolve(base, transitions=base.transitions[:2] + variants)


@given(_variants())
def test_grouped_nondeterminism_agrees_with_comparing_every_pair(definition: d.Definition) -> None:
    """Per trigger and state: the first overlapping pair, and as many more as later transitions overlapping an
    earlier one, exactly as comparing every pair finds them."""
    transitions = definition.transitions
    finals = set(definition.final_states())
    expected: dict[tuple[int, int, int], list[str]] = {}
    for state in (s.name for s in definition.states if s.name not in finals):
        for trigger in dict.fromkeys(t.trigger for t in transitions):
            indices = [i for i, t in enumerate(transitions) if t.trigger == trigger and state in t.sources]
            pairs = [
                (earlier, later)
                for position, later in enumerate(indices)
                for earlier in indices[:position]
                if set(transitions[earlier].firing_roles) & set(transitions[later].firing_roles)
                and not guards_exclusive(definition, transitions[earlier], transitions[later])
            ]
            firsts = {later: earlier for earlier, later in reversed(pairs)}  # each later's first overlap
            if firsts:
                later = min(firsts)
                expected.setdefault((firsts[later], later, len(firsts) - 1), []).append(state)
    got = []
    for finding in found(definition, "nondeterministic"):
        earlier, later = map(int, re.findall(r"\$\.transitions\[(\d+)\]", finding.message)[:2])
        more = re.search(r"\(([\d,]+) more like it\)$", finding.message)
        got.append((earlier, later, int(more[1].replace(",", "")) if more else 0))
    assert sorted(got) == sorted(expected)


def test_every_choice_needs_a_title_in_every_language() -> None:
    """A choice without a title, or with one missing a language, is a located missing-translation warning."""
    base = make()
    decision = base.field_map["decision"]
    untitled = attrs.evolve(decision, choice_titles={"accept": d.Text("Accept", sk="Prijať")})
    context = tuple(untitled if field.name == "decision" else field for field in base.context)
    findings = [(f.code, f.path, f.message) for f in jw.check(attrs.evolve(base, context=context))]
    assert findings == [
        (
            jw.FindingCode.MISSING_TRANSLATION,
            "$.context.decision.choices.accept",
            "Title of choice 'accept' of field 'decision' has no translation in es, it, sl",
        ),
        (
            jw.FindingCode.MISSING_TRANSLATION,
            "$.context.decision.choices.reject",
            "The choice 'reject' of field 'decision' has no title; give one in en, sk, es, it, sl",
        ),
    ]
