"""`python3 -m kubesim.standins.nginx.binary ARGS`: /usr/sbin/nginx itself, without the
image's entrypoint, as `kubectl exec POD -- nginx -s quit` runs it."""

import sys

from kubesim.standins.nginx._server import run_nginx, version

sys.exit(run_nginx(sys.argv[1:], version()))
