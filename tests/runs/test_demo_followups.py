"""A person's follow-up to a finished Demo run is answered in its own words, by the right
role, keeping what it asks for: the cases a reviewer found garbled (Gallery -> Run a
template -> Continue), replayed through the real engine and runs layer."""

from __future__ import annotations

import re

import pytest

from studio.runs import continue_run
from studio.spec import load_bundled_template
from studio.store import Actor
from tests.engine.test_demo_voice import nests_a_quote

from .test_demo_lineage import ended, finished
from .test_lineage import said

LOCAL = Actor.local()


def follow_up(manager, template: str, words: str) -> tuple[list[tuple[str, str]],
                                                            list[tuple[str, str]]]:
    """The finished sample run of ``template`` and what came after ``words`` (the person's
    follow-up first)."""
    spec = load_bundled_template(template)
    first = finished(manager, spec, spec.default_task)
    before = said(manager, first)
    after = ended(manager, continue_run(manager, LOCAL, first, words, human="never"))
    new = after[len(before):]
    assert new[0][1] == words  # said by the team's person ("user", "moderator", ...)
    assert all(not nests_a_quote(text) for _, text in new)
    return before, new[1:]


def numbered(text: str) -> list[str]:
    return re.findall(r"^\d\. (.+)$", text, re.M)


def test_an_acknowledgement_before_the_request_is_not_taken_for_its_subject(make_manager):
    words = "Good. Now narrow it to ideas that cost nothing, for a class of 8-year-olds."
    _, replies = follow_up(make_manager(), "brainstorm", words)
    (who, answer), (dreamer, ideas) = replies[0], replies[1]
    assert who == "facilitator" and "ideas that cost nothing, for a class of 8-year-olds" \
        in answer.split("Understood", 1)[1], answer
    assert dreamer == "dreamer" and ideas.startswith("Three ideas that cost nothing"), ideas
    # "Good" was the person's approval, never what the team talks about
    assert not any(re.search(r"\bGood\b", text) for _, text in replies), replies
    assert all("money" not in text for who, text in replies if who == "realist"), replies


def test_a_new_request_to_the_planning_group_is_planned_in_its_own_words(make_manager):
    words = "Now plan a rainy day in Paris for a family of four."
    before, replies = follow_up(make_manager(), "planning_group", words)
    assert "palindrome" in before[0][1]
    who, plan = replies[0]
    assert who == "planner" and "a rainy day in Paris for a family of four" in plan, plan
    assert numbered(plan) and "Progress check" not in plan
    # nothing after the follow-up is about the earlier task or reports its old code run
    assert not any("palindrome" in text for _, text in replies), replies
    assert replies[-1][1].rstrip().endswith("TERMINATE")


def test_a_rewrite_request_is_answered_by_the_writer_after_the_critic(make_manager):
    words = "Make it shorter and aimed at grandparents."
    _, replies = follow_up(make_manager(), "writer_with_critic", words)
    speakers = [who for who, _ in replies]
    # the nested chat: the writer asks, the critic advises, the writer rewrites, the critic
    # judges, the writer's final version closes it and is the writer's reply to the person
    assert speakers[-1] == "writer" and "critic" in speakers, speakers
    inner_critic = max(i for i, who in enumerate(speakers) if who == "critic")
    assert "writer" in speakers[inner_critic + 1:]
    final = replies[-1][1]
    assert final.startswith("Final version") and "Good to go" not in final, final
    assert "shorter and aimed at grandparents" in final
    lines = re.findall(r"^- Line \d+:", final, re.M)
    assert [f"- Line {n}:" for n in range(1, 4)] == lines, final  # shorter: 3 lines of 4
    first_advice = next(text for who, text in replies if who == "critic")
    assert "shorter and aimed at grandparents" in first_advice.lower(), first_advice


def test_only_two_ideas_are_given_when_two_are_asked_for(make_manager):
    words = "Please give me only two ideas."
    _, replies = follow_up(make_manager(), "brainstorm", words)
    assert "I take that on board" not in replies[0][1]
    dreamer = next(text for who, text in replies if who == "dreamer")
    assert dreamer.startswith("Two ideas") and len(numbered(dreamer)) == 2, dreamer
    summary = replies[-1]
    assert summary[0] == "facilitator" and len(numbered(summary[1])) == 2, summary


def test_a_question_gets_an_answer_in_its_own_words(make_manager):
    words = "Which is easiest for retired people?"
    before, replies = follow_up(make_manager(), "brainstorm", words)
    shortlist = [line.split(". ", 1)[0] for line in numbered(before[-1][1])]
    who, answer = replies[0]
    assert who == "facilitator" and f'You asked: "{words}"' in answer
    after = answer.split(words, 1)[1]
    assert "retired people" in after, answer
    picked = [idea for idea in shortlist if idea.lower() in after.lower()]
    assert len(picked) == 1, (shortlist, answer)
    # an idea named for another group of people is not the answer for retired people
    assert not re.search(r"\b(?:kids|children|teenagers|pupils)\b", picked[0], re.I), picked


