"""The bundled templates' demo scripts: one conversation per sample task, and a typed task
the scripts do not know is visibly used (the Demo model never replays another task's
conversation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.engine import RunControl, StopReason, events
from studio.engine.models._demo_words import TaskWords
from studio.spec import bundled_template_names, load_bundled_template
from studio.spec.build import build_team

NAMES = bundled_template_names()
# The templates whose scripts follow the format already; the others (the paper's
# applications, the safeguarded code team) are being written by their authors and join as
# soon as they carry a script for any task.
DONE = {"brainstorm", "code_assistant", "code_review", "debate_judge", "human_in_the_loop",
        "planning_group", "research_write_review", "roleplay_group", "teacher_student",
        "tool_helper", "writer_with_critic"}
READY = [n for n in NAMES if n in DONE or any(
    s.task is None for s in load_bundled_template(n).demo_scripts)]
TYPED = "Plan a one-day workshop for teachers"


def run(name: str, task: str, tmp_path: Path):
    spec = load_bundled_template(name)
    seen: list[events.Event] = []
    result = build_team(spec, work_dir=tmp_path).run(task, RunControl(on_event=seen.append))
    return spec, result, seen


def said(seen) -> list[str]:
    """Every message of the run, nested chats included."""
    return [e.message.content or "" for e in seen if isinstance(e, events.MessageSent)]


def opening_turn(script) -> str:
    return next(t.content for t in script.turns if t.content).strip()


def clean(result, seen) -> None:
    assert result.error is None
    assert result.stop_reason in (StopReason.TERMINATION, StopReason.MAX_TURNS)
    assert not [e for e in seen if isinstance(e, events.Error)]
    assert all(e.exit_code == 0 for e in seen if isinstance(e, events.CodeExecuted))
    assert not any((m.content or "").startswith("Error:") for m in result.messages
                   if m.role == "tool")


@pytest.mark.parametrize("name", READY)
def test_every_sample_task_has_its_own_script_and_there_is_one_for_any_task(name):
    spec = load_bundled_template(name)
    scripted = [s.task for s in spec.demo_scripts if s.task is not None]
    assert scripted == spec.sample_tasks
    assert sum(1 for s in spec.demo_scripts if s.task is None) == 1


@pytest.mark.parametrize(("name", "index"), [
    (name, i) for name in READY for i in range(len(load_bundled_template(name).sample_tasks))])
def test_each_sample_task_plays_its_own_conversation(name, index, tmp_path):
    spec = load_bundled_template(name)
    task = spec.sample_tasks[index]
    _, result, seen = run(name, task, tmp_path)
    clean(result, seen)
    texts = said(seen)
    mine = spec.demo_scripts[index]
    assert mine.task == task
    assert any(opening_turn(mine) in text for text in texts), texts
    for other in spec.demo_scripts:
        if other is not mine and other.task is not None:
            assert not any(opening_turn(other) in text for text in texts), (
                f"replayed the script of {other.task!r}")


@pytest.mark.parametrize("name", READY)
def test_a_typed_task_is_visibly_used(name, tmp_path):
    spec, result, seen = run(name, TYPED, tmp_path)
    clean(result, seen)
    replies = [text for e, text in zip([e for e in seen if isinstance(e, events.MessageSent)],
                                       said(seen), strict=True)
               if e.sender in {a.name for a in spec.agents if a.kind.value != "user_proxy"}]
    words = TaskWords.of(TYPED)
    assert any(TYPED in r or words.topic in r or words.request in r for r in replies), replies
    for script in spec.demo_scripts:
        if script.task is not None:
            assert not any(opening_turn(script) in r for r in replies), (
                f"replayed the script of {script.task!r}")


@pytest.mark.parametrize(("task", "sentences"), [
    ("Get more teenagers to visit the Millbrook village library on Friday evenings",
     ["Ask the people who care most about the Millbrook village library for their three "
      "wishes", "a launch day for the Millbrook village library with food and music"]),
    ("How can our class keep the classroom tidy?", ["How might we keep the classroom tidy?"]),
])
def test_a_typed_task_reads_as_a_sentence_in_a_scripts_slots(task, sentences, tmp_path):
    _, result, seen = run("brainstorm", task, tmp_path)
    clean(result, seen)
    texts = " ".join(" ".join(text.split()) for text in said(seen))
    for sentence in sentences:
        assert sentence in texts
