// REST calls with the signed-in token; failures become ApiError with the hub's error body
// (status, code, message, field — docs/rest.md).
import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = {};
  const token = await session.accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const e = json?.error ?? {};
    throw new ApiError(r.status, e.code ?? "http", e.message ?? `HTTP ${r.status}`, e.field);
  }
  return json;
}
