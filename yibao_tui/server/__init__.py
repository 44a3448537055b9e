"""The reference HTTP server (``yibao serve``): the local ledger under ``/v1`` for other machines.

Optional: needs the ``server`` extra (Starlette, uvicorn). Nothing here is imported by the TUI;
``create_app`` lives in ``yibao_tui.server.app``. The contract is ``openapi.json`` next to this
file (served at ``/openapi.json``), generated from ``routes.OPS``.

Modules: ``routes`` (the operations: each calls the backend and nothing else), ``spec`` (how an
operation is declared), ``validate`` (shapes of arguments), ``auth`` (tokens, roles, sessions),
``idempotency`` (the ``Idempotency-Key`` header), ``backends`` (one backend per audit identity),
``errors`` (an error's status, the caller's language, ID numbers masked), ``openapi`` (the
document), ``app`` (the Starlette app), ``cli_commands`` (serve, login, token).
"""
