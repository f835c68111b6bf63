"""The Kubernetes operator: DatabaseSync resources reconciled by kopf through the one engine.

``handlers`` registers the kopf handlers and turns each engine outcome into a status;
``status`` is the pure outcome -> status mapping (conditions keep their transition time);
``cluster`` reads Secrets and ConfigMaps and requests runs through lightkube;
``annotations`` decides admission of approval annotations; ``metrics`` serves Prometheus
metrics and readiness. (Manifests travel in a ConfigMap made by ``reconciler.manifest.package``.)
"""

from reconciler.kube import (
    APPROVAL_PREFIX,
    GROUP,
    KIND,
    PACKAGE_LABEL,
    PLURAL,
    REQUESTED_AT,
    VERSION,
)

__all__ = ["APPROVAL_PREFIX", "GROUP", "KIND", "PACKAGE_LABEL", "PLURAL", "REQUESTED_AT", "VERSION"]
