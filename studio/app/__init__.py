"""The Streamlit studio: Gallery, Playground, Models, History and Settings.

Nothing outside ``studio.app`` imports it. Start it with ``roundtable ui`` (or
``streamlit run studio/app/server.py``, which serves ``main.py``).
"""
