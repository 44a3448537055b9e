"""What every kiosk screen shares: a title bar with the masked holder, big back / end buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.i18n import t

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend
    from yibao_tui.domain.models import Person
    from yibao_tui.tui.kiosk.app import KioskApp


def holder_line(person: Person) -> Text:
    """``吴*  440***********0038`` (always masked at a kiosk)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(mask_name(person.name), style="bold")
    text.append("  ")
    text.append(mask_id(person.id))
    return text


class KioskScreen(Screen[Any]):
    """A screen of a signed-in session: subclasses implement ``compose_body``."""

    TITLE_KEY: ClassVar[str] = "mode.kiosk.title"
    BINDINGS = [
        Binding("escape", "back", "mode.kiosk.key.back"),
        Binding("f10", "end", "mode.kiosk.key.end"),
    ]
    #: Show the back button (the home screen has none).
    BACK: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        _translate(self)

    @property
    def kapp(self) -> KioskApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def backend(self) -> Backend:
        """The kiosk's backend (channel ``kiosk``)."""
        return self.kapp.backend

    @property
    def holder(self) -> Person | None:
        """The signed-in card holder."""
        session = self.kapp.session
        return session.person if session else None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="kiosk-top"):
            yield Static(Text(t(self.TITLE_KEY), style="bold"), classes="kiosk-title")
            holder = self.holder
            yield Static(holder_line(holder) if holder else Text(""), classes="kiosk-holder")
        yield from self.compose_body()
        with Horizontal(classes="kiosk-bottom"):
            if self.BACK:
                yield Button(t("mode.kiosk.back"), id="back", classes="kiosk-nav")
            yield Button(t("mode.kiosk.end"), id="end", variant="error", classes="kiosk-nav")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No back key where there is nothing to go back to."""
        return self.BACK if action == "back" else True

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Back to the previous screen (the home screen stays)."""
        if self.BACK and len(self.app.screen_stack) > 2:
            self.dismiss(None)

    @on(Button.Pressed, "#end")
    def action_end(self) -> None:
        """结束服务: the session ends at once."""
        self.kapp.end_session(t("mode.kiosk.ended"))

    def say_error(self, target: Static, err: BaseException) -> None:
        """A refusal in words, with any ID masked."""
        target.update(Text("✗ " + kiosk_error_text(err), style="bold red"))

    async def load_flow(self, flow: Any, target: Static) -> bool:
        """``await flow.load()`` (what the flow needs from the backend first); a failure is
        said in ``target`` and gives ``False``."""
        try:
            await flow.load()
        except Exception as err:  # noqa: BLE001
            self.say_error(target, err)
            return False
        return True


def kiosk_error_text(err: BaseException) -> str:
    """The error for the public: masked, and no echo of a typed card or ID."""
    from yibao_tui.domain.errors import YibaoError
    from yibao_tui.tui.widgets.common import error_text

    if isinstance(err, YibaoError) and err.code in (
        "UNKNOWN_PERSON",
        "INVALID_CARD",
        "INVALID_ID_NUMBER",
    ):
        return t("mode.kiosk.unknown_card")
    return error_text(err)


def _translate(node: Any) -> None:
    """Binding descriptions are catalogue keys (``mode.*``)."""
    import dataclasses

    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            dataclasses.replace(b, description=t(b.description))
            if b.description.startswith("mode.")
            else b
            for b in bindings
        ]
