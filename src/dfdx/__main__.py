"""``python -m dfdx``: the same as the ``dfdx`` command."""

from .cli import main

raise SystemExit(main())
