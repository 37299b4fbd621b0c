"""The `nginx` image's stand-in (docker.io/library/nginx): see `_server` for what it does."""
