"""`python3 -m kubesim.standins.nginx [nginx -g 'daemon off;']`: the image's entrypoint."""

import sys

from kubesim.standins.nginx._server import main

sys.exit(main())
