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
  const box = document.getElementById("v-q");
  // A refusal opens the folded section it sits in and brings the first one into view.
  const err = document.querySelector("#desk-work .field-error, form.outcome-form .field-error");
  if (err) {
    for (let d = err.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    const f = err.closest(".field, fieldset, label, .search");
    const input = f && f.querySelector("input:not([type=hidden]), select, textarea");
    err.scrollIntoView({block: "center"});
    if (input) input.focus({preventScroll: true});
  }
  // A unit number in several estates: the estate choice appears beside it as soon as it is typed.
  const unit = document.getElementById("v-unit");
  const choice = document.getElementById("estate-choice");
  if (unit && choice && box) {
    unit.addEventListener("change", async () => {
      const u = `/reception/estates?station=${box.dataset.station}&unit_number=${encodeURIComponent(unit.value.trim())}`;
      const r = await fetch(u, {credentials: "same-origin"});
      if (r.ok) choice.innerHTML = await r.text();
    });
  }
  // Visitor search while typing: the results fragment replaces the list (Find still works without JS).
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
