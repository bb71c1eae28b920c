raise RuntimeError("broken at load")  # a plugin whose import fails (issue 26)
