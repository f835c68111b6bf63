"""The Kubernetes operator: DatabaseSync resources reconciled by kopf through the one engine.

``handlers`` registers the kopf handlers; ``kube`` reads Secrets and ConfigMaps and writes
status and Events; ``annotations`` counts approval annotations and decides admission;
``metrics`` serves Prometheus metrics and readiness. (Manifests travel in a ConfigMap made
by ``reconciler.manifest.package``.)
"""

GROUP, VERSION, PLURAL, KIND = (
    "reconciler.neonsync.dev",
    "v1alpha1",
    "databasesyncs",
    "DatabaseSync",
)
APPROVAL_PREFIX = "approve.reconciler.neonsync.dev/"
REQUESTED_AT = "reconcile.reconciler.neonsync.dev/requested-at"
