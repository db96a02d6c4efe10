"""Heritage sources, one module each, all behind :class:`wikitown.sources.base.Source`."""
