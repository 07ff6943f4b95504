"""`manage.py` commands for the live test server's database, run in one long-lived process.

Each `manage.py` run starts Python, sets up Django and imports the whole app (the engine, the
kubectl emulation, daphne's reactor): seconds of CPU that the live tests used to pay twice per
module (make a lab, write its kubeconfig). This process pays it once per session: it reads one
JSON array of arguments a line from stdin, runs them with `call_command` as `manage.py` would
(what the command and its `print`s write is captured), and answers one JSON object a line:
``{"status": 0 | 1, "stdout": …, "stderr": …}``. Run it as ``python -m tests.manage_worker`` in
the project root, with the server's environment.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback

import django


def run(args: list[str]) -> dict[str, object]:
    """Run one command like `manage.py *args`; database connections are closed afterwards, so
    nothing is held open between commands while the server writes the same file."""
    from django.core.management import call_command
    from django.db import connections

    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            call_command(*args, stdout=out, stderr=err)
    except BaseException:  # a CommandError, a failing `shell -c` script, SystemExit: all exit 1
        status = 1
        err.write(traceback.format_exc())
    finally:
        connections.close_all()
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> None:
    django.setup()
    answers = sys.stdout
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run(json.loads(line))) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
