"""Helpers of the mode tests: settling, rendered text, and the full-ID pattern."""

from __future__ import annotations

import re
from typing import Any

ID18 = re.compile(r"\d{17}[\dX]")


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let screen switches, workers and the workers they start finish."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def click(pilot: Any, selector: str) -> None:
    """``pilot.click`` in a task of its own context. The pilot hit-tests in the calling task, which
    sets Textual's ``visible_screen_stack`` context variable there: that task (not the app) then
    holds the screens under the pointer. After a click, the app's memory is checked by walking
    its attributes; the weak-reference checks use keys."""
    import asyncio
    import contextvars

    await asyncio.create_task(pilot.click(selector), context=contextvars.copy_context())


def screen_text(app: Any) -> str:
    """Everything painted on the terminal (the SVG export's text, markup removed)."""
    import contextvars
    import html

    # In a copy of the context: rendering sets Textual's ``visible_screen_stack`` context
    # variable, which would otherwise keep this test's task holding on to the screens.
    svg = contextvars.copy_context().run(app.export_screenshot)
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


def widget_texts(app: Any) -> str:
    """The content of every widget of every screen in the stack, rendered or not."""
    out: list[str] = []
    for screen in app.screen_stack:
        for w in screen.walk_children(with_self=True):
            for attr in ("content", "renderable", "value", "placeholder", "_content", "visual"):
                v = getattr(w, attr, None)
                if v is not None:
                    out.append(getattr(v, "plain", None) or str(v))
            try:
                out.append(str(w.render()))
            except Exception:  # noqa: BLE001 - not renderable off-screen
                pass
    return "\n".join(out)


def find_in_memory(root: Any, needles: list[str], max_depth: int = 7, limit: int = 400_000) -> list[str]:
    """Paths from ``root`` (attributes, containers) to any string containing a needle, or to a
    ``Person`` record. Modules, classes and functions are not followed."""
    import types
    from collections import deque

    from yibao_tui.domain.models import Person

    hits: list[str] = []
    seen: set[int] = set()
    queue: deque[tuple[Any, str, int]] = deque([(root, "app", 0)])
    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    while queue and len(seen) < limit:
        obj, path, depth = queue.popleft()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if any(n in obj for n in needles):
                hits.append(path)
            continue
        if obj is None or isinstance(obj, (int, float, bytes, *skip)):
            continue
        if isinstance(obj, Person):
            hits.append(path + " (Person)")
            continue
        if depth >= max_depth:
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(obj, dict):
            for k, v in list(obj.items()):
                children.append((f"[{k!r}]"[:60], k))
                children.append((f"[{k!r}]"[:60], v))
        elif isinstance(obj, list | tuple | set | frozenset | deque):
            children.extend((f"[{i}]", v) for i, v in enumerate(list(obj)))
        else:
            attrs = getattr(obj, "__dict__", None)
            if isinstance(attrs, dict):
                children.extend((f".{k}", v) for k, v in list(attrs.items()))
            for cls in type(obj).__mro__:
                for slot in getattr(cls, "__slots__", ()):
                    if isinstance(slot, str) and hasattr(obj, slot):
                        children.append((f".{slot}", getattr(obj, slot, None)))
        for name, child in children:
            queue.append((child, path + name, depth + 1))
    return hits


def burst(app: Any, text: str) -> None:
    """Type ``text`` as a badge scanner or a password manager does: every key at once, without
    waiting for the app between keys (``pilot.press`` waits for idle after each). ``\\t`` is
    Tab and ``\\n`` is Enter."""
    from textual import events
    from textual.keys import _character_to_key

    driver = app._driver
    for ch in text:
        if ch == "\t":
            key, char = "tab", "\t"
        elif ch == "\n":
            key, char = "enter", "\r"
        else:
            key, char = (ch if ch.isalnum() else _character_to_key(ch)), ch
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
