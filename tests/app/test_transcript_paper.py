"""The transcript shows which passages a retrieval proxy sent (with their sources) and the
answer key's verdict, from the events of real runs of the paper's templates."""

from __future__ import annotations

from studio.app._transcript import Transcript
from studio.engine import RunControl
from studio.spec import load_bundled_template
from studio.spec.build import build_team


def events_of(name: str, tmp_path) -> list[dict]:
    seen = []
    team = build_team(load_bundled_template(name), work_dir=tmp_path)
    team.run(control=RunControl(on_event=seen.append))
    return [{**e.to_dict(), "seq": i} for i, e in enumerate(seen, 1)]


def test_passages_and_their_sources_are_kept_for_the_transcript(tmp_path):
    tx = Transcript()
    tx.feed(events_of("retrieval_qa", tmp_path))
    sent = [i for i in tx.items if i.kind == "message" and i.passages is not None]
    assert [i.sender for i in sent] == ["rag_proxy", "rag_proxy"]
    assert [(p["n"], p["source"]) for p in sent[0].passages] == [(1, "faq.md"),
                                                                 (2, "handbook.md")]
    assert sent[1].passages[0]["location"] == "Community garden handbook › Fees"


def test_the_answer_check_is_kept_for_the_transcript(tmp_path):
    tx = Transcript()
    tx.feed(events_of("math_problem_solving", tmp_path))
    check = [i for i in tx.items if i.kind == "message" and i.check is not None]
    assert [c.check for c in check] == [{"correct": True, "answer": "10", "expected": "10"}]
