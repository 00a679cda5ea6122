"""The Builder's starting shapes on the Demo model, built from their template documents:
with a sample task or a typed one, every team talks sense (no quote inside a quote, no
agent repeating itself, the task's own words in every reply) and ends cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.app._builder_shapes import SHAPES
from studio.engine import RunControl, StopReason, events
from studio.spec import Registry, TemplateSpec, load_template
from studio.spec.build import build_team
from tests.engine.test_demo_voice import assert_reads_well

TYPED = "Get more teenagers to visit the Millbrook village library on Friday evenings"
CASES = [(key, task) for key, shape in SHAPES.items()
         for task in [*shape.doc["sample_tasks"], TYPED]]


def run(key: str, task: str, tmp_path: Path) -> tuple[TemplateSpec, list[events.MessageSent], object]:
    spec = TemplateSpec.model_validate(SHAPES[key].doc)
    seen: list[events.Event] = []
    team = build_team(load_template(spec, registry=Registry.bundled()), work_dir=tmp_path)
    result = team.run(task, RunControl(on_event=seen.append))
    return spec, [e for e in seen if isinstance(e, events.MessageSent)], result


@pytest.mark.parametrize(("key", "task"), CASES)
def test_each_shape_talks_sense_about_the_task(key: str, task: str, tmp_path: Path) -> None:
    spec, sent, result = run(key, task, tmp_path)
    assert result.error is None
    assert result.stop_reason in (StopReason.TERMINATION, StopReason.MAX_TURNS,
                                  StopReason.MAX_ROUNDS, StopReason.MAX_AUTO_REPLIES)
    models = {a.name for a in spec.agents if a.kind.value != "user_proxy"}
    replies = [(e.sender, e.message.content or "") for e in sent if e.sender in models
               and not (e.message.meta or {}).get("auto_reply")]
    assert len(replies) >= 2
    assert_reads_well(replies, task)
    assert len({text for _, text in replies}) == len(replies), "no reply is said twice"


def test_the_moderated_group_is_opened_given_the_floor_and_closed_by_its_moderator(
        tmp_path: Path) -> None:
    task = SHAPES["group"].doc["sample_tasks"][1]
    _, sent, _ = run("group", task, tmp_path)
    said = [(e.sender, e.message.content or "") for e in sent]
    moderator = [text for who, text in said if who == "moderator"]
    assert task in moderator[0]
    assert any("Over to you, optimist" in text or "Over to you, realist" in text
               for text in moderator[1:-1])
    assert moderator[-1].startswith("To sum up") and moderator[-1].endswith("TERMINATE")
    assert said[-1][0] == "moderator"
