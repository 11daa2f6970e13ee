"""The policies that bind a principal moto authenticated: its identity policies and its boundary."""

from __future__ import annotations

from typing import Any


def identity_policies(access_key: Any) -> list[dict[str, Any]]:
    """The policy documents of a moto access key's user or role (inline, attached, via groups)."""
    from moto.iam.access_control import IAMPolicy

    return [IAMPolicy(policy)._policy_json for policy in access_key.collect_policies()]


def permissions_boundary(access_key: Any) -> dict[str, Any] | None:
    """The boundary document of an assumed role's session, or None when it has none.

    moto keeps no boundary for users, so a user has none. A boundary policy that is gone allows
    nothing, as a missing role's session holds no policy.
    """
    from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy
    from moto.iam.exceptions import NotFoundException

    if not isinstance(access_key, AssumedRoleAccessKey):
        return None
    try:
        arn = access_key.backend.get_role(access_key._owner_role_name).permissions_boundary_arn
        return IAMPolicy(access_key.backend.get_policy(arn))._policy_json if arn else None
    except NotFoundException:
        return {"Statement": []}
