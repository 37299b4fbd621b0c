"""`python3 -m kubesim.standins.curl [curl] ARGS`: the image's entrypoint."""

import sys

from kubesim.standins.curl._curl import entrypoint

sys.exit(entrypoint(sys.argv[1:]))
