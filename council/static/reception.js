"use strict";
// The outcome radios show only the fields that outcome needs (without JS every field shows).
document.addEventListener("change", (ev) => {
  const r = ev.target;
  if (r.name === "outcome" && r.form) r.form.dataset.outcome = r.value;
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.outcome-form").forEach((f) => {
    const c = f.querySelector("input[name=outcome]:checked");
    f.dataset.outcome = c ? c.value : "queue";
    f.classList.add("js");
  });
  // Visitor search while typing: the results fragment replaces the list (Find still works without JS).
  const box = document.getElementById("v-q");
  if (box) {
    let t;
    box.addEventListener("input", () => {
      clearTimeout(t);
      t = setTimeout(async () => {
        if (box.value.trim().length < 1) return;
        const u = `/reception/visitors?station=${box.dataset.station}&q=${encodeURIComponent(box.value.trim())}`;
        const r = await fetch(u, {credentials: "same-origin"});
        if (r.ok) document.getElementById("found").innerHTML = await r.text();
      }, 250);
    });
  }
});
