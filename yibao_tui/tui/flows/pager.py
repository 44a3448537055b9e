"""The statement pager: keyset cursors, filters, "page 3 of 12" (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from yibao_tui.domain.models import StatementPage

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend


@dataclass(frozen=True, slots=True)
class StatementFilter:
    """What the statement is narrowed to (``None``: no bound)."""

    date_from: str | None = None
    date_to: str | None = None
    kind: str | None = None


class StatementPager:
    """One keyset page of one person's statement at a time, never the whole history.

    ``cursors[i]`` opens page ``i + 1`` (``None`` opens the first); moving back pops a cursor,
    so paging back and forth asks the backend for one page each time.
    """

    def __init__(self, backend: Backend, who: str, page_size: int = 50) -> None:
        self.backend = backend
        self.who = who
        self.page_size = max(1, page_size)
        self.filter = StatementFilter()
        self.cursors: list[str | None] = [None]
        self.page: StatementPage | None = None
        #: Entries the filter matches (counted on the first page), for "第 3 / 12 页".
        self.total: int | None = None

    # --- where we are ---------------------------------------------------------------------------

    @property
    def number(self) -> int:
        """The page shown, from 1."""
        return len(self.cursors)

    @property
    def pages(self) -> int | None:
        """How many pages the filter's entries fill (``None`` until counted); at least 1."""
        if self.total is None:
            return None
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        """Whether an older page follows."""
        return self.page is not None and bool(self.page.next_cursor)

    @property
    def has_prev(self) -> bool:
        """Whether a newer page comes before."""
        return len(self.cursors) > 1

    # --- moving ---------------------------------------------------------------------------------

    async def first(
        self, filter: StatementFilter | None = None, page_size: int | None = None
    ) -> StatementPage:
        """The newest page (with a new filter or page size when given), counting the total."""
        if filter is not None:
            self.filter = filter
        if page_size is not None:
            self.page_size = max(1, page_size)
        self.cursors = [None]
        return await self._load(count=True)

    def adopt(self, page: StatementPage, page_size: int) -> None:
        """Take a first page read before the view existed (the app's start-up prefetch)."""
        self.filter = StatementFilter()
        self.page_size = max(1, page_size)
        self.cursors = [None]
        self.page = page
        if page.total is not None:
            self.total = page.total

    async def next(self) -> StatementPage | None:
        """The next (older) page; ``None`` (and nothing asked) when this is the last."""
        if not self.has_next:
            return None
        assert self.page is not None
        self.cursors.append(self.page.next_cursor)
        try:
            return await self._load()
        except BaseException:
            self.cursors.pop()
            raise

    async def prev(self) -> StatementPage | None:
        """The previous (newer) page; ``None`` when this is the first."""
        if not self.has_prev:
            return None
        gone = self.cursors.pop()
        try:
            return await self._load()
        except BaseException:
            self.cursors.append(gone)
            raise

    async def reload(self) -> StatementPage:
        """The page shown, read again (after a payment, a new page size keeps the start)."""
        return await self._load(count=self.total is None)

    async def _load(self, count: bool = False) -> StatementPage:
        f = self.filter
        page = await self.backend.statement(
            self.who,
            date_from=f.date_from,
            date_to=f.date_to,
            kind=f.kind,
            cursor=self.cursors[-1],
            limit=self.page_size,
            with_total=count,
        )
        self.page = page
        if count:
            self.total = page.total
        return page
