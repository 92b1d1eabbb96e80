"use strict";
// "Go back" on an error page returns to the page before (a plain link to the home page without JS).
// A file, not an inline handler: the Content-Security-Policy runs no inline script.
document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-back]");
  if (a && window.history.length > 1) {
    ev.preventDefault();
    window.history.back();
  }
});
