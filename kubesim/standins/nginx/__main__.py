"""`python3 -m kubesim.standins.nginx [nginx -g 'daemon off;']`: the image's entrypoint."""

from kubesim.standins._program import exit_now
from kubesim.standins.nginx._server import main

exit_now(main())
