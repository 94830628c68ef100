// Keeps the status page live: fetches the server-rendered fragment once a
// second and swaps it in (the page works without this, as plain tables and
// forms).  Program buttons post with fetch, so the page does not reload.
"use strict";
(function () {
  const live = document.getElementById("live");
  if (!live || !window.fetch) return;
  let busy = false;
  let refreshed = 0;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const r = await fetch("/?fragment=1", {credentials: "same-origin", cache: "no-store"});
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
    try {
      await fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams(new FormData(form)).toString(),
      });
    } finally {
      await refresh();
    }
  });

  setInterval(refresh, 1000);
})();
