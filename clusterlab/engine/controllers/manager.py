"""kube-controller-manager: the controllers of one process, sharing one informer factory."""

from __future__ import annotations

import random

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock
from .base import ControllerContext, InformerFactory
from .clusterrole_aggregation import ClusterRoleAggregationController
from .deployment import DeploymentController
from .disruption import DisruptionController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .garbage_collector import GarbageCollector
from .namespace import NamespaceController
from .node_lifecycle import NodeLifecycleController
from .podgc import PodGCController
from .replicaset import ReplicaSetController
from .resourcequota import ResourceQuotaController
from .serviceaccounts import ServiceAccountsController
from .taint_eviction import TaintEvictionController


class ControllerManager:
    """kube-controller-manager: the controllers, sharing one informer factory."""

    def __init__(self, server: APIServer, clock: Clock, rng: random.Random) -> None:
        self.informers = InformerFactory(
            server, User("system:kube-controller-manager", "kube-controller-manager")
        )
        ctx = self.ctx = ControllerContext(server, clock, rng, self.informers)
        self.controllers = [
            ReplicaSetController(ctx),
            DeploymentController(ctx),
            GarbageCollector(ctx),
            NodeLifecycleController(ctx),
            NamespaceController(ctx),
            TaintEvictionController(ctx),
            PodGCController(ctx),
            ResourceQuotaController(ctx),
            ClusterRoleAggregationController(ctx),
            ServiceAccountsController(ctx),
            EndpointsController(ctx),
            EndpointSliceController(ctx),
            DisruptionController(ctx),
        ]
        self.running = False

    def start(self) -> None:
        self.running = True
        self.informers.start()
        for c in self.controllers:
            c.start()

    def stop(self) -> None:
        """The process exits: controllers stop working and the caches are gone."""
        self.running = False
        for c in self.controllers:
            c.stop()
        self.informers.stop()
