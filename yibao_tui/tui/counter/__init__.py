"""The service window (``yibao counter``): clerk login, the shared views, audit and operators."""
