"""DataLoaders, made per request so no cache outlives it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

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


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.unit = DataLoader[int, Unit | None](load_fn=self._units)
        self.history = DataLoader[int, list[ReviewAction]](load_fn=self._history)
        self.user = DataLoader[int, User | None](load_fn=self._users)
        self.blockers = DataLoader[Registration, list[Blocker]](load_fn=self._blockers,
                                                                 cache_key_fn=lambda r: r.id)
        self.photo = DataLoader[int, Photo | None](load_fn=self._photos)

    def clear(self) -> None:
        for loader in (self.unit, self.history, self.user, self.blockers, self.photo):
            loader.clear_all()

    async def _units(self, ids: Sequence[int]) -> list[Unit | None]:
        found = units_by_id(self._context.session, list(ids))
        return [found.get(i) for i in ids]

    async def _history(self, ids: Sequence[int]) -> list[list[ReviewAction]]:
        found = history(self._context.session, list(ids))
        return [found[i] for i in ids]

    async def _users(self, ids: Sequence[int]) -> list[User | None]:
        found = users_by_id(self._context.session, list(ids))
        return [found.get(i) for i in ids]

    async def _photos(self, ids: Sequence[int]) -> list[Photo | None]:
        found = photos_by_registration(self._context.session, ids)
        return [found.get(i) for i in ids]

    async def _blockers(self, records: Sequence[Registration]) -> list[list[Blocker]]:
        found = blockers_for(self._context.session, records)
        return [found[r.id] for r in records]
