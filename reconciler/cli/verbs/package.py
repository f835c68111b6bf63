"""reconcile package: the ConfigMap a DatabaseSync reads, as YAML."""

from __future__ import annotations

import argparse

from reconciler.cli.common import request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="ConfigMap name (default reconciler-<env>)")
    p.add_argument("--namespace", default="default", help="ConfigMap namespace (default default)")


def run(args: argparse.Namespace) -> int:
    """Write the ConfigMap (YAML, to stdout) that a DatabaseSync's source.configMapRef points at.

    It holds the environment file and every file it loads (migrations, config, forum map),
    and is labelled reconciler.neonsync.dev/package, so the operator re-runs the
    DatabaseSyncs that read it as soon as `kubectl apply` changes it.
    """
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    from reconciler.engine import EXIT_OK, package

    cm = package(request(args), args.name or f"reconciler-{args.env}", args.namespace)
    data = cm["data"]
    assert isinstance(data, dict)
    cm["data"] = {k: LiteralScalarString(v) if "\n" in v else v for k, v in data.items()}
    out = io.StringIO()
    YAML().dump(cm, out)
    print(out.getvalue(), end="")
    return EXIT_OK
