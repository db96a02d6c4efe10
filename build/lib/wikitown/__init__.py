"""wikitown: a toolkit for Wikipedia-town (ウィキペディアタウン) and data-walk events.

The library holds all logic; the Streamlit app (app.py, pages/, ui/) and the
command line (python -m wikitown) are thin layers over it.
"""

__version__ = "0.1.0"
TOOL_NAME = "wikitown"
