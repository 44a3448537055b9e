"""The modes that stand in front of the public: ``yibao counter`` and ``yibao kiosk``."""
