"""The conformance driver of the Python client: `python -m sinew.conformance`.

The Sinew conformance runner starts it as a child process and sends it one step at a time,
one JSON object per line on standard input; the driver performs the step with the client's
public API and answers with one JSON line on standard output. It judges nothing: the
scenarios hold every expectation. Logs go to standard error only. The broker under test is
named by the environment variable `SINEW_BROKER` (`host:port`). The steps and the answer
shapes are specified in `conformance/DRIVERS.md` of the Sinew repository.

`arguments` reads requests, `results` writes answers, `driver` performs the steps and
`request_loop` speaks the line protocol.
"""

from __future__ import annotations

from sinew.conformance.driver import BROKER_VARIABLE, Driver
from sinew.conformance.request_loop import main, serve

__all__ = ["BROKER_VARIABLE", "Driver", "main", "serve"]
