// Case pages: window intake (channel variants, party grid, keyboard-first entry), the receipt's
// printing, confirmations and focus after htmx swaps. Kept in a file: no inline script (strict CSP).
(function () {
  "use strict";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function hasError(el) {
    return !!el.querySelector(".invalid-feedback");
  }

  function focusable(form) {
    return all("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])", form)
      .filter(function (el) { return el.tabIndex >= 0 && el.offsetParent !== null; });
  }

  function initIntake(form) {
    var channel = form.querySelector("[data-intake-channel]");
    var kind = form.querySelector("[data-intake-kind]");
    var nature = form.querySelector("[data-intake-nature]");
    var headcount = form.querySelector("[data-intake-headcount]");
    var rows = form.querySelector("#party-rows");
    var grid = form.querySelector("#party-grid");
    var template = document.getElementById("party-row-template");
    var repCount = form.querySelector("[data-rep-count]");
    var collectiveNote = form.querySelector("[data-collective-note]");
    var maxReps = 5;

    function showIf(el, visible, clear) {
      if (!visible && hasError(el)) { visible = true; }
      el.hidden = !visible;
      if (!visible && clear) {
        all("select, input", el).forEach(function (input) { input.value = ""; });
      }
    }

    function toggle() {
      var ch = channel ? channel.value : "";
      var k = kind ? kind.value : "";
      var n = nature ? nature.value : "";
      all("[data-show-for]", form).forEach(function (el) {
        showIf(el, el.getAttribute("data-show-for").split(" ").indexOf(ch) >= 0, false);
      });
      all("[data-show-kind]", form).forEach(function (el) {
        showIf(el, el.getAttribute("data-show-kind").split(" ").indexOf(k) >= 0, true);
      });
      all("[data-show-nature]", form).forEach(function (el) {
        showIf(el, k === "petition" && el.getAttribute("data-show-nature").split(" ").indexOf(n) >= 0, true);
      });
    }

    function countReps() {
      var n = all("[data-representative]:checked", rows).length;
      if (repCount) {
        repCount.textContent = String(n);
        repCount.classList.toggle("text-danger", n > maxReps);
      }
      if (collectiveNote && headcount) {
        collectiveNote.hidden = !(parseInt(headcount.value || "0", 10) >= 5);
      }
    }

    function changed() {
      rows.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function addRow(focus) {
      var i = parseInt(rows.getAttribute("data-next-index") || "0", 10);
      rows.setAttribute("data-next-index", String(i + 1));
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__N__/g, String(i)));
      var tr = rows.lastElementChild;
      if (focus) {
        var name = tr.querySelector("input[type=text]");
        if (name) { name.focus(); }
      }
      return tr;
    }

    function removeRow(tr) {
      if (rows.children.length > 1) {
        var next = tr.nextElementSibling || tr.previousElementSibling;
        tr.parentNode.removeChild(tr);
        var input = next && next.querySelector("input[type=text]");
        if (input) { input.focus(); }
      } else {
        all("input[type=text]", tr).forEach(function (input) { input.value = ""; });
        all("input[type=checkbox]", tr).forEach(function (input) { input.checked = false; });
      }
      countReps();
      changed();
    }

    form.addEventListener("change", function (e) {
      if (e.target === channel || e.target === kind || e.target === nature) { toggle(); }
      if (e.target.hasAttribute("data-representative")) { countReps(); }
    });
    form.addEventListener("input", function (e) {
      if (e.target === headcount) { countReps(); }
    });
    form.addEventListener("click", function (e) {
      var add = e.target.closest("[data-add-party]");
      if (add) { e.preventDefault(); addRow(true); return; }
      var remove = e.target.closest("[data-remove-party]");
      if (remove) { e.preventDefault(); removeRow(remove.closest("tr")); }
    });
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
        return;
      }
      if (e.altKey && (e.key === "n" || e.key === "N")) {
        e.preventDefault();
        addRow(true);
        return;
      }
      if (e.key !== "Enter" || e.shiftKey) { return; }
      var t = e.target;
      if (t.tagName === "TEXTAREA" || t.tagName === "BUTTON" || t.tagName === "A") { return; }
      // Enter never submits the form by accident: it moves on, and at the end of the grid adds a row.
      e.preventDefault();
      var tr = t.closest("#party-rows tr");
      if (tr && tr === rows.lastElementChild) {
        var texts = all("input[type=text]", tr);
        if (t === texts[texts.length - 1] && texts.some(function (input) { return input.value.trim(); })) {
          addRow(true);
          return;
        }
      }
      var list = focusable(form);
      var i = list.indexOf(t);
      if (i >= 0 && i + 1 < list.length) { list[i + 1].focus(); }
    });
    form.addEventListener("submit", function (e) {
      // The one-time token makes a double submit one registration; this only spares the round trip.
      if (form.getAttribute("data-submitting")) { e.preventDefault(); return; }
      form.setAttribute("data-submitting", "1");
    });

    toggle();
    countReps();
    if (grid && rows.children.length === 0) { addRow(false); }
  }

  function initFilter(input) {
    var select = document.getElementById(input.getAttribute("data-filter-for"));
    if (!select) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var first = null;
      all("option", select).forEach(function (opt) {
        if (!opt.value) { return; }
        var match = !q || (opt.getAttribute("data-search") || opt.textContent).toLowerCase().indexOf(q) >= 0;
        opt.hidden = !match;
        if (match && !first) { first = opt; }
      });
      if (q && first && select.value !== first.value) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function initPrint(button) {
    button.addEventListener("click", function () {
      var receipt = document.getElementById("receipt");
      if (receipt) {
        receipt.classList.remove("receipt-a4", "receipt-a5");
        receipt.classList.add("receipt-" + button.getAttribute("data-print"));
      }
      window.print();
    });
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
  });

  // 分流建议: "采用" puts the suggested dispute type into the form (the clerk's choice stays theirs).
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-apply-category]");
    if (!b) { return; }
    var select = document.getElementById("id_category");
    if (select) {
      select.value = b.getAttribute("data-apply-category");
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target && e.target.id === "action-panel") {
      var first = e.target.querySelector("input:not([type=hidden]), select, textarea");
      e.target.scrollIntoView({ block: "start" });
      if (first) { first.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    all("form[data-intake]").forEach(initIntake);
    all("[data-filter-for]").forEach(initFilter);
    all("[data-print]").forEach(initPrint);
  });
})();
