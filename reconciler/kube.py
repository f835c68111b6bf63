"""The Kubernetes API (I/O edge): the DatabaseSync resource's names and a maintained client.

Clients come from lightkube: in a cluster, the service account (its token is re-read when
the kubelet rotates it); else ``RECONCILER_KUBE_URL`` (plain HTTP, for tests and local
development), else the usual kubeconfig. The operator and the CLI's Kubernetes approval
source use the same configuration, so they talk to one API server.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lightkube import AsyncClient, Client, KubeConfig

__all__ = [
    "APPROVAL_PREFIX",
    "GROUP",
    "KIND",
    "PACKAGE_LABEL",
    "PLURAL",
    "REQUESTED_AT",
    "VERSION",
    "async_client",
    "database_sync",
    "kube_config",
    "sync_client",
]

GROUP, VERSION, PLURAL, KIND = (
    "reconciler.neonsync.dev",
    "v1alpha1",
    "databasesyncs",
    "DatabaseSync",
)
APPROVAL_PREFIX = "approve.reconciler.neonsync.dev/"
REQUESTED_AT = "reconcile.reconciler.neonsync.dev/requested-at"
# a ConfigMap made by `reconcile package` carries this label (value: the environment), so
# the operator watches exactly those and re-runs the DatabaseSyncs that read them
PACKAGE_LABEL = "reconciler.neonsync.dev/package"


def kube_config() -> KubeConfig:
    from lightkube import KubeConfig
    from lightkube.config.models import Cluster, User

    url = os.environ.get("RECONCILER_KUBE_URL")
    if url:  # no credentials: a local API server or a proxy (`kubectl proxy`) in front of one
        return KubeConfig.from_one(cluster=Cluster(server=url.rstrip("/")), user=User())
    return KubeConfig.from_env()


@cache
def database_sync() -> Any:
    """lightkube's class for the DatabaseSync custom resource."""
    from lightkube.generic_resource import create_namespaced_resource

    return create_namespaced_resource(GROUP, VERSION, KIND, PLURAL)


def sync_client() -> Client:
    from lightkube import Client

    return Client(kube_config(), field_manager="neon-reconciler")


def async_client() -> AsyncClient:
    from lightkube import AsyncClient

    return AsyncClient(kube_config(), field_manager="neon-reconciler")
