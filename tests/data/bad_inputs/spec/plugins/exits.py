import sys

sys.exit(0)  # a plugin that ends the process when imported (issue 26)