def test_a_plan_only_request_gets_a_plan_and_no_code(make_manager):
    words = "Now just give me a plan for a school trip to the museum, no code please."
    _, replies = follow_up(make_manager(), "planning_group", words)
    # the coder wrote its word-count script and the user ran it: code nobody asked for
    assert [who for who, _ in replies] == ["planner"], replies
    plan = replies[0][1]
    assert plan.startswith("New plan for a school trip to the museum (a plan only, no code")
    assert len(numbered(plan)) == 3 and "```" not in plan
    assert plan.rstrip().endswith("TERMINATE")


@pytest.mark.parametrize(("words", "piece", "count"), [
    ("Make it three lines.", "a three-line poem", 3),
    ("Make it shorter.", "a three-line poem", 3),
    ("Good, now make it six lines.", "a six-line poem", 6),
])
def test_a_rewrite_to_another_length_is_named_for_it_and_given_to_the_person(
        make_manager, words, piece, count):
    _, replies = follow_up(make_manager(), "writer_with_critic", words)
    final = replies[-1][1]
    assert replies[-1][0] == "writer" and final.startswith(f"Final version of {piece} about"), \
        final
    assert re.findall(r"^- Line (\d+):", final, re.M) == [str(n) for n in range(1, count + 1)]
    # nothing after the follow-up calls the piece by its old length
    assert not any("four-line" in text for _, text in replies), replies
    # the person gets the piece: no thanks addressed to the critic they never talk to
    assert not any("Thank you" in text for _, text in replies), replies
    assert "critic's points taken in" in final


def test_a_reminder_is_outlined_as_long_as_it_says(make_manager):
    spec = load_bundled_template("writer_with_critic")
    manager = make_manager()
    first = finished(manager, spec, spec.sample_tasks[2])  # a two-sentence reminder
    before = said(manager, first)
    after = ended(manager, continue_run(manager, LOCAL, first, "Make it shorter.",
                                        human="never"))
    final = after[-1][1]
    assert len(after) > len(before) and "a friendly one-sentence reminder" in final, final
    assert re.findall(r"^- (\w[\w ]*):", final, re.M) == ["Your change", "Main point"], final
    assert "Main point: the office kitchen closes at 6 pm" in final


STOCK = ("who decides when", "what would success with", "which idea for", "what has been tried",
         "who would notice first")


def test_a_persons_question_is_handed_on_in_its_own_words(make_manager):
    words = "Which is easiest for retired people?"
    before, replies = follow_up(make_manager(), "brainstorm", words)
    shortlist = [line.split(". ", 1)[0].lower() for line in numbered(before[-1][1])]
    (who, answer), (dreamer, said) = replies[0], replies[1]
    # the floor went on with a stock question about the first task (the garden)
    assert who == "facilitator" and answer.rstrip().endswith(
        "Over to you, dreamer: which is easiest for retired people?"), answer
    assert not any(stock in text.lower() for _, text in replies for stock in STOCK), replies
    assert dreamer == "dreamer" and said.startswith(
        "To facilitator's question: my answer for retired people is "), said
    # another idea from the shortlist than the facilitator's pick
    picked = [idea for idea in shortlist if idea in answer.lower()]
    other = [idea for idea in shortlist if idea in said.lower()]
    assert len(picked) == 1 and len(other) == 1 and picked != other, (answer, said)


def test_a_question_to_a_debate_goes_round_in_its_own_words(make_manager):
    words = "How would this work for a small village school?"
    _, replies = follow_up(make_manager(), "debate_judge", words)
    assert words in replies[0][1], replies
    assert not any(stock in text.lower() for _, text in replies for stock in STOCK), replies
    # the judge closes with its verdict, not "A question for proponent: ..."
    who, last = replies[-1]
    assert who == "judge" and "\nVerdict: " in last and "A question" not in last, last


@pytest.mark.parametrize("words", ["What would it cost?", "How long will it take?"])
def test_a_product_manager_talks_like_one_after_a_question(make_manager, words):
    _, replies = follow_up(make_manager(), "roleplay_group", words)
    # product_manager was taken for a coder ("the engineer" in its system message) and,
    # like the engineer, answered with a word-count script
    assert not any("```" in text for _, text in replies), replies
    who, answer = replies[0]
    assert who == "product_manager" and answer.rstrip().endswith(
        f"Over to you, designer: {words[0].lower()}{words[1:]}"), answer
    assert replies[-1][0] == "product_manager" and replies[-1][1].startswith("To sum up")
    # the plan's owners ("2. Designer: ...") are not taken for its items
    assert "start with Product manager" not in answer and "1. Product manager" not in \
        replies[-1][1], replies


