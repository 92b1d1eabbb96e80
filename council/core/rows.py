"""The row a query returns: a dict whose columns also read as attributes.

Templates write `r.title`. Jinja looks an attribute up first and the item second, so for a plain
dict every `r.title` raised and caught an AttributeError before finding the key — a tenth of the
case list's time (issue 19). A Row answers the attribute directly; everything else about it is a
dict (a dict's own methods still win over a column of the same name, as they did in templates)."""

from __future__ import annotations


class Row(dict):
    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
