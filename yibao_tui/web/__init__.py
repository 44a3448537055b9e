"""``yibao kiosk --web``: the locked-down kiosk in a browser, served through textual-serve.

``server`` runs the web server (one kiosk process per browser connection, loopback unless asked
otherwise); ``session`` is the command each connection starts. Nothing here imports Textual at
the top: the server never runs a Textual app itself.
"""
