"""A loopback Hugging Face Hub-compatible HTTP server, for tests only.

No installable server accepts Hub uploads offline, so this implements the part of the Hub API
that a dataset push and a `snapshot_download` use (see docs in /work/shared/reference/hub.md):
repo create, preupload, the LFS "basic" transfer (batch, PUT, verify), ndjson commits, branches,
tags, refs, revision info, tree listing, resolve and validate-yaml. It checks bearer tokens
(write / read roles) and can inject faults (HTTP errors or a dropped connection on the Nth
request of a kind) so tests can cut a push off half-way.

Xet is not implemented: tests set HF_HUB_DISABLE_XET=1 so large files use LFS "basic".
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

GITATTRIBUTES = (
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.mp4 filter=lfs diff=lfs merge=lfs -text\n"
)


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob (what the Hub reports as a regular file's oid)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def oid(self) -> str:
        """git blob id: of the content for regular files, of the pointer file for LFS files."""
        if not self.lfs:
            return git_blob_sha1(self.data)
        return git_blob_sha1(self.lfs_pointer())

    def lfs_pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {len(self.data)}\n"
        ).encode()


@dataclass
class Commit:
    oid: str
    parent: str | None
    summary: str
    files: dict[str, StoredFile]


@dataclass
class Repo:
    repo_id: str
    repo_type: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        oid = self.branches.get(rev) or self.tags.get(rev) or rev
        return self.commits.get(oid)


@dataclass
class Fault:
    """Fail requests of one kind: the `nth` such request (1-based) and the `times - 1` after it.

    kind: create | preupload | lfs_batch | lfs_upload | lfs_verify | commit | tag | tree | resolve
    status: HTTP status to answer with, or None to drop the connection without an answer.
    """

    kind: str
    nth: int = 1
    times: int = 1
    status: int | None = 500


@dataclass(frozen=True)
class Token:
    user: str
    write: bool


class HubState:
    """Everything the server knows; all access under one lock."""

    def __init__(self, lfs_threshold: int) -> None:
        self.lock = threading.Lock()
        self.lfs_threshold = lfs_threshold
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.tokens: dict[str, Token] = {}
        self.faults: list[Fault] = []
        self.request_counts: Counter[str] = Counter()
        self.lfs_uploads: list[str] = []  # oids whose bytes arrived by PUT, in order
        self.commit_count = 0
        self._commit_serial = 0

    def new_commit_oid(self) -> str:
        self._commit_serial += 1
        return hashlib.sha1(f"commit {self._commit_serial}".encode()).hexdigest()


class FakeHub:
    """Runs the server on 127.0.0.1:<free port> in a daemon thread.

    Use as a context manager; `endpoint` is the base URL to hand to HfApi(endpoint=...).
    """

    def __init__(self, *, lfs_threshold: int = 10 * 1024 * 1024) -> None:
        self.state = HubState(lfs_threshold)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.hub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -------------------------------------------------------------------
    def add_token(self, token: str, *, user: str, write: bool = True) -> None:
        with self.state.lock:
            self.state.tokens[token] = Token(user=user, write=write)

    def inject(self, fault: Fault) -> None:
        with self.state.lock:
            self.state.faults.append(fault)

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        with self.state.lock:
            return self.state.repos[(repo_type, repo_id)]

    def files_at(
        self, repo_id: str, rev: str = "main", repo_type: str = "dataset"
    ) -> dict[str, bytes]:
        with self.state.lock:
            commit = self.state.repos[(repo_type, repo_id)].resolve(rev)
            assert commit is not None, f"no revision {rev!r} in {repo_id}"
            return {path: f.data for path, f in commit.files.items()}


class _HttpError(Exception):
    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


class _DropConnection(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request stderr logging."""

    # -- plumbing ------------------------------------------------------------------------
    @property
    def hub(self) -> FakeHub:
        return self.server.hub  # type: ignore[attr-defined]

    @property
    def state(self) -> HubState:
        return self.hub.state

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        # Split before unquoting: a quoted revision may contain "%2F".
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        try:
            self._route(method, parts, query)
        except _DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except _HttpError as err:
            self._send_json(err.status, {"error": err.message}, error_code=err.error_code)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(
        self,
        status: int,
        payload: Any,
        *,
        error_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        extra = dict(headers or {})
        if error_code:
            extra["X-Error-Code"] = error_code
        if status >= 400:
            extra["X-Error-Message"] = str(payload.get("error", ""))
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _fault_check(self, kind: str, body_read: bool) -> None:
        """Count this request and fail it if a fault targets it."""
        with self.state.lock:
            self.state.request_counts[kind] += 1
            count = self.state.request_counts[kind]
            fault = next(
                (
                    f
                    for f in self.state.faults
                    if f.kind == kind and f.nth <= count < f.nth + f.times
                ),
                None,
            )
        if fault is None:
            return
        if fault.status is None:
            if not body_read:
                # Take part of the body so the client sees the connection die mid-upload.
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(min(length, 1024))
            raise _DropConnection()
        if not body_read:
            self._read_body()
        raise _HttpError(fault.status, f"Injected fault on {kind} request #{count}")

    # -- auth ----------------------------------------------------------------------------
    def _token(self) -> Token | None:
        header = self.headers.get("Authorization", "")
        if not header:
            return None
        if not header.startswith("Bearer "):
            raise _HttpError(401, "Invalid credentials in Authorization header")
        token = self.state.tokens.get(header.removeprefix("Bearer ").strip())
        if token is None:
            raise _HttpError(401, "Invalid credentials in Authorization header")
        return token

    def _require_write(self, namespace: str) -> Token:
        token = self._token()
        if token is None:
            raise _HttpError(401, "You must be authenticated to write")
        if not token.write:
            raise _HttpError(403, "This token has read access only; a write token is required")
        if namespace != token.user:
            raise _HttpError(
                403, f"You don't have the rights to write to the namespace {namespace}"
            )
        return token

    def _get_repo(self, repo_type: str, repo_id: str, *, write: bool = False) -> Repo:
        namespace = repo_id.split("/")[0]
        token = self._require_write(namespace) if write else self._token()
        with self.state.lock:
            repo = self.state.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and (token is None or token.user != namespace)):
            raise _HttpError(404, "Repository not found", "RepoNotFound")
        return repo

    # -- routing -------------------------------------------------------------------------
    def _route(self, method: str, parts: list[str], query: dict[str, list[str]]) -> None:
        if parts[:2] == ["api", "whoami-v2"] and method == "GET":
            return self._whoami()
        if parts[:3] == ["api", "repos", "create"] and method == "POST":
            return self._create_repo()
        if parts[:2] == ["api", "validate-yaml"] and method == "POST":
            return self._validate_yaml()
        if parts[:1] == ["_lfs"] and len(parts) == 5:
            return self._lfs_object(method, f"{parts[1]}/{parts[2]}", parts[3], parts[4])
        if len(parts) >= 4 and parts[0] == "api" and parts[1] in ("datasets", "models", "spaces"):
            repo_type = parts[1][:-1]
            repo_id = f"{parts[2]}/{parts[3]}"
            return self._repo_api(method, repo_type, repo_id, parts[4:], query)
        if len(parts) >= 3 and parts[0] == "datasets" and parts[2].endswith(".git"):
            repo_id = f"{parts[1]}/{parts[2].removesuffix('.git')}"
            if parts[3:] == ["info", "lfs", "objects", "batch"] and method == "POST":
                return self._lfs_batch("dataset", repo_id)
        if len(parts) >= 5 and parts[0] == "datasets" and parts[3] == "resolve":
            repo_id = f"{parts[1]}/{parts[2]}"
            path = "/".join(unquote(p) for p in parts[5:])
            return self._resolve(method, "dataset", repo_id, unquote(parts[4]), path)
        raise _HttpError(404, f"FakeHub has no route for {method} /{'/'.join(parts)}")

    def _repo_api(
        self,
        method: str,
        repo_type: str,
        repo_id: str,
        rest: list[str],
        query: dict[str, list[str]],
    ) -> None:
        action = rest[0] if rest else ""
        rev = unquote(rest[1]) if len(rest) > 1 else "main"
        if action == "" and method == "GET":
            return self._repo_info(repo_type, repo_id, "main")
        if action == "revision" and method == "GET":
            return self._repo_info(repo_type, repo_id, rev)
        if action == "refs" and method == "GET":
            return self._refs(repo_type, repo_id)
        if action == "tree" and method == "GET":
            sub = "/".join(unquote(p) for p in rest[2:])
            return self._tree(repo_type, repo_id, rev, sub, query)
        if action == "preupload" and method == "POST":
            return self._preupload(repo_type, repo_id, rev)
        if action == "commit" and method == "POST":
            return self._commit(repo_type, repo_id, rev)
        if action == "branch" and method == "POST":
            return self._create_ref(repo_type, repo_id, "branch", rev)
        if action == "tag" and method == "POST":
            return self._create_ref(repo_type, repo_id, "tag", rev)
        if action == "tag" and method == "DELETE":
            return self._delete_tag(repo_type, repo_id, rev)
        raise _HttpError(404, f"FakeHub has no repo route for {method} {action}")

    # -- handlers ------------------------------------------------------------------------
    def _whoami(self) -> None:
        token = self._token()
        if token is None:
            raise _HttpError(401, "Invalid user token")
        role = "write" if token.write else "read"
        self._send_json(
            200, {"type": "user", "name": token.user, "auth": {"accessToken": {"role": role}}}
        )

    def _create_repo(self) -> None:
        body = json.loads(self._read_body() or b"{}")
        self._fault_check("create", body_read=True)
        name = body.get("name")
        repo_type = body.get("type") or "model"
        if not name:
            raise _HttpError(400, "name is required")
        token = self._token()
        namespace = body.get("organization") or (token.user if token else None)
        if namespace is None:
            raise _HttpError(401, "You must be authenticated to create a repo")
        self._require_write(namespace)
        repo_id = f"{namespace}/{name}"
        private = body.get("visibility") == "private" or bool(body.get("private"))
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.endpoint}/{prefix}{repo_id}"
        with self.state.lock:
            if (repo_type, repo_id) in self.state.repos:
                conflict = True
            else:
                conflict = False
                repo = Repo(repo_id=repo_id, repo_type=repo_type, private=private)
                oid = self.state.new_commit_oid()
                repo.commits[oid] = Commit(
                    oid,
                    None,
                    "initial commit",
                    {".gitattributes": StoredFile(GITATTRIBUTES, False)},
                )
                repo.branches["main"] = oid
                self.state.repos[(repo_type, repo_id)] = repo
        if conflict:
            self._send_json(409, {"error": "You already created this repo", "url": url})
        else:
            self._send_json(200, {"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self) -> None:
        body = json.loads(self._read_body() or b"{}")
        content = body.get("content", "")
        if content.startswith("---"):
            header = content.split("---", 2)[1]
            try:
                meta = yaml.safe_load(header)
            except yaml.YAMLError as exc:
                raise _HttpError(400, f"Invalid YAML in README.md metadata: {exc}") from exc
            if meta is not None and not isinstance(meta, dict):
                raise _HttpError(400, "README.md metadata must be a YAML mapping")
        self._send_json(200, {"errors": [], "warnings": []})

    def _repo_info(self, repo_type: str, repo_id: str, rev: str) -> None:
        repo = self._get_repo(repo_type, repo_id)
        with self.state.lock:
            commit = repo.resolve(rev)
            if commit is None:
                raise _HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            siblings = [{"rfilename": p} for p in sorted(commit.files)]
        self._send_json(
            200,
            {
                "id": repo_id,
                "_id": repo_id,
                "private": repo.private,
                "sha": commit.oid,
                "siblings": siblings,
                "tags": [],
            },
        )

    def _refs(self, repo_type: str, repo_id: str) -> None:
        repo = self._get_repo(repo_type, repo_id)
        with self.state.lock:
            branches = [
                {"name": n, "ref": f"refs/heads/{n}", "targetCommit": c}
                for n, c in repo.branches.items()
            ]
            tags = [
                {"name": n, "ref": f"refs/tags/{n}", "targetCommit": c}
                for n, c in repo.tags.items()
            ]
        self._send_json(200, {"branches": branches, "tags": tags, "converts": []})

    def _tree(
        self, repo_type: str, repo_id: str, rev: str, sub: str, query: dict[str, list[str]]
    ) -> None:
        self._fault_check("tree", body_read=True)
        repo = self._get_repo(repo_type, repo_id)
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        with self.state.lock:
            commit = repo.resolve(rev)
            if commit is None:
                raise _HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            files = dict(commit.files)
        prefix = f"{sub.strip('/')}/" if sub.strip("/") else ""
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if not recursive and "/" in rest:
                folders.add(prefix + rest.split("/")[0])
                continue
            if recursive:
                pieces = rest.split("/")[:-1]
                for i in range(len(pieces)):
                    folders.add(prefix + "/".join(pieces[: i + 1]))
            stored = files[path]
            entry: dict[str, Any] = {
                "type": "file",
                "oid": stored.oid,
                "size": len(stored.data),
                "path": path,
            }
            if stored.lfs:
                entry["lfs"] = {
                    "oid": stored.sha256,
                    "size": len(stored.data),
                    "pointerSize": len(stored.lfs_pointer()),
                }
            entries.append(entry)
        if prefix and not entries and not folders:
            raise _HttpError(404, f"Path {sub} not found", "EntryNotFound")
        dirs = [
            {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
            for d in sorted(folders)
        ]
        self._send_json(200, dirs + entries)

    def _preupload(self, repo_type: str, repo_id: str, rev: str) -> None:
        body = json.loads(self._read_body() or b"{}")
        self._fault_check("preupload", body_read=True)
        repo = self._get_repo(repo_type, repo_id, write=True)
        with self.state.lock:
            commit = repo.resolve(rev)
            current = dict(commit.files) if commit else {}
        answer = []
        for item in body.get("files", []):
            path = item["path"]
            mode = "lfs" if int(item["size"]) >= self.state.lfs_threshold else "regular"
            existing = current.get(path)
            remote_oid = None
            if existing is not None:
                remote_oid = existing.sha256 if mode == "lfs" else git_blob_sha1(existing.data)
            answer.append(
                {"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": remote_oid}
            )
        self._send_json(200, {"files": answer, "commitOid": commit.oid if commit else None})

    def _lfs_batch(self, repo_type: str, repo_id: str) -> None:
        body = json.loads(self._read_body() or b"{}")
        self._fault_check("lfs_batch", body_read=True)
        self._get_repo(repo_type, repo_id, write=True)
        objects = []
        for obj in body.get("objects", []):
            oid, size = obj["oid"], int(obj["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            with self.state.lock:
                present = oid in self.state.lfs_objects
            if not present:
                base = f"{self.hub.endpoint}/_lfs/{quote(repo_id, safe='/')}/{oid}"
                entry["actions"] = {
                    "upload": {"href": f"{base}/upload", "header": {}},
                    "verify": {"href": f"{base}/verify", "header": {}},
                }
            objects.append(entry)
        payload = {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}
        self._send(200, json.dumps(payload).encode(), "application/vnd.git-lfs+json")

    def _lfs_object(self, method: str, repo_id: str, oid: str, action: str) -> None:
        if action == "upload" and method == "PUT":
            self._fault_check("lfs_upload", body_read=False)
            data = self._read_body()
            if hashlib.sha256(data).hexdigest() != oid:
                raise _HttpError(400, f"Uploaded bytes do not match sha256 {oid}")
            with self.state.lock:
                self.state.lfs_objects[oid] = data
                self.state.lfs_uploads.append(oid)
            return self._send(200, b"", "text/plain")
        if action == "verify" and method == "POST":
            body = json.loads(self._read_body() or b"{}")
            self._fault_check("lfs_verify", body_read=True)
            with self.state.lock:
                data = self.state.lfs_objects.get(body.get("oid", oid))
            if data is None or len(data) != int(body.get("size", -1)):
                raise _HttpError(404, f"LFS object {oid} was not uploaded")
            return self._send_json(200, {"success": True})
        raise _HttpError(404, f"No LFS action {action}")

    def _commit(self, repo_type: str, repo_id: str, rev: str) -> None:
        raw = self._read_body()
        self._fault_check("commit", body_read=True)
        repo = self._get_repo(repo_type, repo_id, write=True)
        lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise _HttpError(400, "A commit must start with a header line")
        header = lines[0]["value"]
        with self.state.lock:
            if rev not in repo.branches:
                raise _HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            parent = repo.commits[repo.branches[rev]]
            if header.get("parentCommit") and header["parentCommit"] != parent.oid:
                raise _HttpError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(parent.files)
            for line in lines[1:]:
                key, value = line["key"], line["value"]
                path = value["path"]
                if key == "file":
                    files[path] = StoredFile(base64.b64decode(value["content"]), lfs=False)
                elif key == "lfsFile":
                    data = self.state.lfs_objects.get(value["oid"])
                    if data is None:
                        raise _HttpError(
                            400, f"LFS object {value['oid']} for {path} was never uploaded"
                        )
                    files[path] = StoredFile(data, lfs=True)
                elif key == "deletedFile":
                    if path not in files:
                        raise _HttpError(
                            404, f"A file with this name doesn't exist: {path}", "EntryNotFound"
                        )
                    del files[path]
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    files = {p: f for p, f in files.items() if not p.startswith(prefix)}
                else:
                    raise _HttpError(400, f"Unknown commit operation {key}")
            oid = self.state.new_commit_oid()
            repo.commits[oid] = Commit(oid, parent.oid, header.get("summary", ""), files)
            repo.branches[rev] = oid
            self.state.commit_count += 1
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        self._send_json(
            200,
            {
                "success": True,
                "commitOid": oid,
                "commitUrl": f"{self.hub.endpoint}/{prefix}{repo_id}/commit/{oid}",
            },
        )

    def _create_ref(self, repo_type: str, repo_id: str, kind: str, rev: str) -> None:
        body = json.loads(self._read_body() or b"{}")
        self._fault_check(kind, body_read=True)
        repo = self._get_repo(repo_type, repo_id, write=True)
        with self.state.lock:
            if kind == "tag":
                name, target = body.get("tag"), repo.resolve(rev)
                refs = repo.tags
            else:
                name, target = rev, repo.resolve(body.get("startingPoint") or "main")
                refs = repo.branches
            if not name:
                raise _HttpError(400, f"A {kind} name is required")
            if target is None:
                raise _HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            if name in repo.tags or name in repo.branches:
                raise _HttpError(409, f"Reference {name} already exists")
            refs[name] = target.oid
        self._send_json(200, {})

    def _delete_tag(self, repo_type: str, repo_id: str, tag: str) -> None:
        self._read_body()
        repo = self._get_repo(repo_type, repo_id, write=True)
        with self.state.lock:
            if tag not in repo.tags:
                raise _HttpError(404, f"Invalid rev id: {tag}", "RevisionNotFound")
            del repo.tags[tag]
        self._send_json(200, {})

    def _resolve(self, method: str, repo_type: str, repo_id: str, rev: str, path: str) -> None:
        if method not in ("GET", "HEAD"):
            raise _HttpError(405, "resolve is read-only")
        self._fault_check("resolve", body_read=True)
        repo = self._get_repo(repo_type, repo_id)
        with self.state.lock:
            commit = repo.resolve(rev)
            if commit is None:
                raise _HttpError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            stored = commit.files.get(path)
        if stored is None:
            raise _HttpError(404, f"Entry not found: {path}", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{stored.oid}"', "Accept-Ranges": "bytes"}
        if stored.lfs:
            headers["X-Linked-Etag"] = f'"{stored.sha256}"'
            headers["X-Linked-Size"] = str(len(stored.data))
        data = stored.data
        status = 200
        range_header = self.headers.get("Range", "")
        if range_header.startswith("bytes="):
            start_text, _, end_text = range_header.removeprefix("bytes=").partition("-")
            start = int(start_text or 0)
            end = int(end_text) if end_text else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data = data[start : end + 1]
            status = 206
        self._send(status, data, "application/octet-stream", headers)
