"""kube-controller-manager: the controllers of one process, sharing one informer factory."""

from __future__ import annotations

import random
from typing import Any

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock
from .base import ControllerContext, InformerFactory
from .clusterrole_aggregation import ClusterRoleAggregationController
from .cronjob import CronJobController
from .daemonset import DaemonSetController
from .deployment import DeploymentController
from .disruption import DisruptionController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .garbage_collector import GarbageCollector
from .horizontal_pod_autoscaler import HorizontalPodAutoscalerController
from .job import JobController
from .namespace import NamespaceController
from .node_lifecycle import NodeLifecycleController
from .persistentvolume import PersistentVolumeController
from .persistentvolume_protection import PVCProtectionController, PVProtectionController
from .podgc import PodGCController
from .replicaset import ReplicaSetController
from .resourcequota import ResourceQuotaController
from .service_lb import ServiceLoadBalancerController
from .serviceaccounts import ServiceAccountsController
from .statefulset import StatefulSetController
from .taint_eviction import TaintEvictionController
from .ttl_after_finished import TTLAfterFinishedController


class ControllerManager:
    """kube-controller-manager: the controllers, sharing one informer factory."""

    def __init__(self, server: APIServer, clock: Clock, rng: random.Random, metrics: Any = None) -> None:
        self.informers = InformerFactory(
            server, User("system:kube-controller-manager", "kube-controller-manager")
        )
        ctx = self.ctx = ControllerContext(server, clock, rng, self.informers)
        ctx.metrics = metrics  # what the HPA controller reads pods' usage from
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
            ServiceLoadBalancerController(ctx),
            DisruptionController(ctx),
            HorizontalPodAutoscalerController(ctx),
            DaemonSetController(ctx),
            StatefulSetController(ctx),
            PersistentVolumeController(ctx),
            PVCProtectionController(ctx),
            PVProtectionController(ctx),
            JobController(ctx),
            TTLAfterFinishedController(ctx),
            CronJobController(ctx),
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
