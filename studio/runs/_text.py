"""The readable transcript lives in the engine (exported scripts print it too)."""

from studio.engine.transcript import TextTranscript, transcript_text

__all__ = ["TextTranscript", "transcript_text"]
