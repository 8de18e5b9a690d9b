// Console keyboard shortcuts and small conveniences. Every action also works without
// JavaScript through plain forms; this only makes the daily review faster.
(function () {
  "use strict";

  function rows() { return Array.from(document.querySelectorAll("tr.alert-row")); }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function selectedIds() {
    return Array.from(document.querySelectorAll('#queue input[name="ids"]:checked')).map(function (c) { return c.value; });
  }
  function updateSelected() {
    var out = document.getElementById("selected-count");
    rows().forEach(function (r) {
      var box = r.querySelector('input[name="ids"]');
      r.classList.toggle("selected", !!(box && box.checked));
    });
    if (out) {
      var n = selectedIds().length;
      out.textContent = n ? n + " selected" : "";
    }
  }

  function openReview(status, ids) {
    var dialog = document.getElementById("review-dialog");
    if (!dialog || !ids.length) return;
    document.getElementById("review-status").value = status;
    var holder = document.getElementById("review-ids");
    holder.textContent = "";
    ids.forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "ids"; input.value = id;
      holder.appendChild(input);
    });
    var verb = { confirmed: "Confirm", dismissed: "Dismiss", escalated: "Escalate" }[status] || status;
    document.getElementById("review-title").textContent = verb + (ids.length > 1 ? " " + ids.length + " alerts" : " alert " + ids[0]);
    document.getElementById("review-summary").textContent = "Give a reason; it goes into each alert's audit trail.";
    document.getElementById("review-submit").textContent = verb;
    dialog.showModal();
    document.getElementById("review-reason").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('#queue input[name="ids"]').forEach(function (c) { c.checked = all.checked; });
        updateSelected();
      });
    }
    document.querySelectorAll('#queue input[name="ids"]').forEach(function (c) { c.addEventListener("change", updateSelected); });
    var cancel = document.getElementById("review-cancel");
    if (cancel) cancel.addEventListener("click", function () { document.getElementById("review-dialog").close(); });
    var bulk = document.getElementById("bulk");
    if (bulk) {
      bulk.addEventListener("submit", function (ev) {
        if (!selectedIds().length) { ev.preventDefault(); alert("Select at least one alert first (x or the checkboxes)."); }
      });
    }
  });

  // On an alert's page, c/d/e pick the decision and move to the reason field.
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var form = document.querySelector("form.review-form");
    var status = { c: "confirmed", d: "dismissed", e: "escalated" }[ev.key];
    if (!form || !status) return;
    var radio = form.querySelector('input[name="status"][value="' + status + '"]');
    if (!radio) return;
    ev.preventDefault();
    radio.checked = true;
    form.querySelector('input[name="reason"]').focus();
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var dialog = document.getElementById("review-dialog");
    if (dialog && dialog.open) return;
    var list = rows();
    if (!list.length) return;
    var current = document.activeElement && document.activeElement.closest ? document.activeElement.closest("tr.alert-row") : null;
    var index = current ? list.indexOf(current) : -1;
    var key = ev.key;
    if (key === "j" || key === "ArrowDown") {
      ev.preventDefault(); list[Math.min(index + 1, list.length - 1)].focus();
    } else if (key === "k" || key === "ArrowUp") {
      ev.preventDefault(); list[Math.max(index - 1, 0)].focus();
    } else if ((key === "Enter" || key === "o") && current && ev.target === current) {
      ev.preventDefault(); window.location.href = current.dataset.href;
    } else if (key === "x" && current) {
      ev.preventDefault();
      var box = current.querySelector('input[name="ids"]');
      box.checked = !box.checked; updateSelected();
    } else if (key === "c" || key === "d" || key === "e") {
      var ids = selectedIds();
      if (!ids.length && current) ids = [current.dataset.id];
      if (!ids.length) return;
      ev.preventDefault();
      openReview({ c: "confirmed", d: "dismissed", e: "escalated" }[key], ids);
    }
  });

  // A request made by htmx that fails must say so on the page, not only in the browser's console.
  function showRequestError(text) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }
  function reason(xhr) {
    var body = (xhr && xhr.responseText) || "";
    try {
      var data = JSON.parse(body);
      if (data && data.error && data.error.message) return data.error.message;
    } catch (e) { /* not JSON: an HTML page or plain text */ }
    // DOMParser builds an inert document: nothing in the answer runs or loads.
    var doc = new DOMParser().parseFromString(body, "text/html");
    var text = (doc.querySelector("main [role=alert]:not(#request-error)") || doc.body || doc.documentElement).textContent || "";
    return text.replace(/\s+/g, " ").trim().slice(0, 300);
  }
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var why = reason(xhr);
    showRequestError("The request failed (HTTP " + status + ")" + (why ? ": " + why : "."));
  });
  document.addEventListener("htmx:sendError", function () {
    showRequestError("The console could not reach the server. Check that the service is running, then try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-error");
    if (box) box.hidden = true;
  });
})();
