"""The studio as an MCP server: one set of tools over two backends.

`tools.build_server` defines the tools once over the small `Backend` protocol.
`local.LocalBackend` calls the services in-process, for the streamable HTTP
endpoint the studio mounts at /mcp (`http.py`); `remote.RemoteBackend` calls a
studio's public HTTP API, for `fvs mcp` over stdio (`stdio.py`).
"""
