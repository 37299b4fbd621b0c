"""The Kubernetes protobuf request bodies kubectl's typed clients send, decoded to JSON.

`decode` walks the wire format; `tables` holds the generated field tables per message.
"""
