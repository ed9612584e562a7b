"""`python -m sinew.conformance`: runs the conformance driver on standard input and output."""

from __future__ import annotations

from sinew.conformance.request_loop import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
