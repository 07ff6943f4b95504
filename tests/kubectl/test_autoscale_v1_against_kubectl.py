"""`kubectl autoscale` builds an `autoscaling/v1` HorizontalPodAutoscaler in kubectl 1.32: the
console prints the very object the real binary prints (client dry run, on the canned API of
test_hpa_against_kubectl.py)."""

from __future__ import annotations

import pytest

from .fakeapi import have_kubectl
from .side_by_side import assert_prints_what_kubectl_prints
from .test_hpa_against_kubectl import _api

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

LINES = [
    "autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10 --dry-run=client -o yaml",
    "autoscale deployment/php-apache --max=3 --dry-run=client -o json",
    "autoscale deployment/php-apache --max=4 --name=other --dry-run=client -o name",
]


@pytest.mark.parametrize("line", LINES)
def test_autoscale_dry_run_prints_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
