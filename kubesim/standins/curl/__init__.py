"""The `curlimages/curl` image's stand-in: see `_curl` for what it does."""
