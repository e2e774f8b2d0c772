"""The work from a drawing (or a sheet) to arrays, with no Blender in it: what the operators run in their
worker thread and the CLI runs directly. drawing: one image → a relief; sheet: a sheet → a relief per
view and a solid."""
