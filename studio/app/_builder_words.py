"""The Builder in plain words: labels a person who does not program understands first (the
engine's own term goes in the tooltip), and problems said as sentences about the team,
never as field paths. No Streamlit here."""

from __future__ import annotations

import re
from collections.abc import Callable

from studio.spec import Problem, TemplateSpec

# -- labels: plain words, with the engine's term for the tooltip ------------------------------
KIND_LABELS = {"assistant": "AI agent", "user_proxy": "You (a person), or a code runner",
               "conversable": "Custom agent", "retrieve_user_proxy": "Document search"}
KIND_HELP = ("**AI agent** answers with a model. **You (a person)** stands in for you: it asks "
             "you, or runs the code it receives. **Document search** sends passages of your "
             "documents. Engine terms: assistant, user_proxy, conversable, retrieve_user_proxy.")
NODE_KINDS = {"assistant": "AI agent", "user_proxy": "you (a person)", "conversable": "custom",
              "retrieve_user_proxy": "document search"}
ASKS_YOU = {"": "as usual for its kind", "always": "every turn", "terminate": "only at the end",
            "never": "never"}
ASKS_YOU_HELP = ("When this agent stops to ask you. Every turn: you answer each message (empty "
                 "lets it answer by itself). Only at the end: when it would stop. Never: it "
                 "works on its own. As usual: every turn for you (a person), never for others. "
                 "Engine term: human_input_mode = always / terminate / never.")
REPLIES_IN_A_ROW = "Replies in a row before it stops"
REPLIES_IN_A_ROW_HELP = ("How many times it answers by itself, one after another, before it "
                         "stops (or asks you). Engine term: max_consecutive_auto_reply.")
WHO_NEXT = {"auto": "the AI decides", "round_robin": "take turns", "random": "at random",
            "manual": "you pick"}
WHO_NEXT_HELP = ("How the next speaker is chosen after each message. Engine term: "
                 "speaker_selection_method = auto / round_robin / random / manual.")
HANDS_ON = {"last_msg": "the last message", "reflection": "a summary the AI writes"}
HANDS_ON_HELP = ("What the conversation hands on when it ends (to you, or to the next chat). "
                 "Engine term: summary_method = last_msg / reflection.")
PATTERNS = {"group": "Group conversation", "two_agent": "Two agents talk",
            "sequence": "One chat after another"}
PATTERN_HELP = ("Group conversation: an arrow A → B means B may speak after A (engine: "
                "GroupChat with a chat_manager). Two agents talk: one arrow, from the one who "
                "starts. One chat after another: numbered arrows (engine: initiate_chats).")
MOST_MESSAGES = "Most messages in the conversation"
MOST_MESSAGES_HELP = "The conversation stops after this many messages. Engine term: max_round."

# -- the fields' labels, by the template field they edit (the forms draw them; the text view
# names a field by them) -----------------------------------------------------------------------
PANELS = {"agent": "Agent", "pattern": "Conversation", "test": "Test run"}
TEMPLATE_LABELS = {"name": "Template name", "description": "Description",
                   "tags": "Tags (comma separated)",
                   "sample_tasks": "Sample tasks (one per line; the first is the default task)"}
AGENT_LABELS = {"name": "Name", "kind": "Kind", "description": "Description",
                "system_message": "System message", "model": "Model", "human_input": "Asks you",
                "max_consecutive_auto_reply": REPLIES_IN_A_ROW, "termination": "When it stops",
                "tools": "Tools (offered to this agent's model)",
                "execute_tools": "Runs tools for others", "code_execution": "Runs code",
                "retrieval": "Documents (retrieval)",
                "nested_chats": "Consults others before answering",
                "model_settings": "Sampling", "default_auto_reply": "Default auto-reply",
                "stream": "Stream tokens as they come"}
TERMINATION_LABELS = {"kind": "Match", "value": "Text", "max_messages": "Max messages",
                      "max_turns": "Max turns"}
CODE_LABELS = {"executor": "Run code blocks", "timeout": "Timeout (s)",
               "image": "Image (docker)", "network": "Let the container use the network",
               "approve": "Ask me before running each piece of code"}
RETRIEVAL_LABELS = {"collection": "Collection", "n_results": "Passages per message",
                    "task": "Prompt",
                    "update_context": "Send the next passages by itself on UPDATE CONTEXT"}
NESTED_LABELS = {"recipient": "Consults", "max_turns": "Max turns", "summary_method": "Summary",
                 "message": "Message"}
SETTINGS_LABELS = {"temperature": "Temperature", "max_tokens": "Max tokens"}
PATTERN_LABELS = {"kind": "How they talk", "starter": "Who starts", "message": "First message",
                  "max_turns": "Max turns", "summary_method": "Hands on at the end",
                  "edges": "Connections"}
