"""One Textual-free flow per use case; the laptop, counter and kiosk screens only lay them out.

A flow holds the state of one use case and talks to the ``Backend``; it never imports Textual
(an import-linter contract says so), so it is unit-tested without an app. A view forwards what
the user did (``choose``, ``answer``, ``next``) and draws what the flow says.
"""
