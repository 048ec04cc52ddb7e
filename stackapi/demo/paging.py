"""Paging as nova pages: ``?limit=&marker=``, and a ``next`` link when a page is full.

Also the links of one item (``self`` with the version, ``bookmark`` without).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from stackapi.request import Request

MAX_LIMIT = 1000  # nova's [api] max_limit: a larger ?limit= is cut to this


def page_size(req: Request) -> int:
    """``?limit=`` (validated as digits by the query schema), at most MAX_LIMIT."""
    limit = req.GET.get("limit")
    return MAX_LIMIT if limit is None else min(int(limit), MAX_LIMIT)


def page(req: Request, collection: str, items: list[dict], limit: int, detail: bool) -> dict:
    """``{"servers": items}``, plus ``"servers_links"`` (next) when the page is full."""
    result: dict = {collection: items}
    links = next_links(req, f"{collection}/detail" if detail else collection, items, limit)
    if links:
        result[f"{collection}_links"] = links
    return result


def next_links(req: Request, collection: str, items: list[dict], limit: int) -> list[dict]:
    """``[{"rel": "next", "href": ...}]`` when the page is full, else ``[]`` (as nova).

    The link keeps every query parameter of the request, with ``marker``
    set to the last item's id.
    """
    if not items or len(items) < limit:
        return []
    params = [(k, v) for k, v in req.GET.items() if k != "marker"]
    params.append(("marker", items[-1]["id"]))
    href = f"{req.application_url}/{collection}?{urlencode(params)}"
    return [{"rel": "next", "href": href}]


def bookmark_base(req: Request) -> str:
    """The application URL without its trailing version segment (``.../v2.1`` -> ``...``)."""
    url = req.application_url
    head, _, last = url.rpartition("/")
    return head if re.fullmatch(r"v\d+(\.\d+)?", last) else url


def item_links(req: Request, collection: str, item_id: str) -> list[dict]:
    """nova's two links of an item: ``self`` (versioned) and ``bookmark`` (unversioned)."""
    path = f"{collection}/{quote(item_id, safe='')}"
    return [
        {"rel": "self", "href": f"{req.application_url}/{path}"},
        {"rel": "bookmark", "href": f"{bookmark_base(req)}/{path}"},
    ]
