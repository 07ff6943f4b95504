/*
 * Lab page: show whether the live connection is up, briefly highlight what a push changed, and
 * report invalid form fields.
 *
 * The socket state goes on <body data-socket="connecting|open|closed"> and in the
 * #socket-state label.
 *
 * Every element that can change carries data-key (what it is) and data-sig (how it looks).
 * Before htmx swaps a pushed fragment in, compare the new elements with the ones on the page
 * and mark the new or changed ones; CSS plays a short highlight on them.
 */
(function () {
  "use strict";

  function keyed(root) {
    var found = [];
    if (root.nodeType === Node.ELEMENT_NODE && root.hasAttribute("data-key")) {
      found.push(root);
    }
    root.querySelectorAll("[data-key]").forEach(function (el) { found.push(el); });
    return found;
  }

  function socketState(state, label) {
    document.body.setAttribute("data-socket", state);
    var badge = document.getElementById("socket-state");
    if (badge) {
      badge.textContent = label;
    }
  }

  document.addEventListener("htmx:wsConnecting", function () { socketState("connecting", "Connecting…"); });
  document.addEventListener("htmx:wsOpen", function () { socketState("open", "Live"); });
  document.addEventListener("htmx:wsClose", function () { socketState("closed", "Reconnecting…"); });

  // htmx stops a ws-send form with invalid fields silently: let the browser say why.
  document.addEventListener("htmx:validation:halted", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (form && form.reportValidity) {
      form.reportValidity();
    }
  });

  document.addEventListener("animationend", function (event) {
    if (event.target.classList) {
      event.target.classList.remove("changed");
    }
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail || {};
    // New API calls are new by definition: at a fast clock dozens arrive per push, and flashing
    // each one (after comparing them with the hundreds already listed) is only noise and work.
    if (!detail.target || !detail.fragment || detail.target.id === "api-call-list") {
      return;
    }
    var before = new Map();
    keyed(detail.target).forEach(function (el) {
      before.set(el.getAttribute("data-key"), el.getAttribute("data-sig"));
    });
    keyed(detail.fragment).forEach(function (el) {
      var key = el.getAttribute("data-key");
      if (!before.has(key) || before.get(key) !== el.getAttribute("data-sig")) {
        el.classList.add("changed");
      }
    });
  });
})();
