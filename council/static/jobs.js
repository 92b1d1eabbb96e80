"use strict";
// A job's page follows its progress: the bar, the count and the step are read from
// /jobs/<id>/status every second; when the job ends the page reloads to show the download or
// the error. A file, not inline script (the Content-Security-Policy runs none); without script
// the page refreshes itself (<meta refresh> in <noscript>) and has a plain Refresh link.
(function () {
  const box = document.getElementById("job");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") return;
  const url = box.dataset.status;
  const bar = document.getElementById("job-progress");
  const pct = document.getElementById("job-percent");
  const count = document.getElementById("job-count");
  const state = document.getElementById("job-state");
  const msg = document.getElementById("job-message");
  let last = -1;
  async function poll() {
    try {
      const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) { setTimeout(poll, 5000); return; }
      const s = await r.json();
      if (s.percent >= last) {  // the bar never goes back
        last = s.percent;
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        pct.textContent = s.percent + "%";
      }
      if (count && s.total) count.textContent = s.done + " / " + s.total;
      state.textContent = s.state_label;
      if (s.message) msg.textContent = s.message;
      if (s.finished) { window.location.reload(); return; }
    } catch (e) { /* the server is restarting: try again a little later */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
