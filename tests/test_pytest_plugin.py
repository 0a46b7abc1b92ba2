"""The pytest plugin: definition files become load, check, model_check and property items, configured in one line."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

TINY = """\
protocol: tiny
version: 1
title: Tiny
roles: {clerk: {}}
initial: open
states:
  open: {}
  closed: {final: true}
transitions:
  - trigger: close
    from: open
    to: closed
    by: clerk
"""

# The only way out of `open` needs urgent=true: a run that said false is trapped, which only running it shows.
TRAPPED = """\
protocol: trapped
version: 1
title: Trapped
roles: {clerk: {}}
context: {urgent: {type: bool}}
initial: draft
states:
  draft: {}
  open: {}
  closed: {final: true}
transitions:
  - trigger: open_case
    from: draft
    to: open
    by: clerk
    input: {urgent: required}
  - trigger: close
    from: open
    to: closed
    by: clerk
    conditions: [{field: urgent, op: eq, value: true}]
"""

GUARDED = TINY.replace("protocol: tiny", "protocol: guarded").replace(
    "by: clerk", "by: clerk\n    guards: [office_open]"
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a `defs` folder holding the tiny definition, and one ordinary test."""
    (pytester.path / "defs").mkdir()
    (pytester.path / "defs" / "tiny.yaml").write_text(TINY, encoding="utf-8")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    return pytester


def add(pytester: pytest.Pytester, name: str, text: str) -> None:
    """Another file in `defs`."""
    (pytester.path / "defs" / name).write_text(text, encoding="utf-8")


def test_each_definition_file_becomes_four_items(project: pytest.Pytester) -> None:
    """load, check, model_check and property, in that order."""
    result = project.runpytest("--workflow-definitions", "defs", "--collect-only", "-q", "defs")
    result.stdout.fnmatch_lines(
        [
            "defs/tiny.yaml::load",
            "defs/tiny.yaml::check",
            "defs/tiny.yaml::model_check",
            "defs/tiny.yaml::property",
        ]
    )


def test_a_sound_definition_passes_and_its_model_check_is_summarized(project: pytest.Pytester) -> None:
    """Four passes, and a closing section with the size and time of each model check."""
    result = project.runpytest("--workflow-definitions", "defs", "defs")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*model checks of protocol definitions*", "tiny v1: 2 abstract states, *: ok"]
    )


def test_one_line_of_ini_tests_the_definitions_in_a_plain_run(project: pytest.Pytester) -> None:
    """`workflow_definitions = defs`: a run without paths collects the tests and the definitions."""
    project.makeini("[pytest]\nworkflow_definitions = defs\n")
    project.runpytest().assert_outcomes(passed=5)


def test_a_run_that_names_its_paths_leaves_the_ini_folders_out(project: pytest.Pytester) -> None:
    """Running one test file does not run the definitions too."""
    project.makeini("[pytest]\nworkflow_definitions = defs\n")
    project.runpytest("test_plain.py").assert_outcomes(passed=1)


def test_naming_a_definition_file_runs_its_items(project: pytest.Pytester) -> None:
    """A definition file inside the configured folders can be run on its own."""
    project.makeini("[pytest]\nworkflow_definitions = defs\n")
    project.runpytest("defs/tiny.yaml").assert_outcomes(passed=4)


def test_the_command_line_option_always_adds_its_folder(project: pytest.Pytester) -> None:
    """--workflow-definitions joins the paths named on the command line."""
    project.runpytest("--workflow-definitions", "defs", "test_plain.py").assert_outcomes(passed=5)


def test_failures_show_the_findings_and_the_trace_not_a_traceback(project: pytest.Pytester) -> None:
    """The model check and the property test fail with numbered runs and no Python traceback."""
    add(project, "trapped.yaml", TRAPPED)
    result = project.runpytest("--workflow-definitions", "defs", "defs/trapped.yaml")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*trapped::model_check*",
            "ERROR trap-state $.states.open: A run can reach 'open' and then never reach a final state*",
            '    1. anna (clerk) open_case {"urgent": false} : draft -> open',
            "*trapped::property*",
            "Stuck in 'open': it is not final, and no transition of the protocol can fire there",
            '  1. anna (clerk) open_case {"urgent": false} : draft -> open',
        ]
    )
    assert "Traceback" not in result.stdout.str() and "stateful.py" not in result.stdout.str()


def test_a_file_that_does_not_load_fails_load_and_skips_the_rest(project: pytest.Pytester) -> None:
    """The load item shows the located problem; the other items are skipped, not failed again."""
    add(
        project,
        "broken.yaml",
        TINY.replace("to: closed", "to: shut").replace("protocol: tiny", "protocol: broken"),
    )
    result = project.runpytest("--workflow-definitions", "defs", "defs/broken.yaml", "-rs")
    result.assert_outcomes(failed=1, skipped=3)
    output = result.stdout.str()
    assert "broken.yaml:12:9: $.transitions[0].to: Unknown state 'shut' in `to`" in output
    assert "the definition does not load (see its `load` item)" in output


def test_named_guards_come_from_the_guards_option(project: pytest.Pytester) -> None:
    """--workflow-guards MODULE:NAME gives the guards; without it the property item says how to give them."""
    add(project, "guarded.yaml", GUARDED)
    project.makepyfile(office="GUARDS = {'office_open': lambda context, actor: True}\n")
    project.syspathinsert()
    with_guards = project.runpytest(
        "--workflow-definitions", "defs", "--workflow-guards", "office:GUARDS", "defs/guarded.yaml"
    )
    with_guards.assert_outcomes(passed=4)
    without = project.runpytest("--workflow-definitions", "defs", "defs/guarded.yaml")
    without.assert_outcomes(passed=3, failed=1)
    without.stdout.fnmatch_lines(
        ["*'office_open' is not registered*", "Give the guards with --workflow-guards MODULE:NAME"]
    )


def test_a_guards_option_that_is_not_module_colon_name_is_a_usage_error(project: pytest.Pytester) -> None:
    """The option names a mapping as MODULE:NAME."""
    add(project, "guarded.yaml", GUARDED)
    result = project.runpytest(
        "--workflow-definitions", "defs", "--workflow-guards", "office", "defs/guarded.yaml"
    )
    result.stdout.fnmatch_lines(["*--workflow-guards expects MODULE:NAME, got 'office'*"])


def test_a_run_without_definition_files_imports_neither_the_library_nor_the_test_kit(
    pytester: pytest.Pytester,
) -> None:
    """Every pytest run loads the plugin: until it collects a definition file, it imports nothing heavy."""
    pytester.makepyfile(
        test_plain="""
import sys

def test_the_plugin_is_loaded_and_nothing_heavy():
    assert "just_workflow.pytest_plugin" in sys.modules
    heavy = ("hypothesis", "yaml", "cattrs", "just_workflow.testing", "just_workflow.formats.loading",
             "just_workflow.checks.validation", "just_workflow.checks.modelcheck", "just_workflow.engine")
    assert [name for name in heavy if name in sys.modules] == []
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
