"""Real kubectl 1.32 against a lab: the docs task "Communicate Between Containers in the Same Pod
Using a Shared Volume" as written — nginx serves the page the debian container wrote into
their shared emptyDir — and nginx's own 404 page for a file that is not there."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer
from tests.manifests import DOCS_TWO_CONTAINER_POD

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "web-files-user")


def test_nginx_serves_what_the_debian_container_wrote(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=DOCS_TWO_CONTAINER_POD) == "pod/two-containers created\n"
    debian = "jsonpath={.status.containerStatuses[?(@.name=='debian-container')].state.terminated.reason}"
    wait_for(lambda: kubectl.out("get", "pod", "two-containers", "-o", debian) == "Completed", 60)
    exec_nginx = ("exec", "two-containers", "-c", "nginx-container", "--")
    assert kubectl.out(*exec_nginx, "curl", "-s", "localhost") == "Hello from the debian container\n"
    missing = kubectl(*exec_nginx, "curl", "-sS", "-f", "localhost/nope", ok=False)
    assert missing.returncode == 22
    assert "curl: (22) The requested URL returned error: 404\n" in missing.stderr
    assert "command terminated with exit code 22" in missing.stderr
    # nginx's own page (its CRLFs read back as newlines: the helper reads text)
    assert kubectl.out(*exec_nginx, "curl", "-s", "localhost/nope") == (
        "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<center><h1>404 Not Found</h1></center>\n"
        "<hr><center>nginx/1.29.3</center>\n</body>\n</html>\n"
    )
