"""wikitown: a toolkit for Wikipedia-town (ウィキペディアタウン) and data-walk events.

The library holds all logic, grouped by the stage of an event (core, store, net, sources, gaps,
walk, finds, drafts, publish, report); the Streamlit app (``app.py`` at the top of a checkout,
``wikitown/app/``) and the command line (``wikitown`` / ``python -m wikitown``, ``wikitown/cli/``)
are thin layers over it.
"""

__version__ = "0.1.0"
TOOL_NAME = "wikitown"
