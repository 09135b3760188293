"""`python -m bench NAME [--size N]`, `python -m bench all`, `python -m bench list`."""

from bench.harness import main

raise SystemExit(main())
