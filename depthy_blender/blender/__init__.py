"""The Blender layer (bpy only, thin): settings, operators, panel, and array ↔ datablock conversion."""
