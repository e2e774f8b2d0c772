"""Depth engines behind one interface (see backends.py); torch is imported only by engines that need it."""
