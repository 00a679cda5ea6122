import re

_NOTES = {
    "Heat pumps": (
        "A heat pump moves heat instead of making it: a refrigerant evaporates at low pressure, "
        "absorbing heat from outside air, ground or water, and a compressor raises its pressure "
        "and temperature so it releases that heat indoors. Typical air-source units deliver 3 to "
        "4 units of heat per unit of electricity (a coefficient of performance of 3-4). Efficiency "
        "falls as the outdoor temperature drops, but modern cold-climate models work below -20 C. "
        "Source: IEA, The Future of Heat Pumps (2022)."
    ),
    "Pollination by bees": (
        "About three quarters of the leading food crops benefit from animal pollination, bees "
        "above all. Honeybees are managed, but wild bees such as bumblebees and solitary bees are "
        "often more efficient per visit. Habitat loss, pesticides and disease reduce wild bee "
        "numbers. Source: FAO, Why bees matter (2018)."
    ),
    "The printing press": (
        "Johannes Gutenberg's movable-type press, in use in Mainz around 1450, combined metal "
        "type cast in a hand mould, oil-based ink and a screw press. By 1500 presses in over 200 "
        "European towns had printed some 20 million copies of books. Source: British Library, "
        "Gutenberg Bible notes."
    ),
    "James Webb Space Telescope": (
        "JWST launched on 25 December 2021 and orbits the Sun near the L2 point, 1.5 million km "
        "from Earth. Its 6.5 m gold-coated mirror of 18 segments observes in infrared, which "
        "lets it see the earliest galaxies and through dust clouds. Source: NASA JWST fact sheet."
    ),
    "Sourdough bread": (
        "Sourdough rises thanks to a starter: wild yeasts and lactic acid bacteria living in a "
        "flour and water culture. The bacteria make lactic and acetic acid, which give the sour "
        "taste and help the bread keep. A long, cool fermentation gives more flavour. "
        "Source: Gobbetti and Ganzle, Handbook on Sourdough Biotechnology (2013)."
    ),
    "Multi-agent conversations": (
        "AutoGen (Wu et al., 2023) builds LLM applications from conversable agents that send each "
        "other messages. An agent can be backed by an LLM, a human, tools or a mix; a program is "
        "the set of agents plus rules of who talks to whom and when to stop. Patterns include "
        "two-agent chats, group chats with a manager, sequential and nested chats. "
        "Source: arXiv 2308.08155."
    ),
    "The water cycle": (
        "Water evaporates from oceans, lakes and plants, condenses into clouds, and falls as rain "
        "or snow. Oceans hold about 97% of Earth's water; most fresh water is locked in ice. "
        "A water molecule spends about nine days in the atmosphere on average. Source: USGS, "
        "The Water Cycle."
    ),
    "Sleep and memory": (
        "During sleep the brain replays and consolidates what was learned during the day; deep "
        "slow-wave sleep supports facts and REM sleep supports skills and emotional memory. "
        "Adults need about 7 to 9 hours a night. Source: Walker, Why We Sleep (2017); NIH."
    ),
}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def search_notes(query: str, max_results: int = 2) -> str:
    """Search a small built-in library of reference notes and return the best matches.

    Args:
        query: What to look for, in a few keywords, e.g. "heat pump efficiency".
        max_results: How many notes to return at most (1 to 5).
    """
    wanted = _words(query)
    if not wanted:
        raise ValueError("the query needs at least one word of three letters or more")
    scored = []
    for title, text in _NOTES.items():
        score = 3 * len(wanted & _words(title)) + len(wanted & _words(text))
        if score:
            scored.append((score, title, text))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if not scored:
        return f"No notes match {query!r}. Topics: " + "; ".join(_NOTES)
    limit = max(1, min(5, max_results))
    return "\n\n".join(f"## {title}\n{text}" for _, title, text in scored[:limit])
