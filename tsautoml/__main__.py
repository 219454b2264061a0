"""``python -m tsautoml``."""

from tsautoml.cli import main

raise SystemExit(main())
