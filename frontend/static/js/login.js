// Login: the token goes in a POST body once; the server answers with an HttpOnly cookie.

import { api } from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

async function checkAlreadyIn() {
  try {
    const status = await api.get("/api/auth/status");
    if (!status.token_required || status.authenticated) location.replace("/");
  } catch {
    /* stay on the page; the form reports errors when used */
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const token = form.elements.token.value.trim();
  if (!token) return;
  try {
    await api.post("/api/auth/login", { token });
    location.replace("/");
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
    form.elements.token.select();
  }
});

checkAlreadyIn();
