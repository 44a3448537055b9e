"""The one app host under every surface (language, F-keys, masking, errors, idle, theme,
printing) and the idle clock."""
