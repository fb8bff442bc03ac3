// A dataset or Hub repo id as the page checks it before asking the server: the server's
// rules (leisaac_core.dataset.spec.validate_repo_id), each problem said in the page's words
// and named by the field's label.

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EXAMPLE = "e.g. alice/pick_orange";

// The problem with `value` as a repo id, or null when it is one.
export function repoIdProblem(value, label = "Dataset repo id") {
  const id = value.trim();
  if (!id) return `${label}: enter namespace/name (your Hugging Face user or organisation, then a name), ${EXAMPLE}.`;
  if (/\s/.test(id)) {
    const suggestion = id.replace(/\s+/g, "_");
    return `${label} “${id}” has spaces; use _ or - instead, e.g. ${suggestion}.`;
  }
  const parts = id.split("/");
  if (parts.length !== 2) {
    return `${label} “${id}” needs exactly one “/” between a namespace and a name, ${EXAMPLE}.`;
  }
  const [namespace, name] = parts;
  if (!namespace) return `${label} “${id}” has no namespace before the “/”, ${EXAMPLE} (it is a name, not a folder).`;
  if (!name) return `${label} “${id}” has no name after the “/”, ${EXAMPLE}.`;
  for (const part of parts) {
    const bad = [...part].find((c) => !/[A-Za-z0-9._-]/.test(c));
    if (bad) return `${label}: “${bad}” is not allowed; use letters, digits, “.”, “_” or “-”.`;
    if (!PART.test(part)) return `${label}: “${part}” must start with a letter or a digit.`;
    if (part.includes("..") || part.endsWith(".")) return `${label}: “${part}” may not contain “..” or end with “.”.`;
    if (part.length > 96) return `${label}: “${part.slice(0, 20)}…” is longer than 96 characters.`;
  }
  return null;
}
