// REST helper: JSON in and out, readable errors, and a 401 anywhere sends the operator to /login.

export class ApiError extends Error {
  constructor(status, message, data = null) {
    super(message);
    this.status = status;
    this.data = data; // the JSON body, for errors that carry more than a message
  }
}

// FastAPI answers {detail: "text"} or, for invalid fields, {detail: [{loc, msg}, ...]}.
// `name` turns a field's path ("repo_id", "session.episodes") into the words of the surface
// that shows it (the label of its control); pydantic's "Value error, " prefix is dropped.
export function describeDetail(detail, name = (loc) => loc) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        const loc = (d.loc || []).filter((p) => p !== "body").join(".");
        const msg = String(d.msg ?? "").replace(/^(Value|Assertion) error, /, "");
        return loc ? `${name(loc)}: ${msg}` : msg;
      })
      .join("\n");
  }
  return detail == null ? "" : JSON.stringify(detail);
}

export function goToLogin() {
  if (location.pathname !== "/login") location.assign("/login");
}

export async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, `the server cannot be reached (${err.message})`);
  }
  if (response.status === 401 && !path.startsWith("/api/auth/")) {
    goToLogin();
    throw new ApiError(401, "log in first");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const message = data && typeof data === "object" ? describeDetail(data.detail) : String(data || "");
    throw new ApiError(
      response.status,
      message || `${method} ${path} failed with HTTP ${response.status}`,
      data && typeof data === "object" ? data : null,
    );
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body ?? {}),
  put: (path, body) => request("PUT", path, body ?? {}),
  del: (path) => request("DELETE", path),
};
