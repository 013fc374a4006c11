// Fangtiao page behaviour: kept in a file (no inline script, for a strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Submit filter forms on change of a select, for keyboard and mouse users alike.
  document.querySelectorAll("form.filter-bar select").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });
});