GROUP_LABELS = {"speaker_selection": "Who speaks next", "max_round": MOST_MESSAGES,
                "allow_repeat_speaker": "Allow the same speaker twice in a row",
                "send_introductions": "Introduce the members first",
                "selector_model": "Model that decides who speaks"}
EDGE_LABELS = {"order": "Order", "max_turns": "Max turns", "summary_method": "Summary",
               "message": "Message", "carryover": "Give this chat the earlier summaries as context"}


# -- problems as sentences ---------------------------------------------------------------------
Rule = tuple[str, str, Callable[[re.Match[str], Problem, TemplateSpec], str]]


def _name(problem: Problem, spec: TemplateSpec) -> str:
    if problem.agent:
        return problem.agent
    index = re.match(r"agents\[(\d+)\]", problem.path)
    if index and int(index.group(1)) < len(spec.agents):
        return spec.agents[int(index.group(1))].name
    return "an agent"


_RULES: list[Rule] = [
    (r"^agents$", r"at least one agent",
     lambda m, p, s: "Add at least one AI agent: click one in the palette, or drag it onto the "
                     "canvas."),
    (r"^pattern\.edges$", r"at least 2 members",
     lambda m, p, s: "Connect at least two agents: drag from one agent's right dot to another "
                     "agent's left dot."),
    (r"^pattern\.edges$", r"no edge leaves the starter '([^']+)'",
     lambda m, p, s: f"Draw an arrow from “{m.group(1)}” (who starts) to the agent who should "
                     "answer first."),
    (r"^pattern\.edges$", r"exactly one edge.*found (\d+)",
     lambda m, p, s: "Two agents talk over exactly one arrow, from the one who starts to the "
                     f"one who answers (there are {m.group(1)} now)."),
    (r"^pattern\.edges$", r"sequence needs at least one edge",
     lambda m, p, s: "Draw an arrow for each chat, in the order they should happen."),
    (r"^pattern\.starter$", r"no starting agent",
     lambda m, p, s: "Choose who starts the conversation (Conversation ▸ Who starts), or draw an "
                     "arrow: the first one decides."),
    (r"^pattern\.group\.selector_model$", r"needs a model",
     lambda m, p, s: "Someone has to decide who speaks next: give an AI agent a model (the "
                     "Demo model works offline), or set Who speaks next to “take turns”."),
    (r"^agents\[\d+\]$", r"no edge reaches agent",
     lambda m, p, s: f"“{_name(p, s)}” is not connected yet: draw an arrow to it, or delete it."),
    (r"\.model$", r"needs a model",
     lambda m, p, s: f"Choose a model for “{_name(p, s)}” (the Demo model works offline)."),
    (r"\.name$", r"duplicate agent name '([^']+)'",
     lambda m, p, s: f"Two agents are called “{m.group(1)}”: rename one of them."),
    (r"\.name$", r"must be 1-64",
     lambda m, p, s: f"“{_name(p, s)}” cannot be a name: use letters, digits, _ or - (no "
                     "spaces, at most 64)."),
    (r"\.name$", r"group chat manager's name",
     lambda m, p, s: f"“{_name(p, s)}” is the name of the group's chair: choose another name."),
    (r"^sample_tasks$", r"",
     lambda m, p, s: "Add a sample task (Conversation ▸ Sample tasks): it is what Run starts with."),
    (r"^pattern\.message$", r"does not use \{task\}",
     lambda m, p, s: "The first message does not include {task}, so the task you type would "
                     "be ignored."),
    (r"\.model$", r"unknown model '([^']+)'",
     lambda m, p, s: f"“{_name(p, s)}” uses a model that is not set up here: “{m.group(1)}”. "
                     "Choose another, or add it on the Models page."),
    (r"tools\[\d+\]$", r"unknown tool '([^']+)'",
     lambda m, p, s: f"“{_name(p, s)}” uses a tool that does not exist: “{m.group(1)}”."),
    (r"^pattern\.edges\[\d+\]$", r"cannot chat with itself",
     lambda m, p, s: "An arrow goes from an agent back to itself: remove it."),
]


def sentence(problem: Problem, spec: TemplateSpec) -> str:
    """What is wrong, said about the team (the field path stays out of it)."""
    for path, message, say in _RULES:
        if re.search(path, problem.path):
            found = re.search(message, problem.message)
            if found:
                return say(found, problem, spec)
    text = problem.message.strip()
    who = f"“{problem.agent}”: " if problem.agent else ""
    return who + text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def is_untouched(spec: TemplateSpec) -> bool:
    """A blank canvas nobody has worked on yet: no agents, no arrows (problems can wait)."""
    return not spec.agents and not spec.pattern.edges
