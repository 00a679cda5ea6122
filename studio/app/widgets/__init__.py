"""Rendering helpers shared by the pages (pages stay thin)."""
