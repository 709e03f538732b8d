"""The ComfyUI client: `client.ComfyClient` composes the REST calls (`http`), the one
WebSocket (`ws`) and the watched prompts it feeds (`watch`, `state`, `progress`,
`reconcile`); every exception it raises is in `errors`."""
