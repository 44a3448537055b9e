"""The self-service kiosk (``yibao kiosk``): locked down, PIN sign-in, its own screens."""
