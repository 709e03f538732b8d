"""ComfyUI's REST endpoints behind one small class: explicit timeouts on every call.

Network failures become `ComfyUnavailable`; other non-2xx answers become `ComfyError`
carrying the status. It keeps no state about prompts: `ComfyClient` (client.py) holds one
of these next to the WebSocket router and the watches.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import requests

from worker.comfy.errors import ComfyError, ComfyUnavailable

# Network failures that mean "ComfyUI is not answering" (not bugs in our request).
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class ComfyHttp:
    """Stateless REST calls to one ComfyUI server (injectable base URL and session)."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self._own_session = session is None

    def close(self) -> None:
        """Close the HTTP session if we created it."""
        if self._own_session:
            self._session.close()

    # ---- prompts, queue and history ----------------------------------------------------------
    def post_prompt(self, body: dict) -> tuple[bool, dict]:
        """POST /prompt; (accepted, answer): a 400 is ComfyUI's verdict on the graph, no fault."""
        resp = self._request("POST", "/prompt", json=body)
        if resp.status_code == 400:
            return False, self._json(resp, "POST /prompt")
        self._check(resp, "POST /prompt")
        return True, self._json(resp, "POST /prompt")

    def delete_queued(self, prompt_ids: list[str]) -> None:
        """Remove prompts from ComfyUI's pending queue (running ones are not touched)."""
        self._check(self._request("POST", "/queue", json={"delete": prompt_ids}), "POST /queue")

    def interrupt(self, prompt_id: str) -> None:
        """Interrupt one running prompt (targeted: a bare /interrupt stops whatever runs)."""
        resp = self._request("POST", "/interrupt", json={"prompt_id": prompt_id})
        self._check(resp, "POST /interrupt")

    def get_history(self, prompt_id: str) -> dict | None:
        """The history entry of a finished prompt; None while queued, running or unknown."""
        resp = self._request("GET", f"/history/{quote(prompt_id, safe='')}")
        self._check(resp, "GET /history")
        return self._json(resp, "GET /history").get(prompt_id) or None

    def get_queue(self) -> tuple[list[str], list[str]]:
        """(running prompt ids, pending prompt ids in the order ComfyUI will run them)."""
        resp = self._request("GET", "/queue")
        self._check(resp, "GET /queue")
        data = self._json(resp, "GET /queue")
        running = [item[1] for item in data.get("queue_running") or []]
        # queue_pending is ComfyUI's raw heap, not sorted: the smallest number runs first.
        pending = [item[1] for item in sorted(data.get("queue_pending") or [], key=lambda i: i[0])]
        return running, pending

    def queue_remaining(self) -> int:
        """Prompts pending + running in ComfyUI (all clients)."""
        resp = self._request("GET", "/prompt")
        self._check(resp, "GET /prompt")
        return int(self._json(resp, "GET /prompt")["exec_info"]["queue_remaining"])

    # ---- files ---------------------------------------------------------------------------
    def upload_image(
        self, data: bytes, filename: str, subfolder: str = "studio", overwrite: bool = True
    ) -> str:
        """Upload an input image; returns the value for LoadImage's `image` input ("sub/name")."""
        form = {
            "subfolder": subfolder,
            "type": "input",
            "overwrite": "true" if overwrite else "false",
        }
        return self._upload("/upload/image", data, filename, form)

    def upload_mask(
        self,
        data: bytes,
        filename: str,
        original: dict,
        subfolder: str = "studio",
        overwrite: bool = True,
    ) -> str:
        """Upload a painted mask for an uploaded image (`original`: {filename, subfolder,
        type} as /upload/image named it): ComfyUI writes the image's RGB with the mask's alpha
        to `filename`. Returns the LoadImage value of that file ("sub/name")."""
        form = {
            "original_ref": json.dumps(original),
            "subfolder": subfolder,
            "type": "input",
            "overwrite": "true" if overwrite else "false",
        }
        return self._upload("/upload/mask", data, filename, form)

    def _upload(self, path: str, data: bytes, filename: str, form: dict) -> str:
        """POST one multipart `image` to an upload route; the LoadImage value of what ComfyUI
        wrote ("sub/name": it may rename the file)."""
        what = f"POST {path}"
        resp = self._request("POST", path, files={"image": (filename, data)}, data=form)
        self._check(resp, what)
        answer = self._json(resp, what)
        name, sub = answer["name"], answer.get("subfolder") or ""
        return f"{sub}/{name}" if sub else name

    def download(self, image: dict, *, timeout: float | None = None) -> bytes:
        """Bytes of one output file ({filename, subfolder, type}) through /view."""
        params = {
            "filename": image["filename"],
            "subfolder": image.get("subfolder") or "",
            "type": image.get("type") or "output",
        }
        resp = self._request("GET", "/view", params=params, timeout=timeout)
        self._check(resp, f"GET /view {params['subfolder']}/{params['filename']}")
        return resp.content

    def download_outputs(
        self, outputs: dict, *, timeout: float | None = None
    ) -> list[tuple[dict, bytes]]:
        """Every file of every output node (images, and any other file lists), in node order."""
        files = []
        for ui in outputs.values():
            for items in (ui or {}).values():
                if not isinstance(items, list):
                    continue
                for item in items:
                    if isinstance(item, dict) and item.get("filename"):
                        files.append((item, self.download(item, timeout=timeout)))
        return files

    # ---- server info ---------------------------------------------------------------------
    def list_model_folders(self) -> list[str]:
        """Model folder keys ComfyUI knows (checkpoints, loras, ...)."""
        return self._get_json("/models")

    def list_models(self, folder: str) -> list[str]:
        """File names in one model folder; an unknown folder gives []."""
        resp = self._request("GET", f"/models/{quote(folder, safe='')}")
        if resp.status_code == 404:
            return []
        self._check(resp, f"GET /models/{folder}")
        return self._json(resp, f"GET /models/{folder}")

    def view_metadata(self, folder: str, filename: str) -> dict | None:
        """A model file's safetensors `__metadata__`; None when ComfyUI has none for it (404:
        not a .safetensors file, not in the folder, or no metadata) or answers no object."""
        path = f"/view_metadata/{quote(folder, safe='')}"
        resp = self._request("GET", path, params={"filename": filename})
        if resp.status_code == 404:
            return None
        self._check(resp, f"GET {path}")
        data = self._json(resp, f"GET {path}")
        return data if isinstance(data, dict) else None

    def object_info(self, node_class: str | None = None) -> dict:
        """Node schemas: all classes, or `{class: schema}` for one ({} if unknown)."""
        path = "/object_info" + (f"/{quote(node_class, safe='')}" if node_class else "")
        return self._get_json(path)

    def system_stats(self) -> dict:
        """GET /system_stats (versions, devices, memory)."""
        return self._get_json("/system_stats")

    def ping(self) -> bool:
        """True when ComfyUI answers /system_stats."""
        try:
            self.system_stats()
        except ComfyUnavailable:
            return False
        return True

    # ---- internals -----------------------------------------------------------------------
    def _request(
        self, method: str, path: str, *, timeout: float | None = None, **kwargs
    ) -> requests.Response:
        limit = self.timeout if timeout is None else timeout
        try:
            resp = self._session.request(method, self.base_url + path, timeout=limit, **kwargs)
        except requests.Timeout as exc:
            raise ComfyUnavailable(
                f"ComfyUI at {self.base_url} did not answer {method} {path} within {limit:g} s"
            ) from exc
        except _NETWORK_ERRORS as exc:
            raise ComfyUnavailable(
                f"ComfyUI at {self.base_url} unreachable ({method} {path}): {type(exc).__name__}"
            ) from exc
        if resp.status_code >= 500:
            raise ComfyUnavailable(
                f"ComfyUI answered {resp.status_code} to {method} {path}", status=resp.status_code
            )
        return resp

    def _get_json(self, path: str):
        resp = self._request("GET", path)
        self._check(resp, f"GET {path}")
        return self._json(resp, f"GET {path}")

    @staticmethod
    def _check(resp: requests.Response, what: str) -> None:
        if not resp.ok:
            raise ComfyError(
                f"{what}: ComfyUI answered HTTP {resp.status_code}", status=resp.status_code
            )

    @staticmethod
    def _json(resp: requests.Response, what: str):
        try:
            return resp.json()
        except ValueError as exc:
            raise ComfyError(
                f"{what}: ComfyUI answered HTTP {resp.status_code} with a body that is not JSON",
                status=resp.status_code,
            ) from exc
