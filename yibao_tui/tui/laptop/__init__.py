"""The laptop app (``yibao``): F2–F5 over the shared views, help and the command palette."""
