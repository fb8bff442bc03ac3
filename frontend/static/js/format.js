// Small formatting helpers shared by the views.

export function seconds(value, digits = 1) {
  if (value == null || !Number.isFinite(value)) return "–";
  return `${value.toFixed(digits)} s`;
}

export function bytes(value) {
  if (value == null || !Number.isFinite(value)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function number(value, digits = 1) {
  if (value == null || !Number.isFinite(value)) return "–";
  return value.toFixed(digits);
}

export function clock(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return d.toLocaleTimeString([], { hour12: false });
}

// Build an element: el("td", {class: "x", text: "hi"}, child...)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
