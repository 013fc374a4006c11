// The finding rows of a screening round's record form: add a blank row from the <template>,
// remove a row. Kept in a file (no inline script, for a strict CSP).
(function () {
  "use strict";

  function init(form) {
    var rows = form.querySelector("[data-rows]");
    var template = form.querySelector("template[data-row-template]");
    var add = form.querySelector("[data-add-row]");
    if (!rows || !template || !add) { return; }
    var next = parseInt(add.getAttribute("data-next") || "0", 10) || 0;
    var nil = form.querySelector("input[name='nil_return']");

    add.addEventListener("click", function () {
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__N__/g, String(next++)));
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input[type='text']");
      if (first) { first.focus(); }
      if (nil) { nil.checked = false; }
    });
    rows.addEventListener("click", function (e) {
      var button = e.target.closest("[data-remove-row]");
      if (button) { button.closest("[data-row]").remove(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-findings-form]").forEach(init);
  });
})();
