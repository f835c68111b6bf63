"""The admission rule for approval annotations ``approve.reconciler.neonsync.dev/<approver>: <hash>``.

Username rule: the approver named by a Kubernetes username is what follows its last ``:``
up to any ``@`` (``oidc:alice@example.com`` -> ``alice``, ``alice`` -> ``alice``). Service
accounts and other ``system:`` users never approve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.approvals import annotation_approvals

__all__ = ["admission_verdict", "approver_of"]


def approver_of(username: str) -> str | None:
    if not username or username.startswith("system:"):
        return None
    return username.rsplit(":", 1)[-1].split("@", 1)[0] or None


def admission_verdict(
    old: Mapping[str, str] | None,
    new: Mapping[str, str] | None,
    username: str,
    approvers: Sequence[str],
) -> tuple[bool, str]:
    """May this user make this change to the approval annotations? Removing is always allowed."""
    before, after = annotation_approvals(old), annotation_approvals(new)
    changed = sorted(k for k, v in after.items() if before.get(k) != v)
    if not changed:
        return True, "no new or changed approvals"
    me = approver_of(username)
    for approver in changed:
        if me is None:
            return (
                False,
                f"{username or 'this user'} cannot approve: service accounts and system users never approve",
            )
        if approver != me:
            return (
                False,
                f"{username} may not approve as {approver!r}: an approval annotation must name yourself ({me!r})",
            )
        if approver not in approvers:
            return (
                False,
                f"{approver!r} is not on the environment's approver list ({', '.join(approvers) or 'empty'})",
            )
    return True, f"approval by {me} admitted"
