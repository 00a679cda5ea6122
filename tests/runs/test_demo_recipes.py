"""The code assistant on the Demo model, as a person typing a task or a follow-up in the
Playground uses it (through the real engine, runs layer and sandbox): a small program the
Demo model knows is written with the person's figures and run, and the answer is the
program's own output; anything else still gets the honest stand-in."""

from __future__ import annotations

from studio.runs import continue_run
from studio.spec import load_bundled_template
from studio.store import Actor

from .test_demo_lineage import ended, finished
from .test_lineage import said

LOCAL = Actor.local()


def test_a_typed_task_it_knows_is_computed_by_the_code_it_writes(make_manager):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    messages = said(manager, finished(manager, spec, "What is 12 factorial?"))
    speakers = [who for who, _ in messages]
    assert speakers == ["user", "assistant", "user", "assistant"], messages
    code, output, answer = messages[1][1], messages[2][1], messages[3][1]
    assert "not an AI" in code and "12 factorial" in code and "```python" in code
    assert "stand-in" not in code and "cannot write new code" not in code
    assert output.startswith("exitcode: 0") and "12! = 479,001,600" in output
    assert "479,001,600" in answer and answer.rstrip().endswith("TERMINATE")


def test_a_typed_task_it_does_not_know_still_gets_the_honest_stand_in(make_manager):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    messages = said(manager, finished(manager, spec, "Tidy up my holiday photos by date."))
    assert "cannot write new code" in messages[1][1]


def test_a_follow_up_that_changes_a_figure_or_asks_another_program_is_computed(
        make_manager):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    first = finished(manager, spec, spec.default_task)  # the primes below 100
    before = said(manager, first)
    for words, printed in (("What about below 1000?", "count: 168, sum: 76,127"),
                           ("Now print the first 20 Fibonacci numbers instead.",
                            "0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, "
                            "987, 1597, 2584, 4181")):
        after = ended(manager, continue_run(manager, LOCAL, first, words, human="never"))
        new = after[len(before):]
        assert new[0] == ("user", words)
        outputs = [text for who, text in new if text.startswith("exitcode: 0")]
        assert len(outputs) == 1 and printed in outputs[0], new
        assert printed.split(", ")[-1] in new[-1][1], new[-1]  # the answer reads it out


def test_a_new_figure_alone_goes_with_the_tasks_program_and_nothing_else_repeats_it(
        make_manager):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    first = finished(manager, spec, "What is 12 factorial?")
    before = said(manager, first)
    for words, printed in (("What about 15?", "15! = 1,307,674,368,000"),
                           ("And for my cat?", None)):
        new = ended(manager, continue_run(manager, LOCAL, first, words,
                                          human="never"))[len(before):]
        # never 12! again as if it answered the follow-up
        assert not any("479,001,600" in text for _, text in new), new
        if printed:
            assert any(printed in text for _, text in new if text.startswith("exitcode: 0"))
        else:  # no figure to go on: the labelled stand-in
            assert new[1][1].startswith("A stand-in script"), new
