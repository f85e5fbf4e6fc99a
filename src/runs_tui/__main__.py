"""`python -m runs_tui` is the same as the `runs-tui` console script."""

from runs_tui.cli import main

raise SystemExit(main())
