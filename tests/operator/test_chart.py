"""The Helm chart, rendered offline with helm-python-sdk and checked with kubernetes-validate (strict)."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.conftest import REPO

CHART = REPO / "charts/neon-reconciler"
K8S = "1.30"
# kinds from other CRDs (cert-manager, kopf) have no schema in kubernetes-validate
FOREIGN = {"Certificate", "Issuer", "ClusterKopfPeering"}

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "namespaced-own-tls": {
        "replicaCount": 1,
        "watchNamespaces": ["forum", "billing"],
        "webhook": {
            "certManager": {"enabled": False},
            "tls": {"secretName": "my-tls", "caBundle": "Q0E="},
        },
        "audit": {"secretName": "audit-hook"},
        "manifests": {"configMapName": "reconciler-prod"},
        "image": {"repository": "registry.example.com/nr", "tag": "1.2.3", "pullPolicy": "Always"},
        "extraEnv": [{"name": "LOG_LEVEL", "value": "debug"}],
        "nodeSelector": {"pool": "ops"},
    },
    "no-webhook": {"webhook": {"enabled": False}},
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        out = chart.render(values, name="nr", namespace="ops")
    docs = []
    for name, text in out.items():
        if name.endswith(".yaml"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_chart_renders_valid_manifests(variant: str) -> None:
    docs = render(VARIANTS[variant])
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service"} <= kinds
    for d in docs:
        if d["kind"] not in FOREIGN:
            kubernetes_validate.validate(d, K8S, strict=True)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert (
        pod["securityContext"]["runAsNonRoot"] is True
        and c["securityContext"]["readOnlyRootFilesystem"] is True
    )
    assert (
        c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        and c["resources"]["limits"]["memory"]
    )
    assert c["args"][0] == "operator"
    webhook = any(d["kind"] == "ValidatingWebhookConfiguration" for d in docs)
    assert webhook is (variant != "no-webhook")
    for d in docs:
        for rule in d.get("rules", []) if d["kind"] in ("ClusterRole", "Role") else []:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
            if "secrets" in rule["resources"]:
                assert rule["verbs"] == ["get"]  # never listed or watched: only the named ones
            if "configmaps" in rule["resources"]:
                assert rule["verbs"] == ["get", "list", "watch"]


def test_namespaced_variant_uses_roles_and_own_tls() -> None:
    docs = render(VARIANTS["namespaced-own-tls"])
    roles = [d for d in docs if d["kind"] == "Role"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["billing", "forum"]
    cluster = next(d for d in docs if d["kind"] == "ClusterRole")
    assert all(
        "secrets" not in r["resources"] for r in cluster["rules"]
    )  # secrets only per namespace
    hook = next(d for d in docs if d["kind"] == "ValidatingWebhookConfiguration")
    assert hook["webhooks"][0]["clientConfig"]["caBundle"] == "Q0E="
    assert not any(d["kind"] == "Certificate" for d in docs)
    args = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]["args"]
    assert "--namespace=forum" in args and "--namespace=billing" in args


@pytest.mark.parametrize(
    "bad",
    [
        {"replicaCount": 0},
        {"bogus": 1},
        {"webhook": {"failurePolicy": "Maybe"}},
        {"webhook": {"certManager": {"enabled": False}}},
    ],
)
def test_bad_values_are_rejected(bad: dict[str, Any]) -> None:
    from helm_python.errors import HelmError

    with pytest.raises(HelmError):  # values.schema.json, or the template's own fail
        render(bad)


def crd() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "crds/databasesync.yaml").read_text()))


def test_crd_is_valid_and_the_chart_ships_the_same_one() -> None:
    kubernetes_validate.validate(crd(), K8S, strict=True)
    assert (CHART / "crds/databasesync.yaml").read_text() == (
        REPO / "crds/databasesync.yaml"
    ).read_text()
    for d in yaml.safe_load_all((CHART / "crds/kopf-peering.yaml").read_text()):
        kubernetes_validate.validate(d, K8S, strict=True)
    version = crd()["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "Phase",
        "Plan",
        "Approvals",
        "Last Applied",
        "Age",
    ]


def _schema() -> dict[str, Any]:
    return dict(crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def test_sample_databasesync_matches_the_crd_schema() -> None:
    sample = yaml.safe_load((REPO / "examples/databasesync-prod.yaml").read_text())
    jsonschema.validate(sample, _schema())
    bad = {**sample, "spec": {**sample["spec"], "interval": "soon"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _schema())
    both = {
        **sample,
        "spec": {**sample["spec"], "source": {"configMapRef": {"name": "x"}, "path": "/m"}},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(both, _schema())
