"""What every surface's app shares: the app base (errors, masking, idle) and the idle clock."""
