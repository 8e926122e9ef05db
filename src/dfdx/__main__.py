"""``python -m dfdx``: the same as the ``dfdx`` command."""

from dfdx.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
