import sys

from wikitown.cli import main

sys.exit(main())
