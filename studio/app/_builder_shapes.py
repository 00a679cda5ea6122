"""Starting shapes for the Builder: a whole small team in one click.

Each shape is a complete, runnable team (agents with names, descriptions and roles, the
arrows between them, a sample task, positions on the canvas) on the offline Demo model, so
a person who does not program starts from something that runs and edits it, instead of
placing and wiring every agent by hand. Pure: no Streamlit, no store.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from studio.spec import TemplateSpec


@dataclass(frozen=True)
class Shape:
    """A starting team: ``doc`` is its template (its layout keeps it inside the canvas)."""

    label: str
    icon: str
    blurb: str  # one line under the buttons: what the shape is good for
    doc: dict[str, Any]


def _assistant(name: str, description: str, role: str) -> dict[str, Any]:
    return {"name": name, "kind": "assistant", "model": "main", "description": description,
            "system_message": role}


def _starter(name: str = "user", *, human: str = "never", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "user_proxy", "human_input": human, **extra}


def _team(name: str, description: str, agents: list[dict[str, Any]], pattern: dict[str, Any],
          tasks: list[str], layout: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {"format": 1, "name": name, "description": description, "models": {"main": "demo"},
            "agents": agents, "pattern": {"message": "{task}", **pattern},
            "sample_tasks": tasks,
            "layout": {n: {"x": x, "y": y} for n, (x, y) in layout.items()}}


SHAPES: dict[str, Shape] = {
    "pair": Shape("Two agents talking", "💬", "a writer and a critic take turns", _team(
        "My writer and critic",
        "A writer drafts, a critic suggests improvements, the writer revises.",
        [_assistant("writer", "Writes the first draft and revises it.",
                    "You are a writer. Write a short first draft of what is asked, then "
                    "revise it with the critic's suggestions."),
         _assistant("critic", "Suggests concrete improvements to the draft.",
                    "You are a friendly critic. Give two concrete suggestions per draft. "
                    "When the draft is good, say so and end with TERMINATE.")],
        {"kind": "two_agent", "starter": "writer", "max_turns": 3,
         "edges": [{"source": "writer", "target": "critic"}]},
        ["Write a four-line poem about the first day of school.",
         "Write a friendly reminder to return library books."],
        {"writer": (40, 60), "critic": (260, 60)})),
    "group": Shape("A group of three with a moderator", "👥",
                   "a moderator gives the floor to two members in turn", _team(
        "My group chat",
        "A moderator opens the question, two members answer in turn, the moderator sums up.",
        [_starter(max_consecutive_auto_reply=0, description="Brings the question."),
         _assistant("moderator", "Opens the discussion and sums it up.",
                    "You moderate. First turn: restate the question and invite ideas. Next "
                    "turn: sum up the best points in three lines and end with TERMINATE."),
         _assistant("optimist", "Sees what could work and proposes ideas.",
                    "You are the optimist. Propose three concrete ideas, one line each."),
         _assistant("realist", "Checks the ideas against time, cost and risk.",
                    "You are the realist. For each idea, say in one line what it takes and "
                    "how to make it easier.")],
        {"kind": "group", "starter": "user",
         "edges": [{"source": "user", "target": "moderator"},
                   {"source": "moderator", "target": "optimist"},
                   {"source": "optimist", "target": "realist"},
                   {"source": "realist", "target": "moderator"}],
         "group": {"speaker_selection": "round_robin", "max_round": 8}},
        ["How can our class keep the classroom tidy?",
         "How could we make lunch breaks calmer?"],
        {"user": (20, 140), "moderator": (160, 30), "optimist": (300, 140),
         "realist": (160, 250)})),
    "chain": Shape("A chain of three", "🔗", "each one hands its work to the next", _team(
        "My chain",
        "A researcher gathers facts, a writer turns them into a text, an editor polishes it.",
        [_starter(max_consecutive_auto_reply=1, description="Gives the topic."),
         _assistant("researcher", "Gathers the key facts as bullet notes.",
                    "You research. Give five key facts on the topic as short bullet notes."),
         _assistant("writer", "Turns the notes into a short text.",
                    "You write a short, clear text of about 120 words from the notes."),
         _assistant("editor", "Polishes the text and gives the final version.",
                    "You edit. Fix unclear sentences and give the final text, then end "
                    "with TERMINATE.")],
        {"kind": "sequence", "starter": "user",
         "edges": [{"source": "user", "target": "researcher", "order": 1,
                    "message": "Research this topic: {task}", "max_turns": 1},
                   {"source": "researcher", "target": "writer", "order": 2,
                    "message": "Please write the text from my notes.", "max_turns": 1},
                   {"source": "writer", "target": "editor", "order": 3,
                    "message": "Here is my text. Please edit it.", "max_turns": 1}]},
        ["How bees make honey.", "Why we have leap years."],
        {"user": (20, 40), "researcher": (160, 40), "writer": (300, 40),
         "editor": (300, 180)})),
    "helper": Shape("A person with an AI helper", "🙋", "you talk with one assistant", _team(
        "My helper",
        "You ask, the helper drafts, you give feedback until you are happy.",
        [_starter("you", human="always", description="You: asked after each reply.",
                  default_auto_reply="Looks good, thank you."),
         _assistant("helper", "Drafts what you ask for and revises it with your feedback.",
                    "You are a helpful assistant. Draft what is asked, keep it short, and "
                    "revise it with the person's feedback. When they are happy, end with "
                    "TERMINATE.")],
        {"kind": "two_agent", "starter": "you", "max_turns": 6,
         "edges": [{"source": "you", "target": "helper"}]},
        ["Draft a note inviting parents to the science fair.",
         "Suggest three warm-up games for a workshop."],
        {"you": (40, 60), "helper": (260, 60)})),
}


def shape_team(key: str) -> TemplateSpec:
    """A fresh draft of the shape ``key`` (one of :data:`SHAPES`)."""
    return TemplateSpec.model_validate(copy.deepcopy(SHAPES[key].doc))
