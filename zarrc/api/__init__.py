"""The user-facing functions: create and open arrays and groups from store-like arguments."""

from zarrc.api.creation import (
    array,
    create_array,
    empty,
    empty_like,
    from_array,
    full,
    full_like,
    ones,
    ones_like,
    open,
    open_array,
    open_like,
    zeros,
    zeros_like,
)
from zarrc.api.groups import create_group, group, open_group, tree

__all__ = [
    "array",
    "create_array",
    "create_group",
    "empty",
    "empty_like",
    "from_array",
    "full",
    "full_like",
    "group",
    "ones",
    "ones_like",
    "open",
    "open_array",
    "open_group",
    "open_like",
    "tree",
    "zeros",
    "zeros_like",
]
