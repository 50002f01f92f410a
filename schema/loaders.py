"""Batch loaders, made per request so no cache outlives it.

Resolvers stay synchronous (a query runs start to finish in one worker thread, see
schema/__init__.py), so batching cannot wait for the event loop the way an async
DataLoader does. Instead a list announces what its items may need (`expect`), and
the first item that needs it loads it for all of them in one statement: a page
costs the same number of statements at any size, and a field nobody selected
costs none.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from app.accounts.models import User
from app.accounts.service import users_by_id
from app.documents.models import Photo
from app.documents.service import photos_by_registration
from app.registrations.blockers import Blocker, blockers_for
from app.registrations.models import Registration
from app.registrations.service import history
from app.reviews.models import ReviewAction
from app.units.models import Unit
from app.units.service import units_by_id

if TYPE_CHECKING:
    from schema.context import Context

K = TypeVar("K")
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    """`load(key)` fetches the key together with every key `expect`ed and not loaded yet."""

    def __init__(self, fetch: Callable[[list[K]], Mapping[Hashable, V]], *, missing: Callable[[], V],
                 cache_key: Callable[[K], Hashable] = lambda key: key) -> None:
        self._fetch = fetch
        self._missing = missing
        self._cache_key = cache_key
        self._found: dict[Hashable, V] = {}
        self._pending: dict[Hashable, K] = {}

    def expect(self, keys: Iterable[K]) -> None:
        for key in keys:
            cache_key = self._cache_key(key)
            if cache_key not in self._found:
                self._pending[cache_key] = key

    def load(self, key: K) -> V:
        cache_key = self._cache_key(key)
        if cache_key not in self._found:
            self._pending[cache_key] = key
            batch, self._pending = self._pending, {}
            found = self._fetch(list(batch.values()))
            for wanted in batch:
                self._found[wanted] = found[wanted] if wanted in found else self._missing()
        return self._found[cache_key]

    def clear(self) -> None:
        self._found.clear()
        self._pending.clear()


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.unit = BatchLoader[int, Unit | None](self._units, missing=lambda: None)
        self.history = BatchLoader[int, list[ReviewAction]](self._history, missing=list)
        self.user = BatchLoader[int, User | None](self._users, missing=lambda: None)
        self.blockers = BatchLoader[Registration, list[Blocker]](self._blockers, missing=list,
                                                                  cache_key=lambda r: r.id)
        self.photo = BatchLoader[int, Photo | None](self._photos, missing=lambda: None)

    def expect_registrations(self, records: Sequence[Registration]) -> None:
        """A list of registrations: whatever one of them needs is loaded for all of them at once."""
        self.unit.expect(r.unit_id for r in records)
        self.photo.expect(r.id for r in records)
        self.history.expect(r.id for r in records)
        self.blockers.expect(records)

    def clear(self) -> None:
        for loader in (self.unit, self.history, self.user, self.blockers, self.photo):
            loader.clear()

    def _units(self, ids: list[int]) -> Mapping[int, Unit]:
        return units_by_id(self._context.session, ids)

    def _history(self, ids: list[int]) -> Mapping[int, list[ReviewAction]]:
        found = history(self._context.session, ids)
        self.user.expect(a.actor_id for actions in found.values() for a in actions if a.actor_id is not None)
        return found

    def _users(self, ids: list[int]) -> Mapping[int, User]:
        return users_by_id(self._context.session, ids)

    def _photos(self, ids: list[int]) -> Mapping[int, Photo]:
        return photos_by_registration(self._context.session, ids)

    def _blockers(self, records: list[Registration]) -> Mapping[int, list[Blocker]]:
        return blockers_for(self._context.session, records)
