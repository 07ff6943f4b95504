/*
 * The networking views: a node's "kube-proxy rules" button (on its card, or beside a Service
 * on the Services map) shows the node's nat table in the #pod-decision panel the inspectors
 * share, with that Service's chains marked; the panel's Service chooser marks another one.
 * Buttons are re-rendered by pushes, so clicks and changes are caught once, on the document.
 *
 * The maps' traffic numbers move every virtual second; the server sends them on their own, as
 * JSON in #network-live, instead of re-sending the drawings: each element marked
 * data-live="KEY" takes the text for KEY, each line marked data-live-width="KEY" its width.
 */
(function () {
  "use strict";

  function applyLive() {
    var data = document.getElementById("network-live-data");
    var live;
    try {
      live = data ? JSON.parse(data.textContent) : null;
    } catch (error) {
      live = null;
    }
    if (!live || typeof live !== "object") { return; }
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var text = live.text && live.text[el.dataset.live];
      if (typeof text === "string" && el.textContent !== text) { el.textContent = text; }
    });
    document.querySelectorAll("[data-live-width]").forEach(function (el) {
      var width = live.width && live.width[el.getAttribute("data-live-width")];
      if (typeof width === "number" && el.getAttribute("stroke-width") !== String(width)) {
        el.setAttribute("stroke-width", String(width));
      }
    });
  }

  // After each push (a drawing re-sent carries the numbers of its own render; the JSON, when
  // sent in the same push, is at least as new).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "network-live") { applyLive(); }
  });

  function rulesUrl(node, service) {
    var shell = document.querySelector("[data-lab]");
    if (!shell) { return ""; }
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/nodes/" + encodeURIComponent(node) + "/proxy-rules/";
    return service ? url + "?service=" + encodeURIComponent(service) : url;
  }

  function show(node, service, focus) {
    var target = document.getElementById("pod-decision");
    var url = rulesUrl(node, service);
    if (!target || !url) { return; }
    target.textContent = "Loading kube-proxy's rules on " + node + "…";
    target.dataset.url = url;
    target.hidden = false;
    htmx.ajax("GET", url, { target: target, swap: "innerHTML" }).then(function () {
      if (focus) {
        var chooser = target.querySelector("[data-action='proxy-rules-service']");
        if (chooser) { chooser.focus(); }
      }
    });
    target.scrollIntoView({ block: "start" });
  }

  // The panel refreshes itself every few seconds: keep the table scrolled where the reader left
  // it, and on first showing a Service's rules, scroll to its first marked line.
  var kept = null;

  function shown(target) {
    var article = target.querySelector("[data-testid='proxy-rules']");
    return article ? article.dataset.node + "|" + article.dataset.service : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "pod-decision") { return; }
    var list = target.querySelector(".rules");
    kept = list ? { what: shown(target), top: list.scrollTop } : null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "pod-decision") { return; }
    var what = shown(target);
    var list = target.querySelector(".rules");
    if (!what || !list) { return; }
    if (kept && kept.what === what) {
      list.scrollTop = kept.top;
      return;
    }
    var first = list.querySelector("[data-service-rule]");
    if (first) { list.scrollTop = Math.max(0, first.offsetTop - 24); }  // .rules is positioned
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-action='proxy-rules']") : null;
    if (button) { show(button.dataset.node, button.dataset.service, false); }
  });

  document.addEventListener("change", function (event) {
    var chooser = event.target.closest ? event.target.closest("[data-action='proxy-rules-service']") : null;
    if (chooser) { show(chooser.dataset.node, chooser.value, true); }
  });
})();
