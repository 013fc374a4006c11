// Handwritten signatures on a tablet (签署调解协议): each signer writes with a finger or a stylus on
// a <canvas>; pointer events cover touch, pen and mouse. When a stroke ends the pad becomes a PNG
// data URL in the signer's hidden input (sent as signatures[].image) and the signer is ticked.
(function () {
  "use strict";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function initPad(canvas) {
    var card = canvas.closest("[data-signer]");
    var input = card.querySelector("[data-signature-image]");
    var tick = card.querySelector("[data-sign-on]");
    var error = card.querySelector("[data-pad-error]");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    function size() {
      var rect = canvas.getBoundingClientRect();
      if (!rect.width) { return false; }
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var w = Math.round(rect.width * ratio);
      var h = Math.round(rect.height * ratio);
      if (canvas.width === w && canvas.height === h) { return true; }
      canvas.width = w;
      canvas.height = h;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = 2.6;
      ctx.strokeStyle = "#111";
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, rect.width, rect.height);
      return true;
    }

    function point(e) {
      var rect = canvas.getBoundingClientRect();
      return { x: e.clientX - rect.left, y: e.clientY - rect.top };
    }

    function save() {
      input.value = canvas.toDataURL("image/png");
      canvas.classList.add("signed");
      if (tick && !tick.checked) { tick.checked = true; tick.dispatchEvent(new Event("change", { bubbles: true })); }
      if (error) { error.textContent = ""; }
    }

    canvas.addEventListener("pointerdown", function (e) {
      if (e.button !== undefined && e.button > 0) { return; }
      size();
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      drawing = true;
      last = point(e);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      e.preventDefault();
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      if (!events.length) { events = [e]; }
      events.forEach(function (ev) {
        var p = point(ev);
        ctx.beginPath();
        ctx.moveTo(last.x, last.y);
        ctx.lineTo(p.x, p.y);
        ctx.stroke();
        last = p;
      });
      drawn = true;
    });
    function end(e) {
      if (!drawing) { return; }
      drawing = false;
      drawn = true;
      if (e && canvas.hasPointerCapture && canvas.hasPointerCapture(e.pointerId)) { canvas.releasePointerCapture(e.pointerId); }
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    card.querySelector("[data-signature-clear]").addEventListener("click", function () {
      var rect = canvas.getBoundingClientRect();
      size();
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, rect.width, rect.height);
      input.value = "";
      drawn = false;
      canvas.classList.remove("signed");
    });

    // A signature typed before a refused submit is drawn back onto the pad.
    size();
    if (input.value.indexOf("data:image/png;base64,") === 0) {
      var img = new Image();
      img.onload = function () {
        var rect = canvas.getBoundingClientRect();
        ctx.drawImage(img, 0, 0, rect.width, rect.height);
        canvas.classList.add("signed");
        drawn = true;
      };
      img.src = input.value;
    }
    window.addEventListener("resize", function () { if (!drawn) { size(); } });

    return function hasSignature() { return drawn || input.value !== ""; };
  }

  function initForm(form) {
    var pads = {};
    all("[data-signature-pad]", form).forEach(function (canvas) {
      pads[canvas.getAttribute("data-signature-pad")] = initPad(canvas);
    });
    all("[data-signer]", form).forEach(function (card) {
      var tick = card.querySelector("[data-sign-on]");
      var method = card.querySelector("[data-sign-method]");
      var wrap = card.querySelector("[data-pad-wrap]");
      var off = card.querySelector("[data-pad-off]");
      function sync() {
        card.classList.toggle("is-off", !tick.checked);
        if (method && wrap) {
          // A seal or a fingerprint goes on the paper copies; the pad is for a handwritten name.
          var hand = method.value === "sign" || method.value === "sign_fingerprint";
          wrap.hidden = !hand;
          if (off) { off.hidden = hand; }
        }
      }
      tick.addEventListener("change", sync);
      if (method) { method.addEventListener("change", sync); }
      sync();
    });
    form.addEventListener("submit", function (e) {
      var missing = [];
      all("[data-signer]", form).forEach(function (card) {
        var key = card.getAttribute("data-signer");
        var tick = card.querySelector("[data-sign-on]");
        var wrap = card.querySelector("[data-pad-wrap]");
        if (wrap && wrap.hidden) { card.querySelector("[data-signature-image]").value = ""; }
        var method = card.querySelector("[data-sign-method]");
        var needsHand = card.getAttribute("data-kind") === "mediator" ||
          (method && (method.value === "sign" || method.value === "sign_fingerprint"));
        if (tick.checked && needsHand && pads[key] && !pads[key]()) {
          missing.push(card);
          card.querySelector("[data-pad-error]").textContent = "请在签名框内手写签名，或改选盖章、按指印";
        }
      });
      if (missing.length) {
        e.preventDefault();
        missing[0].scrollIntoView({ block: "center" });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    all("[data-signing-form]").forEach(initForm);
  });
})();
