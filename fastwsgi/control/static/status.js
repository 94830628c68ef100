// Keeps the status page live: fetches the server-rendered fragment once a
// second and swaps it in (the page works without this, as plain tables and
// forms).  Program buttons post with fetch, so the page does not reload, and
// the outcome (supervisor's words: OK, NOT_RUNNING, ...) goes to #flash.
//
// URLs are built on location.origin: a page opened as http://user:pw@host/
// has a base URL with credentials, and fetch() refuses any URL resolved
// against it; the browser sends the cached credentials to the origin anyway.
"use strict";
(function () {
  const live = document.getElementById("live");
  const flash = document.getElementById("flash");
  if (!live || !window.fetch) return;
  const origin = window.location.origin;
  let busy = false;
  let refreshed = 0;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const r = await fetch(origin + "/?fragment=1", {credentials: "same-origin", cache: "no-store"});
      if (r.ok) {
        live.innerHTML = await r.text();
        live.classList.remove("stale");
        live.setAttribute("data-refreshed", String(++refreshed));
      } else {
        live.classList.add("stale");
      }
    } catch (e) {
      live.classList.add("stale");
    } finally {
      busy = false;
    }
  }

  live.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    const action = new URL(form.getAttribute("action"), origin);
    try {
      const r = await fetch(action.href, {
        method: "POST", credentials: "same-origin",
        headers: {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams(new FormData(form)).toString(),
      });
      if (flash) {
        if (r.ok) {
          const answer = await r.json();
          flash.textContent = answer.action + " " + answer.program + ": " + answer.result;
        } else {
          flash.textContent = "refused: " + r.status + " " + r.statusText;
        }
      }
    } catch (e) {
      if (flash) flash.textContent = "the server did not answer";
    } finally {
      await refresh();
    }
  });

  setInterval(refresh, 1000);
})();
