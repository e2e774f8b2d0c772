"""Pure numpy/scipy logic (no bpy, no torch): image decoding, masks and relief geometry."""
