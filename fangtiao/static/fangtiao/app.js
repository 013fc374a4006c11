// Fangtiao page behaviour: kept in a file (no inline script, for a strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Submit filter forms on change of a select, for keyboard and mouse users alike.
  document.querySelectorAll("form.filter-bar select").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });
});

// --- data at rest (issue 9): a full reveal (查看) needs a reason, which goes into the audit row
// (个人信息保护法 第51条; docs/security.md §4). The 查看 buttons ask with hx-confirm; here the confirm
// becomes a prompt for the reason, sent as the `reason` field. The server refuses an empty reason.
(function () {
  var REVEAL = /\/reveal\//;
  document.addEventListener("htmx:confirm", function (evt) {
    var el = evt.detail && evt.detail.elt;
    var path = (evt.detail && evt.detail.path) || "";
    if (!el || !REVEAL.test(path)) return;
    evt.preventDefault();
    var question = evt.detail.question || "查看完整信息将记入审计日志。";
    var reason = window.prompt(question + "\n请填写查看事由：", "");
    if (reason === null) return;
    reason = reason.trim();
    if (!reason) { window.alert("未填写查看事由，未查看。"); return; }
    el.setAttribute("data-reveal-reason", reason.slice(0, 200));
    evt.detail.issueRequest(true);
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    var el = evt.detail && evt.detail.elt;
    var reason = el && el.getAttribute && el.getAttribute("data-reveal-reason");
    if (!reason) return;
    el.removeAttribute("data-reveal-reason");
    evt.detail.parameters.reason = reason;
  });
})();
