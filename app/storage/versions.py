"""Reply versions and edit branches: a conversation's messages form a tree (pure functions).

Every message row names its parent (the message before it when it was written). Regenerate
adds a sibling of the reply; editing a user message adds a sibling of that message, so the
old one keeps its whole continuation (a branch, as ChatGPT and LM Studio keep them). Among
siblings one is *active*: the one shown. The conversation shown, and sent to the model, is
the path from the root that always takes the active child:

    id parent active            shown path: 1 → 4 → 5   (message 2 is "1/2" of its
    1  None   1                 siblings 2 and 4, shown as 4: "2/2"; 3 is the reply on
    2  1      0                 the old branch, kept with it)
    3  2      1
    4  1      1
    5  4      1

A node is (id, parent id or None, active). Rows are read tolerantly: a parent that is not in
the conversation makes the row a root; when no sibling is active the newest is shown.
"""

from __future__ import annotations

from typing import NamedTuple


class Node(NamedTuple):
    id: int
    parent: int | None
    active: bool


class Shown(NamedTuple):
    id: int
    version: int  # 1-based position among its siblings, oldest first
    versions: int  # how many siblings (itself included)


def children_of(nodes: list[Node]) -> dict[int | None, list[Node]]:
    """Each node's children in id order (key None: the roots)."""
    ids = {n.id for n in nodes}
    out: dict[int | None, list[Node]] = {}
    for node in sorted(nodes):
        out.setdefault(node.parent if node.parent in ids else None, []).append(node)
    return out


def shown_path(nodes: list[Node]) -> list[Shown]:
    """The path from the root through the active child of each message."""
    children = children_of(nodes)
    path: list[Shown] = []
    seen: set[int] = set()
    key: int | None = None
    while children.get(key):
        siblings = children[key]
        active = [n for n in siblings if n.active]
        pick = (active or siblings)[-1]
        if pick.id in seen:  # a damaged file can make a loop: stop rather than hang
            break
        seen.add(pick.id)
        path.append(Shown(pick.id, siblings.index(pick) + 1, len(siblings)))
        key = pick.id
    return path


def subtree(nodes: list[Node], root: int) -> list[int]:
    """``root`` and every message below it (what deleting it removes)."""
    children = children_of(nodes)
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        if node in out:
            continue
        out.append(node)
        todo.extend(n.id for n in children.get(node, []))
    return out


def siblings(nodes: list[Node], message_id: int) -> list[Node]:
    """The versions of ``message_id``'s turn (itself included), oldest first; [] if unknown."""
    by_id = {n.id: n for n in nodes}
    node = by_id.get(message_id)
    if node is None:
        return []
    return children_of(nodes)[node.parent if node.parent in by_id else None]


def sibling_step(nodes: list[Node], message_id: int, step: int) -> int | None:
    """The sibling ``step`` places after (or before) ``message_id``, or None past the ends."""
    turn = [n.id for n in siblings(nodes, message_id)]
    index = turn.index(message_id) + step if turn else -1
    return turn[index] if 0 <= index < len(turn) else None
