"""kubectl, emulated for the lab console.

    from clusterlab.kubectl import run, complete, Transport
    result = run("kubectl get pods -o wide", transport)          # Result(stdout, stderr, exit_code)
    result = run("kubectl apply -f -", transport, stdin=manifest_text)
    complete("kubectl get po", 17, transport)                     # ["pods", "podtemplates", ...]

Every command becomes the REST requests real kubectl sends, through `Transport` (the lab
wires it to its REST API's dispatcher); the output is formatted as kubectl formats it. Pure
Python: no Django.
"""

from .cli import Result, run
from .complete import complete
from .transport import Response, Transport

__all__ = ["Response", "Result", "Transport", "complete", "run"]
