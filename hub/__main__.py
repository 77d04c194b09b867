"""``python -m hub``: the ``hub`` command."""

from hub.bootstrap import main

raise SystemExit(main())