def test_a_coder_says_it_has_nothing_to_compute_for_a_request_code_cannot_do(make_manager):
    words = "Now plan a rainy day in Paris"
    _, replies = follow_up(make_manager(), "planning_group", words)
    assert [who for who, _ in replies] == ["planner", "coder"], replies
    said = replies[1][1]
    assert "```" not in said and said.startswith(
        "Nothing for me to compute in 'Now plan a rainy day in Paris'"), said
    assert said.rstrip().endswith("TERMINATE")


def test_a_happy_stand_in_gets_the_final_version_with_the_persons_change(make_manager):
    _, replies = follow_up(make_manager(), "human_in_the_loop", "Aim it at children")
    # "Looks good. Please make it final." was taken for a change: "New draft ... Your
    # change: please make it final." over and over, and never a final version
    drafts = [text for _, text in replies if text.startswith("New draft")]
    assert len(drafts) == 1 and "- Your change: aim it at children." in drafts[0], replies
    who, final = replies[-1]
    assert who == "assistant" and "\nFinal version of a short email" in final, final
    assert "- Your change: aim it at children." in final and final.rstrip().endswith(
        "TERMINATE")
    assert not any("make it final" in text.lower() for who, text in replies
                   if who == "assistant"), replies


def test_a_question_to_an_acting_assistant_is_answered_not_drafted(make_manager):
    words = "Which is cheapest?"
    _, replies = follow_up(make_manager(), "decision_grounding", words)
    said = [(who, text) for who, text in replies if text.strip()]
    # the answer started with a line of what the common-sense tool returned ("Still to do
    # for a clean mug…"), and the assistant then redrafted "a short text on put a clean
    # mug in the coffee machine" with "Your change: which is cheapest?."
    assert not any("Still to do" in text for _, text in said), said
    assert not any("draft" in text.lower() or "Your change" in text for _, text in said), said
    assert not any("on put a clean mug" in text for _, text in said), said
    who, last = said[-1]
    assert who == "assistant" and last.startswith(f'You asked: "{words}"'), said
    assert last.rstrip().endswith("TERMINATE")


def test_a_motion_is_talked_about_by_its_subject_not_as_a_whole_clause(make_manager):
    _, replies = follow_up(make_manager(), "debate_judge",
                           "How would this work for a small village school?")
    # "a photo of homework should be abolished in primary schools at its best"
    assert not any("should be abolished in primary schools" in text
                   for _, text in replies), replies
    assert any(re.search(r"\bhomework\b", text) for _, text in replies), replies


def test_a_new_figure_for_a_task_code_can_do_is_coded_for(make_manager):
    words = "What about below 1000?"
    _, replies = follow_up(make_manager(), "code_assistant", words)
    # a question about the task is still for code: the Demo model knows this program, so
    # it writes it for the new figure (tests/runs/test_demo_recipes.py checks what it prints)
    who, reply = replies[0]
    assert who == "assistant" and "not an AI" in reply and "below 1000" in reply \
        and "```python" in reply, replies


def test_a_reviewer_takes_a_question_for_no_change_to_check(make_manager):
    _, replies = follow_up(make_manager(), "code_review", "Which is easiest?")
    assert not any("change you asked for (which is easiest?)" in text
                   for _, text in replies), replies


def retrieval_follow_up(manager, words: str) -> tuple[str, list[tuple[str, str]]]:
    """The retrieval_qa sample run's last answer, and the replies to ``words`` (asked
    through the retrieval proxy, which wraps it in passages)."""
    spec = load_bundled_template("retrieval_qa")
    first = finished(manager, spec, spec.default_task)
    before = said(manager, first)
    after = ended(manager, continue_run(manager, LOCAL, first, words, human="never"))
    new = after[len(before):]
    assert new[0][0] == "rag_proxy" and f"Question: {words}" in new[0][1]
    return before[-1][1], new[1:]


def test_a_change_to_a_retrieved_answer_changes_the_answer(make_manager):
    answer, replies = retrieval_follow_up(make_manager(), "Make it shorter.")
    # the retrieval prompt was read as the person's request: "Final version of a short
    # text on i am a student ... Your change: answer the question from the numbered ..."
    assert not any("numbered passages" in text or "short text" in text
                   for _, text in replies), replies
    who, reply = replies[-1]
    first = answer.replace("\n", " ").split(". ")[0]  # "As a student you pay 15 euros ..."
    assert who == "rag_assistant" and reply.startswith(
        'Shorter, as you asked ("Make it shorter."):'), reply
    assert first in reply and len(reply) < len(answer) + 60 and "[3]" in reply, reply


