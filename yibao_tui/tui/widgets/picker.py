"""A choice from a short list, drawn like Textual's ``Select``; the list opens in a dialog.

``Select`` composes its drop-down list (an ``OptionList`` with every option) up front, with three
more stylesheets to parse: about 10 ms of the first screen's start-up (BENCHMARKS.md). This one
is a single widget; its list is built only when it is opened. Labels are plain text.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Picker(Widget, can_focus=True):
    """``全部类型 ▼``: Enter, space, down or a click open the list; ``value`` is the choice."""

    DEFAULT_CSS = """
    Picker {
        width: 1fr;
        height: 3;
        padding: 0 2;
        border: tall $border-blurred;
        background: $surface;
        color: $foreground;
        pointer: pointer;
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
        }
        &.-empty {
            color: $foreground 50%;
        }
    }
    """
    BINDINGS = [Binding("enter,space,down", "open", show=False)]

    #: The chosen value; ``None`` is the prompt ("all").
    value: reactive[str | None] = reactive(None, init=False)

    class Changed(Message):
        """The choice changed (by the user or by setting ``value``)."""

        def __init__(self, picker: Picker, value: str | None) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> Picker:
            """The picker (for ``@on(Picker.Changed, "#id")``)."""
            return self.picker

    def __init__(
        self, options: list[tuple[str, str]], *, prompt: str, title: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="-empty")
        #: ``(label, value)`` pairs in the order shown.
        self.options = options
        self.prompt = prompt
        self.title = title

    def label(self) -> str:
        """What the picker shows: the chosen option's label, else the prompt."""
        for label, value in self.options:
            if value == self.value:
                return label
        return self.prompt

    def render(self) -> Text:
        width = max(2, self.content_size.width)
        text = Text(self.label(), no_wrap=True, overflow="ellipsis", end="")
        text.truncate(width - 2, overflow="ellipsis")
        text.append(" " * (width - 1 - text.cell_len))
        text.append("▼", style="dim")
        return text

    def watch_value(self, value: str | None) -> None:
        self.set_class(value is None, "-empty")
        self.refresh()
        self.post_message(self.Changed(self, value))

    def clear(self) -> None:
        """Back to the prompt."""
        self.value = None

    def action_open(self) -> None:
        """The list in a dialog; Enter chooses, Esc keeps the choice."""
        from yibao_tui.tui.widgets.dialogs import PickerDialog

        def chosen(result: tuple[str | None] | None) -> None:
            if result is not None:
                self.value = result[0]
            self.focus()

        options: list[tuple[str, str | None]] = [(self.prompt, None), *self.options]
        self.app.push_screen(PickerDialog(self.title or self.prompt, options, self.value), chosen)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_open()
