"""Objects of the CIO forum for the authorization matrix: one forum per test (tests/community/scenario.py)."""
from __future__ import annotations

from flask import g

from tests.authz.providers import provides


def _forum():  # type: ignore[no-untyped-def]
    if "community_forum" not in g:
        from tests.community.scenario import build

        g.community_forum = build()
    return g.community_forum


@provides("community_body")
def community_body(owner: str) -> str:
    return str(_forum().body_id)


@provides("community_meeting")
def community_meeting(owner: str) -> str:
    return str(_forum().past_id)


@provides("community_item")
def community_item(owner: str) -> str:
    return str(_forum().closed_item)


@provides("community_material")
def community_material(owner: str) -> str:
    return str(_forum().closed_material)


@provides("community_amendment")
def community_amendment(owner: str) -> str:
    return str(_forum().amendment_id)


@provides("community_action")
def community_action(owner: str) -> str:
    return str(_forum().action_id)


@provides("community_nonmember")
def community_nonmember(owner: str) -> str:
    _forum()
    return "131016"  # 千代田区, not a member of the test forum