def test_a_new_question_to_retrieval_is_answered_from_the_passages(make_manager):
    _, replies = retrieval_follow_up(make_manager(), "Can I bring my dog?")
    who, reply = replies[-1]
    assert who == "rag_assistant" and reply.startswith('On "Can I bring my dog?"'), reply
    assert "Dogs are welcome on a lead" in reply and re.search(r"\[\d\]", reply), reply
    assert "Your change" not in reply and "draft" not in reply.lower(), reply


def test_a_change_to_the_plan_changes_that_plan(make_manager):
    before, replies = follow_up(make_manager(), "planning_group", "Make it shorter.")
    old = numbered(next(text for who, text in before if who == "planner"))
    who, plan = replies[0]
    # it was planned as a new task: "New plan: Make it shorter ... for it shorter"
    assert who == "planner" and "for it shorter" not in plan and "New plan" not in plan, plan
    assert plan.startswith('The same plan, shorter as you asked ("Make it shorter.")'), plan
    steps = numbered(plan)
    assert len(steps) == len(old) == 4, (old, steps)
    assert all(len(new) < len(was) and was.startswith(new.rstrip("."))
               for new, was in zip(steps, old, strict=True)), (old, steps)
    assert steps[0].startswith("coder: write `is_palindrome(text)`"), steps
    # a change to the plan is all that was asked: no coder saying there is nothing to code
    assert [who for who, _ in replies] == ["planner"] and plan.rstrip().endswith("TERMINATE")


@pytest.mark.parametrize(("template", "words"), [
    ("brainstorm", "Which is easiest for retired people?"),
    ("roleplay_group", "What would it cost?"),
])
def test_a_list_item_in_a_sentence_loses_its_capital(make_manager, template, words):
    before, replies = follow_up(make_manager(), template, words)
    entries = [re.sub(r"^[\w ]+: ", "", i) for _, text in before for i in numbered(text)]
    names = {e.split()[0] for e in entries if e[:1].isupper()}  # "Designer: Reserve ..." too
    # "start with Kids' treasure hunt", "my answer is Adopt-a-bed"
    mid = [m for _, text in replies for m in re.findall(r"(?:with|is) ([A-Z][\w'-]*)", text)
           if m in names]
    assert not mid and any(re.search(r"(?:with|is) [a-z]", t) for _, t in replies), replies


@pytest.mark.parametrize("words", ["Make it shorter.", "Which is easiest?"])
def test_a_reviewer_of_code_talks_about_the_code_not_a_piece_of_writing(make_manager, words):
    _, replies = follow_up(make_manager(), "code_review", words)
    # "Two suggestions for this draft of a short text on add_tag() below collects tags…",
    # three times, with the author's empty turns between
    assert not any("short text" in text or "draft" in text for _, text in replies), replies
    assert [who for who, _ in replies] == ["reviewer"], replies
    reply = replies[0][1]
    assert "add_tag()" in reply and "4 problem(s)" in reply, reply
    assert "does not rewrite code" in reply or "connected model" in reply, reply
    if not words.endswith("?"):
        assert reply.startswith("Your change to add_tag(): make it shorter. "), reply
    assert reply.rstrip().endswith("TERMINATE")


COMMUNITY = ("rota", "survey", "three wishes", "volunteers", "people affected", "start date",
             "borrowed habit", "friendly challenge", "wall chart", "whoever leaves last")


@pytest.mark.parametrize(("template", "words"), [
    ("chess_game", "Which move is safest?"),
    ("decision_grounding", "What else could go wrong?"),
    ("human_in_the_loop", "Which is easiest?"),
])
def test_a_task_that_is_no_community_project_gets_no_community_project_answers(
        make_manager, template, words):
    _, replies = follow_up(make_manager(), template, words)
    # "a three-wishes survey (ask the people closest to a clean mug in the coffee machine
    # …)", "a weekly rota (one pair looks after a quick game each week …)"
    assert not any(stock in text.lower() for _, text in replies for stock in COMMUNITY), \
        replies
    answer = next(text for _, text in replies if text.startswith(f'You asked: "{words}"'))
    assert "The Demo model cannot weigh that" in answer, answer


def test_a_change_to_an_errands_answer_changes_that_answer(make_manager):
    before, replies = follow_up(make_manager(), "decision_grounding", "Make it shorter.")
    done = before[-1][1]  # "Done: I took the mug from cabinet 1, cleaned it ..., and the ..."
    # "New draft of a short text on a clean mug in the coffee machine … Opening: …"
    assert not any("short text" in text or "draft" in text.lower() for _, text in replies)
    who, reply = replies[-1]
    assert who == "assistant" and reply.startswith('Shorter, as you asked ("Make it shorter.")')
    shorter = reply.split("\n", 1)[1].replace("\n\nTERMINATE", "")
    assert " ".join(done.split()).startswith(shorter.rstrip(".")) and len(shorter) < len(done), (
        done, reply)
