"""Depth engines behind one interface (models/engine.py; the registry is models/engines.py); torch is
imported only by engines that need it."""
