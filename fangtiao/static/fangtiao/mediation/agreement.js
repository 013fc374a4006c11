// The agreement editor (调解协议): obligation rows added and removed, and the live checks of what
// 人民调解法 第28–30条 require, shown while the mediator types. The checks are for instant feedback
// only: the server checks again on submit and its answer (field errors in Chinese) is what counts.
(function () {
  "use strict";

  var DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  var AMOUNT_RE = /^\d+(\.\d{1,2})?$/;

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function init(form) {
    var rows = form.querySelector("#obligation-rows");
    var template = document.getElementById("obligation-row-template");
    var next = 0;
    all("[data-row]", rows).forEach(function (r) {
      var n = parseInt(r.getAttribute("data-row"), 10);
      if (!isNaN(n) && n >= next) { next = n + 1; }
    });
    var partyCount = parseInt(form.getAttribute("data-parties") || "0", 10);
    var major = form.getAttribute("data-major") === "1";
    var today = form.getAttribute("data-today");

    function value(name) {
      var el = form.elements[name];
      if (!el) { return ""; }
      return String(el.value || "").trim();
    }

    function renumber() {
      all("[data-row]", rows).forEach(function (r, i) {
        var no = r.querySelector("[data-row-no]");
        if (no) { no.textContent = String(i + 1); }
      });
    }

    function setCheck(key, state, message) {
      var li = form.querySelector('[data-check="' + key + '"]');
      if (!li) { return; }
      li.setAttribute("data-state", state);
      li.querySelector(".msg").textContent = message || "";
    }

    function readRows() {
      return all("[data-row]", rows).map(function (r) {
        function f(name) {
          var el = r.querySelector('[data-ob="' + name + '"]');
          return el ? String(el.value || "").trim() : "";
        }
        var row = { el: r, party: f("party"), content: f("content"), amount: f("amount"), due: f("due_on"),
                    instalment: f("instalment") };
        row.blank = !(row.party || row.content || row.amount || row.due || row.instalment);
        return row;
      });
    }

    function mark(row, name, bad) {
      var el = row.el.querySelector('[data-ob="' + name + '"]');
      if (el) { el.classList.toggle("is-live-invalid", bad); el.setAttribute("aria-invalid", bad ? "true" : "false"); }
    }

    function check() {
      var written = value("form") !== "oral";
      var reached = value("reached_on");
      if (!DATE_RE.test(reached)) { reached = today; }
      var obligations = readRows();
      var filled = obligations.filter(function (r) { return !r.blank; });
      var errors = 0;

      if (partyCount >= 2) { setCheck("parties", "ok", partyCount + "方当事人，按登记信息写入协议"); }
      else if (partyCount === 1) { setCheck("parties", "warn", "只登记了一方当事人，请核实对方当事人"); }
      else { setCheck("parties", "error", "未登记当事人"); errors++; }

      setCheck("facts", value("facts") ? "ok" : "warn", value("facts") ? "" : "未填写，将沿用登记的事实");
      setCheck("disputes", value("disputes") ? "ok" : "warn", value("disputes") ? "" : "未填写，将沿用登记的请求");

      if (value("terms").length >= 2) { setCheck("terms", "ok", ""); }
      else { setCheck("terms", "error", "必须写明各方达成的协议内容"); errors++; }

      var laterDue = filled.filter(function (r) { return DATE_RE.test(r.due) && r.due > reached; });
      if (value("performance")) { setCheck("performance", "ok", ""); }
      else if (filled.length) { setCheck("performance", "ok", "按所列义务写明（谁、何时、履行什么）"); }
      else if (written) { setCheck("performance", "error", "书面协议应当载明履行方式、时限：请填写或列出义务"); errors++; }
      else { setCheck("performance", "ok", "口头协议：当场即时履行"); }

      var rowErrors = 0;
      filled.forEach(function (r) {
        var msgs = [];
        mark(r, "party", !r.party);
        if (!r.party) { msgs.push("请选择履行义务人"); }
        mark(r, "content", r.content.length < 2);
        if (r.content.length < 2) { msgs.push("义务内容至少2个字"); }
        var badAmount = r.amount !== "" && !AMOUNT_RE.test(r.amount.replace(/[,，]/g, "").replace(/元$/, ""));
        mark(r, "amount", badAmount);
        if (badAmount) { msgs.push("金额应为数字，最多两位小数"); }
        var early = DATE_RE.test(r.due) && r.due < reached;
        var oralLater = !written && DATE_RE.test(r.due) && r.due > reached;
        mark(r, "due_on", early || oralLater);
        if (early) { msgs.push("履行期限不能早于协议达成日期"); }
        if (oralLater) { msgs.push("不能即时履行的，应当制作书面调解协议"); }
        r.el.querySelector("[data-live-error]").textContent = msgs.join("；");
        if (msgs.length > (oralLater ? 1 : 0)) { rowErrors++; }  // an oral agreement's later date counts under 协议形式
      });
      obligations.filter(function (r) { return r.blank; }).forEach(function (r) {
        r.el.querySelector("[data-live-error]").textContent = "";
        ["party", "content", "amount", "due_on"].forEach(function (n) { mark(r, n, false); });
      });
      if (rowErrors) { setCheck("obligations", "error", rowErrors + "项义务填写不完整或有误"); errors++; }
      else if (filled.length) { setCheck("obligations", "ok", "共" + filled.length + "项"); }
      else { setCheck("obligations", "info", "未列义务（即时履行或无给付内容）"); }

      if (!written && laterDue.length) {
        setCheck("form", "error", "口头协议只适用于即时履行；有履行期限在达成日之后的义务，应当制作书面调解协议");
        errors++;
      } else if (!written && major) {
        setCheck("form", "error", "重大、复杂或集体纠纷应当制作书面调解协议");
        errors++;
      } else {
        setCheck("form", "ok", written ? "书面调解协议书" : "口头协议（即时履行），由调解员登记");
      }

      var copies = form.querySelector("[data-copies]");
      setCheck("copies", "info", written ? "一式" + copies.getAttribute("data-copies") + "份：当事人各执一份，调解委员会留存一份" : "口头协议不制作协议书");
      setCheck("effective", "info", written
        ? "自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效（最后一方签署之日）"
        : "口头协议自各方当事人达成协议之日起生效（第30条）");

      var summary = form.querySelector("[data-check-summary]");
      summary.textContent = errors ? "尚有" + errors + "项不符合法定要求（提交时以系统校验为准）" : "已符合法定要件";
      summary.className = "mt-2 small " + (errors ? "text-danger" : "text-success");
      summary.setAttribute("data-errors", String(errors));
    }

    form.querySelector("[data-add-row]").addEventListener("click", function () {
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__N__/g, String(next++)));
      renumber();
      var added = rows.lastElementChild;
      var first = added && added.querySelector("select");
      if (first) { first.focus(); }
      check();
    });
    rows.addEventListener("click", function (e) {
      var button = e.target.closest("[data-remove-row]");
      if (!button) { return; }
      button.closest("[data-row]").remove();
      renumber();
      check();
    });
    form.addEventListener("input", check);
    form.addEventListener("change", check);
    renumber();
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    all("[data-agreement-editor]").forEach(init);
  });
})();
