import re


def word_count(text: str) -> str:
    """Count the words, sentences and characters of a text, and estimate its reading time.

    Args:
        text: The text to measure.
    """
    words = re.findall(r"\b[\w'-]+\b", text)
    sentences = [s for s in re.split(r"[.!?]+", text) if s.strip()]
    minutes = len(words) / 200
    return (
        f"{len(words)} words, {len(sentences)} sentences, {len(text)} characters; "
        f"about {max(1, round(minutes))} min to read"
    )
